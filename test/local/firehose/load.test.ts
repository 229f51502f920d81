import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCreateInput } from '../../../src/local/firehose/create-input.ts';
import { FirehoseEngine } from '../../../src/local/firehose/engine.ts';
import { parseJsonObjects } from '../../../src/local/firehose/json-records.ts';
import { createPgliteBackend, type SqlBackend } from '../../../src/local/sql-backend.ts';

// The loaded columns; the table has one more (`extra`), which the COPY does not list.
const COLUMNS = ['id', 'name', 'note', 'n', 'at'];
const TABLE_DDL = (t: string) => `CREATE TABLE ${t} (id INTEGER, name VARCHAR(4), note VARCHAR(200), n NUMERIC(30,4), at TIMESTAMP, extra SMALLINT)`;

function definition(name: string, table: string) {
  return parseCreateInput(
    {
      DeliveryStreamName: name,
      DeliveryStreamType: 'DirectPut',
      RedshiftDestinationConfiguration: {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        ClusterJDBCURL: 'jdbc:redshift://127.0.0.1:5439/dev',
        CopyCommand: { DataTableName: table, DataTableColumns: COLUMNS.join(','), CopyOptions: "FORMAT AS JSON 'auto' TRUNCATECOLUMNS" },
        Username: 'loader',
        Password: 'Secret-123',
        S3Configuration: { RoleARN: 'arn:aws:iam::000000000000:role/firehose', BucketARN: 'arn:aws:s3:::staging', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } },
      },
    },
    'us-east-1',
  );
}

/** The load as it was before objects went to PostgreSQL as written: one text parameter per value. */
async function referenceLoad(db: SqlBackend, table: string, text: string): Promise<void> {
  const maxLen: Record<string, number> = { name: 4, note: 200 };
  for (const row of parseJsonObjects(text)) {
    const values = COLUMNS.map((c) => {
      const v = row.get(c) ?? null;
      const len = maxLen[c];
      return v !== null && len !== undefined && [...v].length > len ? [...v].slice(0, len).join('') : v;
    });
    await db.query(`INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, values);
  }
}

// Objects that hit every way an object can differ from PostgreSQL's reading of it.
const key = fc.constantFrom('id', 'ID', 'name', 'Name', 'note', 'n', 'at', 'extra', 'unknown', 'no\\u0074e');
const value = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom('"ab"', '"abcdefgh"', '"ünïcødé 🚀"', '"\\ud83d\\ude80"', '"x\\"y\\\\z"', '"2026-03-04 05:06:07"', '1.5', '12345678901234567890.1234', 'null', 'true', '{"k": [1, "\\u00e9"]}', '"it\'s; DROP"'),
);
const object = fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 6 }).map((members) => `{${members.map(([k, v]) => `"${k}": ${v}`).join(', ')}}`);

describe('local Firehose load (COPY JSON auto into PostgreSQL)', () => {
  let db: SqlBackend;
  let n = 0;
  beforeAll(async () => {
    db = await createPgliteBackend();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('loads the same rows as one parameter per value would, or fails when that would fail', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(object, { minLength: 1, maxLength: 8 }), async (objects) => {
        // Prepare
        const i = ++n;
        const [got, want] = [`load_got_${i}`, `load_want_${i}`];
        await db.query(TABLE_DDL(got));
        await db.query(TABLE_DDL(want));
        const engine = new FirehoseEngine(db);
        await engine.open();
        await engine.create(definition(`s${i}`, got));
        const text = objects.map((o) => `${o}\n`).join('');

        // Act
        await engine.put(`s${i}`, objects.map((o, k) => ({ recordId: `r${k}`, data: Buffer.from(`${o}\n`) })));
        const loaded = await engine.flush().then(
          () => 'ok',
          (err: Error) => err.message,
        );
        // A stream whose load failed keeps its records: drop it, or the next run's flush
        // (same database, so the same buffer) would try them again.
        await engine.delete(`s${i}`);
        await engine.close();
        const reference = await db.transaction((tx) => referenceLoad(tx, want, text)).then(
          () => 'ok',
          (err: Error) => err.message,
        );
        const rows = async (t: string) => (await db.query(`SELECT ${COLUMNS.join(', ')}, extra FROM ${t} ORDER BY 1, 2, 3, 4, 5`)).rows;

        // Assert: both loaded the same rows, or both failed
        expect(loaded === 'ok').toBe(reference === 'ok');
        if (reference === 'ok') expect(await rows(got)).toEqual(await rows(want));
      }),
      { numRuns: 60 },
    );
  });
});
