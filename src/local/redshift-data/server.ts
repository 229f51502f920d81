/**
 * A local, protocol-compatible Amazon Redshift Data API endpoint over a `SqlBackend`
 * (PGlite or PostgreSQL). `@aws-sdk/client-redshift-data` pointed at `url` works unchanged
 * (JSON 1.1, `X-Amz-Target: RedshiftData.<Operation>`).
 *
 * Operations: ExecuteStatement, BatchExecuteStatement, DescribeStatement,
 * GetStatementResult, CancelStatement, ListStatements. Statements run asynchronously, one at
 * a time, in the order received; the SQL is PostgreSQL's dialect, not Redshift's (see
 * DESIGN-NOTES for the portable subset).
 */
import type { SqlBackend } from '../sql-backend.ts';
import { startJsonService } from '../http-json.ts';
import { batchExecuteStatement } from './batch-execute-statement.ts';
import { cancelStatement } from './cancel-statement.ts';
import type { DataApiContext } from './common.ts';
import { describeStatement } from './describe-statement.ts';
import { executeStatement } from './execute-statement.ts';
import { getStatementResult } from './get-statement-result.ts';
import { listStatements } from './list-statements.ts';
import { StatementStore } from './statements.ts';

export interface RedshiftDataServerOptions {
  backend: SqlBackend;
  port?: number;
  host?: string;
  faults?: {
    /** return an error text to make the statement with this SQL end FAILED (not run) */
    failStatement?: (sql: string) => string | null;
    /** return a delay in ms to make the statement with this SQL slow (without blocking the event loop, as PGlite's pg_sleep would) */
    delayStatement?: (sql: string) => number;
  };
  /** rows per GetStatementResult page (default 1000) */
  pageSize?: number;
  /** statements remembered for Describe/GetStatementResult (default 10 000) */
  maxHistory?: number;
  /** queued + running statements before ActiveStatementsExceededException (default 500) */
  maxActiveStatements?: number;
}

export interface RedshiftDataServer {
  url: string;
  /** resolves when every submitted statement has ended */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the local Redshift Data API endpoint.
 *
 * @example
 * const api = await startRedshiftDataServer({ backend: await createPgliteBackend() });
 * const client = new RedshiftDataClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * const { Id } = await client.send(new ExecuteStatementCommand({ Sql: 'SELECT 1', Database: 'dev' }));
 */
export async function startRedshiftDataServer(options: RedshiftDataServerOptions): Promise<RedshiftDataServer> {
  const store = new StatementStore({
    backend: options.backend,
    ...(options.faults?.failStatement ? { failStatement: options.faults.failStatement } : {}),
    ...(options.faults?.delayStatement ? { delayStatement: options.faults.delayStatement } : {}),
    ...(options.maxHistory !== undefined ? { maxHistory: options.maxHistory } : {}),
    ...(options.maxActiveStatements !== undefined ? { maxActive: options.maxActiveStatements } : {}),
  });
  const ctx: DataApiContext = { store, pageSize: options.pageSize ?? 1000 };
  const service = await startJsonService({
    targetPrefix: 'RedshiftData',
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    internalError: { type: 'InternalServerException', status: 500 },
    operations: {
      ExecuteStatement: (i) => executeStatement(ctx, i),
      BatchExecuteStatement: (i) => batchExecuteStatement(ctx, i),
      DescribeStatement: (i) => describeStatement(ctx, i),
      GetStatementResult: (i) => getStatementResult(ctx, i),
      CancelStatement: (i) => cancelStatement(ctx, i),
      ListStatements: (i) => listStatements(ctx, i),
    },
  });
  return {
    url: service.url,
    idle: () => store.idle(),
    async close() {
      await service.close();
      await store.close();
    },
  };
}
