/**
 * The local Redshift Data API endpoint's own behaviour: PostgreSQL's types and errors as the
 * Data API shows them, result paging, the asynchronous queue and cancellation (with injected
 * delays and failures), parameter binding around PostgreSQL syntax, and the project's
 * migrations. The API contract alone (SDK only, no hooks) is in `protocol.test.ts`, which
 * can run against AWS.
 */
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

  it('ends a statement FAILED with an injected error (fault hook)', async () => {
    // Act
    const injected = await run('SELECT 1 /* inject-failure */');

    // Assert
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
