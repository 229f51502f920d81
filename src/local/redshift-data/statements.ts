/**
 * The statement store of the local Redshift Data API: statements are queued and run one at
 * a time against the SQL backend, asynchronously, as the real service does (a caller sees
 * SUBMITTED or STARTED, then FINISHED, FAILED or ABORTED through DescribeStatement). SQL
 * errors end a statement FAILED with `Error`; they are never API errors. Results are kept
 * in memory with a bounded history (oldest finished statements are forgotten first).
 */
import { randomUUID } from 'node:crypto';
import type { SqlBackend, SqlResult } from '../sql-backend.ts';
import { ApiError } from '../http-json.ts';
import type { SqlParameter } from './named-params.ts';

export type StatementStatus = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'ABORTED' | 'FAILED';

export const DONE: ReadonlySet<StatementStatus> = new Set(['FINISHED', 'ABORTED', 'FAILED']);

/** The statement id pattern AWS documents (a UUID, with `:n` for a batch's n-th statement). */
export const STATEMENT_ID = /^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$/;

export interface SubStatement {
  id: string;
  /** the SQL as the caller sent it */
  queryString: string;
  /** the SQL run (named parameters rewritten to `$n`) and its values */
  sql: string;
  values: string[];
  status: StatementStatus;
  error?: string;
  createdAt: number;
  updatedAt: number;
  durationNs: number;
  result?: SqlResult;
  hasResultSet: boolean;
  resultRows: number;
  resultSize: number;
  queryId: number;
}

export interface Statement {
  id: string;
  isBatch: boolean;
  subs: SubStatement[];
  status: StatementStatus;
  error?: string;
  createdAt: number;
  updatedAt: number;
  durationNs: number;
  parameters?: SqlParameter[];
  database?: string;
  clusterIdentifier?: string;
  workgroupName?: string;
  secretArn?: string;
  dbUser?: string;
  statementName?: string;
  clientToken?: string;
  withEvent?: boolean;
  pid: number;
  cancelRequested: boolean;
}

export interface StatementStoreOptions {
  backend: SqlBackend;
  /** returns an error text to make a statement FAILED without running it (tests) */
  failStatement?: (sql: string) => string | null;
  /** returns a delay in ms to make the statement with this SQL slow (tests: observe SUBMITTED, cancel) */
  delayStatement?: (sql: string) => number;
  /** statements kept for Describe/GetStatementResult (default 10 000) */
  maxHistory?: number;
  /** queued + running statements allowed before ActiveStatementsExceededException (default 500) */
  maxActive?: number;
}

export type NewStatement = Omit<Statement, 'id' | 'subs' | 'status' | 'createdAt' | 'updatedAt' | 'durationNs' | 'pid' | 'cancelRequested' | 'error'> & {
  sqls: { queryString: string; sql: string; values: string[] }[];
};

class Aborted extends Error {}

/** Approximate byte size of a result (what `ResultSize` reports). */
function resultSize(r: SqlResult): number {
  let size = 0;
  for (const row of r.rows) for (const v of row) size += v === null ? 0 : v instanceof Uint8Array ? v.length : Buffer.byteLength(String(v));
  return size;
}

/** Redshift prints errors as `ERROR: <message>`. */
function errorText(err: unknown): string {
  const msg = (err as Error)?.message ?? String(err);
  return /^ERROR:/.test(msg) ? msg : `ERROR: ${msg}`;
}

/**
 * Holds and runs the statements of one local Data API endpoint.
 *
 * @example
 * const store = new StatementStore({ backend });
 * const st = store.submit({ isBatch: false, sqls: [{ queryString: 'SELECT 1', sql: 'SELECT 1', values: [] }] });
 * await store.idle(); // store.get(st.id)?.status → 'FINISHED'
 */
export class StatementStore {
  private readonly statements = new Map<string, Statement>();
  private readonly byToken = new Map<string, string>();
  private readonly queue: Statement[] = [];
  private running: Statement | null = null;
  private pumping: Promise<void> | null = null;
  private nextQueryId = 1000;
  private closed = false;
  private readonly maxHistory: number;
  private readonly maxActive: number;

  constructor(private readonly options: StatementStoreOptions) {
    this.maxHistory = options.maxHistory ?? 10_000;
    this.maxActive = options.maxActive ?? 500;
  }

  /** The statement with an earlier request's `ClientToken`, if it is still known. */
  byClientToken(token: string): Statement | undefined {
    const id = this.byToken.get(token);
    return id === undefined ? undefined : this.statements.get(id);
  }

  /** Queues a statement (single or batch) and returns it at once, SUBMITTED. */
  submit(input: NewStatement): Statement {
    if (this.closed) throw new ApiError('InternalServerException', 'the local Data API is shutting down', 500);
    if (this.queue.length + (this.running ? 1 : 0) >= this.maxActive) {
      throw new ApiError('ActiveStatementsExceededException', `The number of active statements exceeds the limit of ${this.maxActive}.`, 400);
    }
    const now = Date.now();
    const id = randomUUID();
    const { sqls, ...rest } = input;
    const st: Statement = {
      ...rest,
      id,
      subs: sqls.map((s, i) => ({
        id: input.isBatch ? `${id}:${i + 1}` : id,
        queryString: s.queryString,
        sql: s.sql,
        values: s.values,
        status: 'SUBMITTED',
        createdAt: now,
        updatedAt: now,
        durationNs: 0,
        hasResultSet: false,
        resultRows: -1,
        resultSize: -1,
        queryId: 0,
      })),
      status: 'SUBMITTED',
      createdAt: now,
      updatedAt: now,
      durationNs: 0,
      pid: 1073741824 + (now % 100_000),
      cancelRequested: false,
    };
    this.statements.set(id, st);
    if (st.clientToken) this.byToken.set(st.clientToken, id);
    this.trim();
    this.queue.push(st);
    this.pump();
    return st;
  }

  /** A statement by id, or the sub-statement `id:n` of a batch (as `{ statement, sub }`). */
  find(id: string): { statement: Statement; sub?: SubStatement } | undefined {
    const colon = id.indexOf(':');
    const base = colon < 0 ? id : id.slice(0, colon);
    const statement = this.statements.get(base);
    if (!statement) return undefined;
    if (colon < 0) return { statement };
    if (!statement.isBatch) return undefined;
    const sub = statement.subs[Number(id.slice(colon + 1)) - 1];
    return sub ? { statement, sub } : undefined;
  }

  /** Newest first. */
  list(): Statement[] {
    return [...this.statements.values()].reverse();
  }

  /**
   * Cancels a statement: a queued one ends ABORTED at once; a running batch is rolled back
   * before its COMMIT. A running single statement cannot be stopped (answers false).
   */
  cancel(st: Statement): boolean {
    if (DONE.has(st.status)) throw new ApiError('ValidationException', `Could not cancel a query that is already in ${st.status} status.`, 400);
    const queued = this.queue.indexOf(st);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.finish(st, 'ABORTED', undefined, 0);
      for (const s of st.subs) s.status = 'ABORTED';
      return true;
    }
    if (st.isBatch) {
      st.cancelRequested = true;
      return true;
    }
    return false;
  }

  /** Resolves when no statement is queued or running. */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Stops taking statements, aborts the queued ones and waits for the running one. */
  async close(): Promise<void> {
    this.closed = true;
    for (const st of this.queue.splice(0)) {
      this.finish(st, 'ABORTED', 'ERROR: the local Data API was shut down', 0);
      for (const s of st.subs) s.status = 'ABORTED';
    }
    await this.idle();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = (async () => {
      // Let ExecuteStatement answer first, so callers can observe SUBMITTED.
      await new Promise<void>((r) => setImmediate(r));
      for (let st = this.queue.shift(); st; st = this.queue.shift()) {
        this.running = st;
        try {
          await this.run(st);
        } catch (err) {
          // Never leave a statement running when the engine itself fails.
          if (!DONE.has(st.status)) this.finish(st, 'FAILED', errorText(err), 0);
        }
        this.running = null;
      }
    })().finally(() => {
      this.pumping = null;
    });
  }

  private finish(st: Statement | SubStatement, status: StatementStatus, error: string | undefined, durationNs: number): void {
    st.status = status;
    if (error !== undefined) st.error = error;
    st.updatedAt = Date.now();
    st.durationNs = durationNs;
  }

  private async runOne(runner: Pick<SqlBackend, 'query'>, sub: SubStatement): Promise<void> {
    const delay = this.options.delayStatement?.(sub.queryString) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const injected = this.options.failStatement?.(sub.queryString) ?? null;
    if (injected !== null) throw new Error(injected);
    const result = await runner.query(sub.sql, sub.values);
    sub.result = result;
    sub.hasResultSet = result.columns.length > 0;
    sub.resultRows = result.rowCount;
    sub.resultSize = sub.hasResultSet ? resultSize(result) : 0;
  }

  private async run(st: Statement): Promise<void> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started);
    st.status = 'STARTED';
    st.updatedAt = Date.now();
    if (!st.isBatch) {
      const sub = st.subs[0]!;
      sub.status = 'STARTED';
      sub.queryId = this.nextQueryId++;
      try {
        // Autocommit, as a Data API statement without a session.
        await this.runOne(this.options.backend, sub);
        this.finish(sub, 'FINISHED', undefined, elapsed());
        this.finish(st, 'FINISHED', undefined, elapsed());
      } catch (err) {
        this.finish(sub, 'FAILED', errorText(err), elapsed());
        this.finish(st, 'FAILED', sub.error, elapsed());
      }
      return;
    }
    let current: SubStatement | undefined;
    try {
      await this.options.backend.transaction(async (tx) => {
        for (const sub of st.subs) {
          if (st.cancelRequested) throw new Aborted('cancelled');
          current = sub;
          const subStart = process.hrtime.bigint();
          sub.status = 'STARTED';
          sub.queryId = this.nextQueryId++;
          sub.updatedAt = Date.now();
          await this.runOne(tx, sub);
          this.finish(sub, 'FINISHED', undefined, Number(process.hrtime.bigint() - subStart));
        }
        current = undefined;
        // A cancel that arrived during the last statement still rolls the batch back.
        if (st.cancelRequested) throw new Aborted('cancelled');
      });
      this.finish(st, 'FINISHED', undefined, elapsed());
    } catch (err) {
      const aborted = err instanceof Aborted;
      for (const sub of st.subs) {
        if (sub === current) this.finish(sub, aborted ? 'ABORTED' : 'FAILED', aborted ? undefined : errorText(err), sub.durationNs || elapsed());
        else if (!DONE.has(sub.status)) this.finish(sub, 'ABORTED', undefined, 0);
      }
      const failed = st.subs.find((s) => s.status === 'FAILED');
      this.finish(st, aborted ? 'ABORTED' : 'FAILED', aborted ? undefined : (failed?.error ?? errorText(err)), elapsed());
    }
  }

  /** Forgets the oldest finished statements beyond the history bound. */
  private trim(): void {
    if (this.statements.size <= this.maxHistory) return;
    for (const [id, st] of this.statements) {
      if (this.statements.size <= this.maxHistory) break;
      if (!DONE.has(st.status)) continue;
      this.statements.delete(id);
      if (st.clientToken && this.byToken.get(st.clientToken) === id) this.byToken.delete(st.clientToken);
    }
  }
}
