import { DescribeStatementCommand, ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../../src/local/redshift-data/server.ts';
import { BACKENDS, CREDENTIALS, REGION, rejection, waitFor, type OpenBackend } from './support.ts';

const TARGET = { Database: 'dev', WorkgroupName: 'local' };
// One engine is enough here: these limits live in the endpoint, not in the SQL engine.
const pglite = BACKENDS.find((b) => b.name === 'pglite')!;

describe('local Redshift Data API limits', () => {
  let db: OpenBackend;
  let server: RedshiftDataServer;
  let client: RedshiftDataClient;

  beforeAll(async () => {
    db = await pglite.open();
    server = await startRedshiftDataServer({
      backend: db.backend,
      maxHistory: 3,
      maxActiveStatements: 2,
      faults: { delayStatement: (sql) => (sql.includes('/* slow */') ? 300 : 0) },
    });
    client = new RedshiftDataClient({ region: REGION, endpoint: server.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await db?.dispose();
  });

  it('refuses statements beyond the active limit with ActiveStatementsExceededException', async () => {
    // Prepare
    const a = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 1 /* slow */' }));
    const b = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 2 /* slow */' }));

    // Act
    const err = await rejection(client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 3' })));
    await waitFor(client, a.Id!);
    await waitFor(client, b.Id!);
    const later = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'SELECT 4' }));

    // Assert
    expect(err.name).toBe('ActiveStatementsExceededException');
    expect((await waitFor(client, later.Id!)).Status).toBe('FINISHED');
  });

  it('keeps a bounded history: the oldest finished statements are forgotten', async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: `SELECT ${i}` }));
      await waitFor(client, out.Id!);
      ids.push(out.Id!);
    }

    // Act
    const oldest = await rejection(client.send(new DescribeStatementCommand({ Id: ids[0]! })));
    const newest = await client.send(new DescribeStatementCommand({ Id: ids[4]! }));

    // Assert
    expect(oldest.name).toBe('ResourceNotFoundException');
    expect(newest.Status).toBe('FINISHED');
  });
});
