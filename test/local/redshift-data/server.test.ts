import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../../src/local/redshift-data/server.ts';
import { DataApi } from '../../../src/sinks/redshift/data-api.ts';
import { migrate } from '../../../src/sinks/redshift/migrations.ts';
import { allRecords, BACKENDS, CREDENTIALS, REGION, rejection, waitFor, type OpenBackend } from './support.ts';

const TARGET = { Database: 'dev', WorkgroupName: 'local' };

describe.each(BACKENDS)('local Redshift Data API on $name', ({ open }) => {
  let db: OpenBackend;
  let server: RedshiftDataServer;
  let client: RedshiftDataClient;

  beforeAll(async () => {
    db = await open();
    server = await startRedshiftDataServer({
      backend: db.backend,
      faults: {
        failStatement: (sql) => (sql.includes('/* inject-failure */') ? 'injected failure' : null),
        delayStatement: (sql) => (sql.includes('/* slow */') ? 400 : 0),
      },
    });
    client = new RedshiftDataClient({ region: REGION, endpoint: server.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await db?.dispose();
  });

  async function run(sql: string, params?: Record<string, string>) {
    const out = await client.send(
      new ExecuteStatementCommand({ ...TARGET, Sql: sql, ...(params ? { Parameters: Object.entries(params).map(([name, value]) => ({ name, value })) } : {}) }),
    );
    return waitFor(client, out.Id!);
  }

  it('runs a statement with named parameters and returns its rows', async () => {
    // Prepare
    await run('CREATE TABLE people (id INT, name VARCHAR(50))');
    await run("INSERT INTO people VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')");

    // Act
    const d = await run('SELECT name FROM people WHERE id >= :min AND name <> :skip ORDER BY id', { min: '2', skip: 'cy' });
    const page = await client.send(new GetStatementResultCommand({ Id: d.Id! }));

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
    expect(page.ColumnMetadata?.map((c) => [c.name, c.typeName])).toEqual([['name', 'varchar']]);
    expect(page.NextToken).toBeUndefined();
  });

  it('reports affected rows of DML and no result set', async () => {
    // Prepare
    await run('CREATE TABLE dml (x INT)');

    // Act
    const d = await run('INSERT INTO dml SELECT generate_series(1, 7)');
    const err = await rejection(client.send(new GetStatementResultCommand({ Id: d.Id! })));

    // Assert
    expect(d.Status).toBe('FINISHED');
    expect(d.HasResultSet).toBe(false);
    expect(d.ResultRows).toBe(7);
    expect(err.name).toBe('ValidationException');
  });

  it('types fields: NULL, booleans, bigint, numeric, doubles, timestamps, text', async () => {
    // Act
    const d = await run(
      `SELECT NULL::INT AS n, TRUE AS t, FALSE AS f, 9007199254740991::BIGINT AS big, -42::SMALLINT AS small,
              12345678901234567890.123456789::NUMERIC(38,9) AS dec, 2.5::FLOAT8 AS dbl,
              TIMESTAMP '2026-01-02 03:04:05.678' AS ts, DATE '2026-01-02' AS d, 'héllo ✓' AS txt`,
    );
    const page = await client.send(new GetStatementResultCommand({ Id: d.Id! }));

    // Assert
    expect(page.Records).toEqual([
      [
        { isNull: true },
        { booleanValue: true },
        { booleanValue: false },
        { longValue: 9007199254740991 },
        { longValue: -42 },
        { stringValue: '12345678901234567890.123456789' },
        { doubleValue: 2.5 },
        { stringValue: '2026-01-02 03:04:05.678' },
        { stringValue: '2026-01-02' },
        { stringValue: 'héllo ✓' },
      ],
    ]);
    expect(page.ColumnMetadata?.map((c) => c.typeName)).toEqual(['int4', 'bool', 'bool', 'int8', 'int2', 'numeric', 'float8', 'timestamp', 'date', 'text']);
  });

  it('pages a large result with NextToken', async () => {
    // Act
    const d = await run('SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 2500) AS g ORDER BY g');
    const first = await client.send(new GetStatementResultCommand({ Id: d.Id! }));
    const { records, pages } = await allRecords(client, d.Id!);

    // Assert
    expect(d.ResultRows).toBe(2500);
    expect(first.TotalNumRows).toBe(2500);
    expect(first.Records).toHaveLength(1000);
    expect(first.NextToken).toBeTruthy();
    expect(pages).toBe(3);
    expect(records.map((r) => r[0]?.longValue)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
  });

  it('runs a batch in one transaction with sub-statements Id:1..n', async () => {
    // Act
    const out = await client.send(
      new BatchExecuteStatementCommand({ ...TARGET, Sqls: ['CREATE TABLE batch_ok (x INT)', 'INSERT INTO batch_ok VALUES (1), (2)', 'SELECT sum(x) AS s FROM batch_ok'] }),
    );
    const d = await waitFor(client, out.Id!);
    const third = await client.send(new GetStatementResultCommand({ Id: `${out.Id}:3` }));
    const sub = await client.send(new DescribeStatementCommand({ Id: `${out.Id}:2` }));

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
  });

  it('rolls back the whole batch when one statement fails', async () => {
    // Prepare
    await run('CREATE TABLE batch_fail (x INT)');

    // Act
    const out = await client.send(
      new BatchExecuteStatementCommand({ ...TARGET, Sqls: ['INSERT INTO batch_fail VALUES (1)', 'INSERT INTO batch_fail VALUES (2)', 'INSERT INTO no_such_table VALUES (3)', 'SELECT 1'] }),
    );
    const d = await waitFor(client, out.Id!);
    const count = await run('SELECT count(*) FROM batch_fail');
    const page = await client.send(new GetStatementResultCommand({ Id: count.Id! }));

    // Assert
    expect(d.Status).toBe('FAILED');
    expect(d.Error).toMatch(/relation "no_such_table" does not exist/);
    expect(d.SubStatements?.map((s) => s.Status)).toEqual(['FINISHED', 'FINISHED', 'FAILED', 'ABORTED']);
    expect(d.SubStatements?.[2]?.Error).toMatch(/no_such_table/);
    expect(page.Records).toEqual([[{ longValue: 0 }]]);
  });

  it('ends a bad statement FAILED with the PostgreSQL error, not an API error', async () => {
    // Act
    const syntax = await run('SELEC 1');
    const missing = await run('SELECT * FROM missing_table');
    const injected = await run('SELECT 1 /* inject-failure */');

    // Assert
    expect(syntax.Status).toBe('FAILED');
    expect(syntax.Error).toMatch(/^ERROR: syntax error at or near "SELEC"/);
    expect(missing.Error).toBe('ERROR: relation "missing_table" does not exist');
    expect(injected).toMatchObject({ Status: 'FAILED', Error: 'ERROR: injected failure' });
  });

  it('runs statements asynchronously: a queued statement is first SUBMITTED, then FINISHED', async () => {
    // Prepare: a slow statement holds the queue (the delay is injected: PGlite's pg_sleep would block the whole event loop).
    const slow = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1 /* slow */' }));

    // Act
    const quick = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1' }));
    const early = await client.send(new DescribeStatementCommand({ Id: quick.Id! }));
    const done = await waitFor(client, quick.Id!);

    // Assert
    expect(['SUBMITTED', 'PICKED']).toContain(early.Status);
    expect(done.Status).toBe('FINISHED');
    expect((await waitFor(client, slow.Id!)).Status).toBe('FINISHED');
  });

  it('answers a repeated ClientToken with the first statement (the SQL runs once)', async () => {
    // Prepare
    await run('CREATE TABLE idem (x INT)');
    const input = { ...TARGET, Sql: 'INSERT INTO idem VALUES (1)', ClientToken: 'token-idem-1' };

    // Act
    const a = await client.send(new ExecuteStatementCommand(input));
    const b = await client.send(new ExecuteStatementCommand(input));
    await waitFor(client, a.Id!);
    const count = await run('SELECT count(*) FROM idem');

    // Assert
    expect(b.Id).toBe(a.Id);
    expect((await client.send(new GetStatementResultCommand({ Id: count.Id! }))).Records).toEqual([[{ longValue: 1 }]]);
  });

  it('rejects invalid requests with the exceptions AWS names', async () => {
    // Act
    const empty = await rejection(client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: [] })));
    const tooMany = await rejection(client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: Array.from({ length: 41 }, () => 'SELECT 1') })));
    const tooBig = await rejection(client.send(new ExecuteStatementCommand({ ...TARGET, Sql: `SELECT '${'x'.repeat(100 * 1024)}'` })));
    const noDatabase = await rejection(client.send(new ExecuteStatementCommand({ Sql: 'SELECT 1', WorkgroupName: 'local' })));
    const unused = await rejection(client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1', Parameters: [{ name: 'x', value: '1' }] })));
    const unknown = await rejection(client.send(new DescribeStatementCommand({ Id: '0e2a6c1e-0000-4000-8000-000000000000' })));
    const unknownResult = await rejection(client.send(new GetStatementResultCommand({ Id: '0e2a6c1e-0000-4000-8000-000000000000' })));
    const malformed = await rejection(client.send(new DescribeStatementCommand({ Id: 'not-an-id' })));

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
  });

  it('accepts a statement of exactly 100 KB and a batch of 40', async () => {
    // Prepare
    const prefix = "SELECT length('";
    const suffix = "')";
    const sql = `${prefix}${'y'.repeat(100 * 1024 - prefix.length - suffix.length)}${suffix}`;

    // Act
    const big = await run(sql);
    const batch = await client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: Array.from({ length: 40 }, (_, i) => `SELECT ${i}`) }));

    // Assert
    expect(big.Status).toBe('FINISHED');
    expect((await waitFor(client, batch.Id!)).SubStatements).toHaveLength(40);
  });

  it('cancels a queued statement and lists statements by name', async () => {
    // Prepare
    const slow = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1 /* slow */' }));
    const queued = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 2', StatementName: 'named-cancel-me' }));

    // Act
    const cancel = await client.send(new CancelStatementCommand({ Id: queued.Id! }));
    const d = await waitFor(client, queued.Id!);
    await waitFor(client, slow.Id!);
    const again = await rejection(client.send(new CancelStatementCommand({ Id: queued.Id! })));
    const listed = await client.send(new ListStatementsCommand({ StatementName: 'named-cancel', Status: 'ALL' }));

    // Assert
    expect(cancel.Status).toBe(true);
    expect(d.Status).toBe('ABORTED');
    expect(again.name).toBe('ValidationException');
    expect(listed.Statements?.map((s) => [s.Id, s.Status, s.QueryString, s.IsBatchStatement])).toEqual([[queued.Id, 'ABORTED', 'SELECT 2', false]]);
  });

  it('cancels a running batch by rolling it back', async () => {
    // Prepare
    await run('CREATE TABLE cancelled (x INT)');
    const out = await client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: ['INSERT INTO cancelled VALUES (1)', 'SELECT 1 /* slow */'] }));
    for (let d = await client.send(new DescribeStatementCommand({ Id: out.Id! })); d.Status !== 'STARTED'; d = await client.send(new DescribeStatementCommand({ Id: out.Id! }))) {
      await new Promise((r) => setTimeout(r, 5));
    }

    // Act
    const cancel = await client.send(new CancelStatementCommand({ Id: out.Id! }));
    const d = await waitFor(client, out.Id!);
    const count = await run('SELECT count(*) FROM cancelled');

    // Assert
    expect(cancel.Status).toBe(true);
    expect(d.Status).toBe('ABORTED');
    expect((await client.send(new GetStatementResultCommand({ Id: count.Id! }))).Records).toEqual([[{ longValue: 0 }]]);
  });

  it('leaves quoted text, casts and comments alone when binding parameters', async () => {
    // Act
    const d = await run("SELECT ':a' AS literal, :a::INT + 1 AS n, $$:a$$ AS dollar /* :a */", { a: '41' });
    const page = await client.send(new GetStatementResultCommand({ Id: d.Id! }));

    // Assert
    expect(page.Records).toEqual([[{ stringValue: ':a' }, { longValue: 42 }, { stringValue: ':a' }]]);
  });

  it('binds a hostile parameter value as data, byte-exact', async () => {
    // Prepare
    const hostile = "it's; DROP TABLE people; -- \\ \"q\" 🚀 ünï \n end";

    // Act
    const d = await run('SELECT :v AS v, length(:v) AS len', { v: hostile });
    const page = await client.send(new GetStatementResultCommand({ Id: d.Id! }));
    const still = await run('SELECT count(*) FROM people');

    // Assert
    expect(page.Records).toEqual([[{ stringValue: hostile }, { longValue: [...hostile].length }]]);
    expect(still.Status).toBe('FINISHED');
  });

  it('runs the project’s migrations through its DataApi client, idempotently', async () => {
    // Prepare
    const api = new DataApi(client, { database: 'dev', workgroupName: 'local' }, { pollMs: 5 });

    // Act
    const first = await migrate((text) => api.execute(text), 'postgres');
    const second = await migrate((text) => api.execute(text), 'postgres');
    const applied = await api.execute('SELECT count(*) AS n FROM schema_migrations WHERE id = :id', { id: first[0] ?? '' });

    // Assert
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual([]);
    expect(applied).toEqual({ columns: ['n'], rows: [[1]] });
  });
});
