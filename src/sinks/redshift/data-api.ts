/**
 * A small client over the Redshift Data API: run a statement (or a batch of them in one
 * transaction), wait for it, and read its result.
 *
 * The Data API is asynchronous: `ExecuteStatement` returns an id, and the outcome comes from
 * polling `DescribeStatement`. SQL errors are not API errors but a `FAILED` status with an
 * `Error` text; they surface here as `StatementFailedError`. Each API call is a round trip
 * and is what the mirror pays per batch, so polling starts with a short delay (most of our
 * statements finish in tens of milliseconds) and backs off from there; `stats.calls` counts
 * every call, retries included.
 *
 * Parameters: the Data API's `SqlParameter` is `{ name, value }` with a non-empty string
 * value and no null flag. So numbers and booleans are sent as their text (the database casts
 * them; write `CAST(:p AS BIGINT)` where the type matters), and `null` and `''` — which
 * cannot be sent — are written into the SQL in place of their `:name` placeholder as `NULL`
 * and `''` (constants, never input, so this is safe).
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type DescribeStatementCommandOutput,
  type Field,
  type RedshiftDataClient,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { randomUUID } from 'node:crypto';
import { SinkError, StatementFailedError } from '../../errors.ts';
import { withRetry, type RetryOptions } from '../retry.ts';

/** Where statements run: a Serverless workgroup or a provisioned cluster, and how to log in. */
export interface RedshiftTarget {
  database: string;
  workgroupName?: string;
  clusterIdentifier?: string;
  secretArn?: string;
  dbUser?: string;
}

export type SqlParamValue = string | number | boolean | null;

export interface DataApiOptions {
  /**
   * delay before the first DescribeStatement until statements have been timed, and the
   * shortest delay ever, ms (default 25); afterwards the first poll waits about as long as
   * statements have lately taken
   */
  pollMs?: number;
  /** longest wait between polls, ms (default 1000) */
  maxPollMs?: number;
  /** give up waiting for a statement after this long, ms (default 120 000) */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
}

export interface StatementResult {
  columns: string[];
  rows: unknown[][];
}

const DONE = new Set(['FINISHED', 'FAILED', 'ABORTED']);

/** The JavaScript value of one Data API field (`null` for `isNull`). */
export function fieldValue(f: Field): unknown {
  if (f.isNull) return null;
  if (f.stringValue !== undefined) return f.stringValue;
  if (f.longValue !== undefined) return f.longValue;
  if (f.doubleValue !== undefined) return f.doubleValue;
  if (f.booleanValue !== undefined) return f.booleanValue;
  if (f.blobValue !== undefined) return f.blobValue;
  return null;
}

/**
 * Rewrites `:name` placeholders whose value cannot be a Data API parameter (null, empty
 * string) into SQL constants, skipping quoted literals, quoted identifiers and `::` casts.
 */
function inlineUnsendable(sql: string, inline: Map<string, string>): string {
  if (inline.size === 0) return sql;
  let out = '';
  for (let i = 0; i < sql.length; ) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
      continue;
    }
    if (ch === ':') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1));
      if (m && inline.has(m[0])) {
        out += inline.get(m[0]);
        i += 1 + m[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

/**
 * Runs SQL through the Redshift Data API and waits for the outcome.
 *
 * @example
 * const api = new DataApi(new RedshiftDataClient({}), { database: 'dev', workgroupName: 'wg' });
 * const { rows } = await api.execute('SELECT value FROM metric_counters WHERE metric = :m', { m: 'orders' });
 * await api.batch(['CREATE TEMP TABLE s (LIKE metric_counters)', 'INSERT INTO s VALUES (…)']);
 */
export class DataApi {
  readonly stats = { calls: 0, statements: 0 };
  private readonly pollMs: number;
  private readonly maxPollMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** how long statements have lately taken, ms (moving average of DescribeStatement's Duration) */
  private typicalMs: number | undefined;

  constructor(
    private readonly client: RedshiftDataClient,
    readonly target: RedshiftTarget,
    private readonly options: DataApiOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 25;
    this.maxPollMs = options.maxPollMs ?? 1_000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  }

  private targetInput() {
    const t = this.target;
    return {
      Database: t.database,
      ...(t.workgroupName ? { WorkgroupName: t.workgroupName } : {}),
      ...(t.clusterIdentifier ? { ClusterIdentifier: t.clusterIdentifier } : {}),
      ...(t.secretArn ? { SecretArn: t.secretArn } : {}),
      ...(t.dbUser ? { DbUser: t.dbUser } : {}),
    };
  }

  /**
   * Sends one command with retries of transient errors, counting every attempt. Execute
   * commands carry one `ClientToken` for all their attempts (the SDK would draw a new one
   * per attempt), so that a retry after a lost response does not run the SQL twice.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private send<T>(command: any): Promise<T> {
    return withRetry(() => {
      this.stats.calls++;
      return this.client.send(command) as Promise<T>;
    }, this.options.retry);
  }

  /**
   * Runs one statement with named parameters (`:name`), waits for it and returns its rows
   * (all pages). Throws `StatementFailedError` when the statement fails.
   */
  async execute(sql: string, params: Record<string, SqlParamValue> = {}): Promise<StatementResult> {
    const inline = new Map<string, string>();
    const parameters: SqlParameter[] = [];
    for (const [name, value] of Object.entries(params)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`bad parameter name: ${JSON.stringify(name)}`);
      if (value === null) inline.set(name, 'NULL');
      else if (value === '') inline.set(name, "''");
      else if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw new RangeError(`parameter ${name} is not a finite number: ${value}`);
        parameters.push({ name, value: String(value) });
      } else parameters.push({ name, value: String(value) });
    }
    const text = inlineUnsendable(sql, inline);
    const out = await this.send<{ Id?: string }>(
      new ExecuteStatementCommand({ ...this.targetInput(), ClientToken: randomUUID(), Sql: text, ...(parameters.length > 0 ? { Parameters: parameters } : {}) }),
    );
    this.stats.statements++;
    const desc = await this.wait(out.Id!);
    if (!desc.HasResultSet) return { columns: [], rows: [] };
    return this.results(out.Id!);
  }

  /**
   * Runs 1–40 statements as one transaction (`BatchExecuteStatement`) and waits for them.
   * Throws `StatementFailedError` when any fails (the transaction is rolled back).
   */
  async batch(sqls: string[]): Promise<void> {
    if (sqls.length < 1 || sqls.length > 40) throw new RangeError(`a batch holds 1–40 statements, got ${sqls.length}`);
    const out = await this.send<{ Id?: string }>(new BatchExecuteStatementCommand({ ...this.targetInput(), ClientToken: randomUUID(), Sqls: sqls }));
    this.stats.statements += sqls.length;
    await this.wait(out.Id!);
  }

  /**
   * Polls DescribeStatement until the statement is done. The first poll comes after about
   * as long as statements have lately taken (a few ms on the local endpoint, hundreds on
   * Redshift), so that a statement usually costs one poll; a miss falls back to a short
   * delay, doubling.
   */
  private async wait(id: string): Promise<DescribeStatementCommandOutput> {
    const started = Date.now();
    const typical = this.typicalMs;
    let delay = typical === undefined ? this.pollMs : Math.min(this.timeoutMs, Math.max(this.pollMs, Math.round(typical)));
    for (let polls = 0; ; polls++) {
      await this.sleep(delay);
      const desc = await this.send<DescribeStatementCommandOutput>(new DescribeStatementCommand({ Id: id }));
      const status = desc.Status ?? 'UNKNOWN';
      if (status === 'FINISHED') {
        // Duration is in nanoseconds; without it, the time until this poll (an upper bound).
        const ms = desc.Duration !== undefined && desc.Duration > 0 ? desc.Duration / 1e6 : Date.now() - started;
        this.typicalMs = this.typicalMs === undefined ? ms : 0.7 * this.typicalMs + 0.3 * ms;
        return desc;
      }
      if (DONE.has(status)) {
        // For a batch, the failing sub-statement carries the detail.
        const sub = desc.SubStatements?.find((s) => s.Status === 'FAILED' || s.Error);
        throw new StatementFailedError(id, status, desc.Error ?? sub?.Error ?? 'no error text');
      }
      if (Date.now() - started > this.timeoutMs) throw new SinkError('redshift-data', `statement ${id} still ${status} after ${this.timeoutMs} ms`);
      // A miss: slower than usual, so probably nearly done: a quarter of the usual time
      // again, then backing off.
      delay = polls === 0 && typical !== undefined ? Math.max(this.pollMs, Math.min(this.maxPollMs, Math.round(typical / 4))) : Math.min(this.maxPollMs, delay * 2);
    }
  }

  private async results(id: string): Promise<StatementResult> {
    let columns: string[] = [];
    const rows: unknown[][] = [];
    let token: string | undefined;
    do {
      const page = await this.send<{ Records?: Field[][]; ColumnMetadata?: { name?: string; label?: string }[]; NextToken?: string }>(
        new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) }),
      );
      if (page.ColumnMetadata && columns.length === 0) columns = page.ColumnMetadata.map((c) => c.label ?? c.name ?? '');
      for (const r of page.Records ?? []) rows.push(r.map(fieldValue));
      token = page.NextToken || undefined;
    } while (token);
    return { columns, rows };
  }
}
