import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { createPostgresBackend } from '../../src/local/sql-backend.ts';
import { BACKENDS, PG_URL, rejection, type OpenBackend } from './redshift-data/support.ts';

describe.each(BACKENDS)('SqlBackend on $name', ({ name, open }) => {
  let db: OpenBackend;

  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('returns the same typed values from both engines', async () => {
    // Act
    const r = await db.backend.query(
      `SELECT $1::int AS i, 9007199254740993::bigint AS big, 42::bigint AS small_big, 1.10::numeric(5,2) AS dec, true AS t, NULL::text AS n,
              TIMESTAMP '2026-01-02 03:04:05.5' AS ts, TIMESTAMPTZ '2026-01-02 03:04:05+02' AS tz, '\\x00ff'::bytea AS b, 0.5::float8 AS f, '{"a":1}'::json AS j`,
      [7],
    );

    // Assert
    expect(db.backend.kind).toBe(name);
    expect(r.rows).toEqual([[7, '9007199254740993', 42, '1.10', true, null, '2026-01-02 03:04:05.5', '2026-01-02 01:04:05+00', new Uint8Array([0, 255]), 0.5, '{"a":1}']]);
    expect(r.columns.map((c) => c.typeName)).toEqual(['int4', 'int8', 'int8', 'numeric', 'bool', 'text', 'timestamp', 'timestamptz', 'bytea', 'float8', 'json']);
    expect(r.rowCount).toBe(1);
  });

  it('counts affected rows of DML and none for DDL', async () => {
    // Act
    const ddl = await db.backend.query('CREATE TABLE counted (x INT)');
    const ins = await db.backend.query('INSERT INTO counted SELECT generate_series(1, 5)');
    const del = await db.backend.query('DELETE FROM counted WHERE x > $1', [3]);

    // Assert
    expect(ddl).toEqual({ rows: [], columns: [], rowCount: 0 });
    expect(ins.rowCount).toBe(5);
    expect(del.rowCount).toBe(2);
  });

  it('commits a transaction, and rolls it back when it throws (the backend stays usable)', async () => {
    // Prepare
    await db.backend.query('CREATE TABLE tx (x INT PRIMARY KEY)');

    // Act
    await db.backend.transaction(async (tx) => {
      await tx.query('INSERT INTO tx VALUES (1)');
      await tx.query('INSERT INTO tx VALUES (2)');
    });
    const err = await rejection(
      db.backend.transaction(async (tx) => {
        await tx.query('INSERT INTO tx VALUES (3)');
        await tx.query('INSERT INTO tx VALUES (1)'); // duplicate key
      }),
    );
    const thrown = await rejection(
      db.backend.transaction(async (tx) => {
        await tx.query('INSERT INTO tx VALUES (4)');
        throw new Error('application error');
      }),
    );
    const rows = await db.backend.query('SELECT x FROM tx ORDER BY x');

    // Assert
    expect(err.message).toMatch(/duplicate key/);
    expect(thrown.message).toBe('application error');
    expect(rows.rows).toEqual([[1], [2]]);
  });

  it('runs concurrent transactions one at a time, never interleaving their statements', async () => {
    // Prepare
    await db.backend.query('CREATE TABLE serial_log (n SERIAL, who TEXT)');
    const work = (who: string) =>
      db.backend.transaction(async (tx) => {
        for (let i = 0; i < 5; i++) {
          await tx.query('INSERT INTO serial_log (who) VALUES ($1)', [who]);
          await new Promise((r) => setTimeout(r, 2));
        }
      });

    // Act
    await Promise.all([work('a'), work('b'), work('c')]);
    const log = await db.backend.query('SELECT who FROM serial_log ORDER BY n');

    // Assert: each transaction's five rows are contiguous.
    const order = log.rows.map((r) => r[0]).join('');
    expect(order).toMatch(/^(a{5}|b{5}|c{5}){3}$/);
  });

  it('reports SQL errors with the PostgreSQL message, and runs one statement per query on both engines', async () => {
    // Act
    const err = await rejection(db.backend.query('SELECT * FROM nowhere_table'));
    const list = await rejection(db.backend.query('SELECT 1; SELECT 2'));

    // Assert
    expect(err.message).toBe('relation "nowhere_table" does not exist');
    expect(list.message).toMatch(/cannot insert multiple commands into a prepared statement/);
  });

  it('refuses queries after close (runs last: it closes this file’s backend)', async () => {
    // Act
    await db.backend.close();
    const err = await rejection(db.backend.query('SELECT 1'));

    // Assert
    expect(err.message).toMatch(/closed/);
  });
});

describe('createPostgresBackend', () => {
  it('fails fast with a ConfigError naming --pg-url when the server is unreachable', async () => {
    // Act
    const started = Date.now();
    const err = await rejection(createPostgresBackend('postgres://someone:secret@127.0.0.1:1/nowhere'));

    // Assert
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/^--pg-url: cannot use PostgreSQL at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    expect(err.message).not.toContain('secret');
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('isolates schemas: each backend sees only its own tables', async () => {
    // Prepare
    const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const a = await createPostgresBackend(PG_URL, { schema: `iso_a_${suffix}` });
    const b = await createPostgresBackend(PG_URL, { schema: `iso_b_${suffix}` });
    try {
      // Act
      await a.query('CREATE TABLE only_here (x INT)');
      const missing = await rejection(b.query('SELECT * FROM only_here'));

      // Assert
      expect(missing.message).toMatch(/does not exist/);
    } finally {
      await a.query(`DROP SCHEMA iso_a_${suffix} CASCADE`);
      await b.query(`DROP SCHEMA iso_b_${suffix} CASCADE`);
      await a.close();
      await b.close();
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    // Act
    const err = await rejection(createPostgresBackend(PG_URL, { schema: 'x; DROP TABLE y' }));

    // Assert
    expect(err).toBeInstanceOf(ConfigError);
  });
});
