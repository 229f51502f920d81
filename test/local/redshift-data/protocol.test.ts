/**
 * The Redshift Data API as the local endpoint answers it, through the SDK only — no fault
 * hooks, nothing read from the database directly — so that the same tests can be pointed at
 * the real Data API (see `test/local/protocol-target.ts` for the variables). What needs the
 * endpoint's hooks or is PostgreSQL's own (type names, page size, dollar quoting, injected
 * failures and delays, cancellation) is in `server.test.ts`.
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type DescribeStatementCommandOutput,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redshiftDataTargets, RUN_ID, type RedshiftDataTarget } from '../protocol-target.ts';
import { rejection } from './support.ts';

const DONE = new Set(['FINISHED', 'FAILED', 'ABORTED']);

describe.each(redshiftDataTargets())('Redshift Data API protocol on $name', ({ open, timeoutMs }) => {
  let t: RedshiftDataTarget;
  const tables: string[] = [];
  /** A table name of this run, dropped afterwards. */
  const table = (base: string) => {
    const n = `${base}_${RUN_ID}`;
    tables.push(n);
    return n;
  };

  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    if (t && tables.length > 0) await t.client.send(new BatchExecuteStatementCommand({ ...t.target, Sqls: tables.map((n) => `DROP TABLE IF EXISTS ${n}`) })).catch(() => {});
    await t?.close();
  });

  /** Polls DescribeStatement until the statement is done. */
  async function waitDone(id: string): Promise<DescribeStatementCommandOutput> {
    for (;;) {
      const d = await t.client.send(new DescribeStatementCommand({ Id: id }));
      if (DONE.has(d.Status ?? '')) return d;
      await new Promise((r) => setTimeout(r, t.pollMs));
    }
  }

  async function run(sql: string, params?: Record<string, string>) {
    const out = await t.client.send(
      new ExecuteStatementCommand({ ...t.target, Sql: sql, ...(params ? { Parameters: Object.entries(params).map(([name, value]) => ({ name, value })) } : {}) }),
    );
    return waitDone(out.Id!);
  }

  it(
    'runs a statement with named parameters and returns its rows',
    async () => {
      // Prepare
      const people = table('people');
      await run(`CREATE TABLE ${people} (id INT, name VARCHAR(50))`);
      await run(`INSERT INTO ${people} VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')`);

      // Act
      const d = await run(`SELECT name FROM ${people} WHERE id >= :min AND name <> :skip ORDER BY id`, { min: '2', skip: 'cy' });
      const page = await t.client.send(new GetStatementResultCommand({ Id: d.Id! }));

      // Assert
      expect(d.Status).toBe('FINISHED');
      expect(d.HasResultSet).toBe(true);
      expect(d.ResultRows).toBe(1);
      expect(d.QueryString).toContain(':min');
      expect(d.QueryParameters).toEqual([
        { name: 'min', value: '2' },
        { name: 'skip', value: 'cy' },
      ]);
      expect(d.CreatedAt).toBeInstanceOf(Date);
      expect(d.Duration).toBeGreaterThan(0);
      expect(page.Records).toEqual([[{ stringValue: 'bob' }]]);
      expect(page.TotalNumRows).toBe(1);
      expect(page.ColumnMetadata?.map((c) => c.name)).toEqual(['name']);
      expect(page.NextToken).toBeUndefined();
    },
    timeoutMs,
  );

  it(
    'reports affected rows of DML and no result set',
    async () => {
      // Prepare
      const dml = table('dml');
      await run(`CREATE TABLE ${dml} (x INT)`);

      // Act
      const d = await run(`INSERT INTO ${dml} VALUES (1), (2), (3), (4), (5), (6), (7)`);
      const err = await rejection(t.client.send(new GetStatementResultCommand({ Id: d.Id! })));

      // Assert
      expect(d.Status).toBe('FINISHED');
      expect(d.HasResultSet).toBe(false);
      expect(d.ResultRows).toBe(7);
      expect(err.name).toBe('ValidationException');
    },
    timeoutMs,
  );

  it(
    'runs a batch in one transaction with sub-statements Id:1..n',
    async () => {
      // Prepare
      const ok = table('batch_ok');

      // Act
      const out = await t.client.send(
        new BatchExecuteStatementCommand({ ...t.target, Sqls: [`CREATE TABLE ${ok} (x INT)`, `INSERT INTO ${ok} VALUES (1), (2)`, `SELECT sum(x) AS s FROM ${ok}`] }),
      );
      const d = await waitDone(out.Id!);
      const third = await t.client.send(new GetStatementResultCommand({ Id: `${out.Id}:3` }));
      const sub = await t.client.send(new DescribeStatementCommand({ Id: `${out.Id}:2` }));

      // Assert
      expect(d.Status).toBe('FINISHED');
      expect(d.SubStatements?.map((s) => [s.Id, s.Status])).toEqual([
        [`${out.Id}:1`, 'FINISHED'],
        [`${out.Id}:2`, 'FINISHED'],
        [`${out.Id}:3`, 'FINISHED'],
      ]);
      expect(d.SubStatements?.[2]?.HasResultSet).toBe(true);
      expect(third.Records).toEqual([[{ longValue: 3 }]]);
      expect(sub.ResultRows).toBe(2);
    },
    timeoutMs,
  );

  it(
    'rolls back the whole batch when one statement fails',
    async () => {
      // Prepare
      const fail = table('batch_fail');
      const missing = `no_such_table_${RUN_ID}`;
      await run(`CREATE TABLE ${fail} (x INT)`);

      // Act
      const out = await t.client.send(
        new BatchExecuteStatementCommand({ ...t.target, Sqls: [`INSERT INTO ${fail} VALUES (1)`, `INSERT INTO ${fail} VALUES (2)`, `INSERT INTO ${missing} VALUES (3)`, 'SELECT 1'] }),
      );
      const d = await waitDone(out.Id!);
      const count = await run(`SELECT count(*) FROM ${fail}`);
      const page = await t.client.send(new GetStatementResultCommand({ Id: count.Id! }));

      // Assert
      expect(d.Status).toBe('FAILED');
      expect(d.Error).toMatch(new RegExp(`relation "${missing}" does not exist`));
      expect(d.SubStatements?.map((s) => s.Status)).toEqual(['FINISHED', 'FINISHED', 'FAILED', 'ABORTED']);
      expect(d.SubStatements?.[2]?.Error).toMatch(new RegExp(missing));
      expect(page.Records).toEqual([[{ longValue: 0 }]]);
    },
    timeoutMs,
  );

  it(
    'ends a bad statement FAILED with the database error, not an API error',
    async () => {
      // Act
      const syntax = await run('SELEC 1');
      const missing = await run(`SELECT * FROM missing_table_${RUN_ID}`);

      // Assert
      expect(syntax.Status).toBe('FAILED');
      expect(syntax.Error).toMatch(/^ERROR: syntax error at or near "SELEC"/);
      expect(missing.Status).toBe('FAILED');
      expect(missing.Error).toMatch(new RegExp(`^ERROR: relation "missing_table_${RUN_ID}" does not exist`));
    },
    timeoutMs,
  );

  it(
    'answers a repeated ClientToken with the first statement (the SQL runs once)',
    async () => {
      // Prepare
      const idem = table('idem');
      await run(`CREATE TABLE ${idem} (x INT)`);
      const input = { ...t.target, Sql: `INSERT INTO ${idem} VALUES (1)`, ClientToken: `token-idem-${RUN_ID}` };

      // Act
      const a = await t.client.send(new ExecuteStatementCommand(input));
      const b = await t.client.send(new ExecuteStatementCommand(input));
      await waitDone(a.Id!);
      const count = await run(`SELECT count(*) FROM ${idem}`);

      // Assert
      expect(b.Id).toBe(a.Id);
      expect((await t.client.send(new GetStatementResultCommand({ Id: count.Id! }))).Records).toEqual([[{ longValue: 1 }]]);
    },
    timeoutMs,
  );

  it(
    'rejects invalid requests with the exceptions AWS names',
    async () => {
      // Act
      const { Database: _db, ...withoutDatabase } = t.target;
      const empty = await rejection(t.client.send(new BatchExecuteStatementCommand({ ...t.target, Sqls: [] })));
      const tooMany = await rejection(t.client.send(new BatchExecuteStatementCommand({ ...t.target, Sqls: Array.from({ length: 41 }, () => 'SELECT 1') })));
      const tooBig = await rejection(t.client.send(new ExecuteStatementCommand({ ...t.target, Sql: `SELECT '${'x'.repeat(100 * 1024)}'` })));
      const noDatabase = await rejection(t.client.send(new ExecuteStatementCommand({ ...withoutDatabase, Sql: 'SELECT 1' } as never)));
      const unused = await rejection(t.client.send(new ExecuteStatementCommand({ ...t.target, Sql: 'SELECT 1', Parameters: [{ name: 'x', value: '1' }] })));
      const unknown = await rejection(t.client.send(new DescribeStatementCommand({ Id: '0e2a6c1e-0000-4000-8000-000000000000' })));
      const unknownResult = await rejection(t.client.send(new GetStatementResultCommand({ Id: '0e2a6c1e-0000-4000-8000-000000000000' })));
      const malformed = await rejection(t.client.send(new DescribeStatementCommand({ Id: 'not-an-id' })));

      // Assert
      for (const err of [empty, tooMany, tooBig, noDatabase, unused, malformed]) {
        expect(err.name).toBe('ValidationException');
        expect(err.$metadata?.httpStatusCode).toBe(400);
      }
      expect(tooMany.message).toMatch(/less than or equal to 40/);
      expect(tooBig.message).toMatch(/100 KB/);
      expect(unused.message).toMatch(/Unused parameters: \[x\]/);
      expect(unknown.name).toBe('ResourceNotFoundException');
      expect(unknownResult.name).toBe('ResourceNotFoundException');
      expect((unknown as unknown as { ResourceId?: string }).ResourceId).toBe('0e2a6c1e-0000-4000-8000-000000000000');
    },
    timeoutMs,
  );

  it(
    'accepts a statement of exactly 100 KB and a batch of 40',
    async () => {
      // Prepare
      const prefix = "SELECT length('";
      const suffix = "')";
      const sql = `${prefix}${'y'.repeat(100 * 1024 - prefix.length - suffix.length)}${suffix}`;

      // Act
      const big = await run(sql);
      const batch = await t.client.send(new BatchExecuteStatementCommand({ ...t.target, Sqls: Array.from({ length: 40 }, (_, i) => `SELECT ${i}`) }));

      // Assert
      expect(big.Status).toBe('FINISHED');
      expect((await waitDone(batch.Id!)).SubStatements).toHaveLength(40);
    },
    timeoutMs,
  );

  it(
    'binds a hostile parameter value as data, byte-exact',
    async () => {
      // Prepare
      const hostile = "it's; DROP TABLE people; -- \\ \"q\" 🚀 ünï \n end /* */";

      // Act
      const d = await run('SELECT :v AS v', { v: hostile });
      const page = await t.client.send(new GetStatementResultCommand({ Id: d.Id! }));

      // Assert
      expect(d.Status).toBe('FINISHED');
      expect(page.Records).toEqual([[{ stringValue: hostile }]]);
    },
    timeoutMs,
  );
});
