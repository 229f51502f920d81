/**
 * The real local parts behind the workers, for exactly-once tests under faults: a DynamoDB
 * backend (dynalite or DynamoDB Local), the Redshift stand-in (PGlite or PostgreSQL) behind
 * the local Redshift Data API and Firehose endpoints, and workers built the way the Lambda
 * handlers build them (`loadConfig` → `createSinks` → `createWorker`), one per shard as
 * Lambda runs one sandbox per shard.
 *
 * Faults go where real ones arise, and each is counted so tests can prove it happened:
 * - throttling and lost acknowledgements (the write lands, then the client sees an error)
 *   as SDK middleware on the workers' own clients;
 * - a sandbox that dies mid-emit (after some writes landed, every later call fails and the
 *   invocation ends in a function error), also as SDK middleware;
 * - crashes between sink writes through the workers' own `CHAOS` setting;
 * - Data API statements that end FAILED (`faults.failStatement`) and Firehose entries that
 *   fail inside a successful PutRecordBatch (`faults.failRecord`), in the local endpoints.
 * Rates live in a mutable `FaultPlan` so a test can change them between runs.
 */
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadConfig, type Config } from '../../src/config.ts';
import { ChaosCrashError } from '../../src/errors.ts';
import { startFirehoseServer, type FirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { createPgliteBackend, createPostgresBackend, type SqlBackend } from '../../src/local/sql-backend.ts';
import { createSinks, type WorkerSinks } from '../../src/sinks/create-sinks.ts';
import { ensureTables } from '../../src/sinks/dynamodb/tables.ts';
import { deliveryStreamConfig } from '../../src/sinks/firehose-sink.ts';
import { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import type { StreamKind } from '../../src/types.ts';
import { createWorker } from '../../src/worker.ts';
import { startBackend, type Backend } from '../sinks/dynamodb/backends.ts';
import { REF_OPTIONS } from './reference.ts';
import { rng } from './scenario.ts';

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CREDS = { accessKeyId: 'x', secretAccessKey: 'x' };

type Service = 'dynamodb' | 'firehose' | 'redshiftData';

/** Fault rates; all 0 means no fault. */
export interface FaultPlan {
  /** share of SDK calls answered with a throttling error before they are sent, per service */
  throttle: Record<Service, number>;
  /** limits throttling to the calls this accepts (all when absent) */
  throttleOnly?: (commandName: string, input: Record<string, unknown>) => boolean;
  /** share of SDK calls that land and then fail on the client (the answer is lost) */
  lostAck: Record<Service, number>;
  /** per invocation: the sandbox dies once 1–12 of its writes landed (every later call fails, the invocation ends in a function error) */
  die: number;
  /** per step between sink writes: `CHAOS=crash=p` of the worker */
  crash: number;
  /** per mirror statement: it ends FAILED (half of them as a serialisation conflict, which the mirror retries itself) */
  failStatement: number;
  /** per Firehose entry: it fails inside a successful PutRecordBatch */
  failRecord: number;
  /** `SINK_RETRY_ATTEMPTS` of workers built from now on (low: sinks give up, batches fail partly) */
  sinkRetryAttempts: number;
}

export const NO_FAULTS: FaultPlan = {
  throttle: { dynamodb: 0, firehose: 0, redshiftData: 0 },
  lostAck: { dynamodb: 0, firehose: 0, redshiftData: 0 },
  die: 0,
  crash: 0,
  failStatement: 0,
  failRecord: 0,
  sinkRetryAttempts: 6,
};

/** How often each injected fault actually happened. */
export interface FaultCounts {
  throttled: number;
  lostAcks: number;
  deaths: number;
  /** … of which after at least one write of the invocation had landed (all of them, by construction; counted to prove it) */
  deathsAfterWrites: number;
  crashes: number;
  failedStatements: number;
  statementConflicts: number;
  failedRecords: number;
}

export const emptyFaultCounts = (): FaultCounts => ({ throttled: 0, lostAcks: 0, deaths: 0, deathsAfterWrites: 0, crashes: 0, failedStatements: 0, statementConflicts: 0, failedRecords: 0 });

export interface StackOptions {
  dynamo: Backend['name'];
  sql: 'pglite' | 'postgres';
  seed: number;
}

export interface Tables {
  metrics: string;
  dedupe: string;
  badRecords: string;
}

/** The commands that write (what a death after some writes must come after). */
const WRITES = new Set(['UpdateItemCommand', 'PutItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand', 'PutRecordBatchCommand', 'BatchExecuteStatementCommand', 'ExecuteStatementCommand']);

class SandboxDiedError extends Error {
  constructor() {
    super('the sandbox died mid-emit (injected)');
    // Not retryable: nothing runs after a sandbox dies.
    this.name = 'SandboxDiedError';
  }
}

/** The SDK error a throttled call gets, by service (names the sinks' retry knows). */
function throttleError(service: Service): Error {
  const name = service === 'dynamodb' ? 'ProvisionedThroughputExceededException' : service === 'firehose' ? 'ServiceUnavailableException' : 'ThrottlingException';
  return Object.assign(new Error(`${name} (injected)`), { name, $fault: 'client', $metadata: { httpStatusCode: service === 'firehose' ? 503 : 400 } });
}

/** What a client sees when the response of a call that landed is lost: a timeout. */
function lostAckError(): Error {
  return Object.assign(new Error('socket hang up after the request was sent (injected: the call landed)'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
}

/** One Lambda sandbox: a worker with its own clients, as a cold start builds it. */
interface Sandbox {
  handle: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
  sinks: WorkerSinks;
  /** dead: the sandbox died; landed: writes of the current invocation that reached their endpoint; dieAfter: when to die */
  state: { dead: boolean; landed: number; dieAfter: number };
  /** the sandbox's own draws, one sequence per invocation (deterministic: invocations of a shard run one at a time) */
  random: () => number;
}

/**
 * The running local parts and the workers on them.
 *
 * @example
 * const stack = await startSinkStack({ dynamo: 'dynalite', sql: 'pglite', seed: 1 });
 * const tables = await stack.freshTables('case1');
 * const invoke = stack.invoker('clickstream/shardId-000000000000', tables);
 */
export class SinkStack {
  plan: FaultPlan = { ...NO_FAULTS };
  counts: FaultCounts = emptyFaultCounts();
  /** Data API client without faults, for migrations and reading the tables back */
  readonly reader: DataApi;
  private readonly sandboxes = new Set<Sandbox>();
  private generation = 0;

  private constructor(
    readonly options: StackOptions,
    readonly backend: Backend,
    readonly sql: SqlBackend,
    readonly dataServer: RedshiftDataServer,
    readonly firehose: FirehoseServer,
    private readonly schema: string | null,
    private readonly readerClient: RedshiftDataClient,
  ) {
    this.reader = new DataApi(readerClient, { database: 'dev', workgroupName: 'local' }, { pollMs: 5 });
  }

  static async start(options: StackOptions): Promise<SinkStack> {
    const backend = await startBackend(options.dynamo);
    const schema = options.sql === 'postgres' ? `xo_${options.dynamo.replace(/-/g, '_')}_${process.pid}_${Date.now() % 1e6}` : null;
    const sql = schema ? await createPostgresBackend(PG_URL, { schema }) : await createPgliteBackend();
    // The endpoints' fault hooks read the stack's plan; their own seeded stream of draws.
    const holder: { stack?: SinkStack } = {};
    const serverRandom = rng(options.seed ^ 0x5eed);
    const dataServer = await startRedshiftDataServer({
      backend: sql,
      faults: {
        failStatement: (text) => {
          const s = holder.stack;
          // Only the mirror's loads: statements that move rows into the metric tables.
          if (!s || s.plan.failStatement <= 0 || !/^(INSERT INTO stage_metric_|DELETE FROM metric_|INSERT INTO metric_)/.test(text)) return null;
          if (serverRandom() >= s.plan.failStatement) return null;
          if (serverRandom() < 0.5) {
            s.counts.statementConflicts++;
            return 'ERROR: 1023 DETAIL: Serializable isolation violation on table (injected)';
          }
          s.counts.failedStatements++;
          return 'ERROR: could not extend file: No space left on device (injected)';
        },
      },
    });
    const firehose = await startFirehoseServer({
      backend: sql,
      flushIntervalMs: 2_000,
      faults: {
        failRecord: () => {
          const s = holder.stack;
          if (!s || s.plan.failRecord <= 0 || serverRandom() >= s.plan.failRecord) return false;
          s.counts.failedRecords++;
          return true;
        },
      },
    });
    const readerClient = new RedshiftDataClient({ endpoint: dataServer.url, region: 'us-east-1', credentials: CREDS });
    const stack = new SinkStack(options, backend, sql, dataServer, firehose, schema, readerClient);
    holder.stack = stack;
    await migrate((s) => stack.reader.execute(s), 'postgres');
    const config = stack.config({ metrics: 'unused', dedupe: 'unused', badRecords: 'unused' });
    const { clients } = await stack.createSinks(config, 'clickstream');
    for (const stream of ['clickstream', 'transactions'] as const) {
      await clients.firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, config.firehose[stream], { database: 'dev' })));
    }
    for (const c of Object.values(clients)) c.destroy();
    return stack;
  }

  /** Switches to `plan` (NO_FAULTS where it says nothing) and starts counting afresh. */
  setFaults(plan: Partial<FaultPlan>): void {
    this.plan = { ...NO_FAULTS, ...plan };
    this.counts = emptyFaultCounts();
  }

  /** No more faults (the counts stay, to be checked). */
  stopFaults(): void {
    this.plan = { ...NO_FAULTS };
  }

  /** The variables through which the SDK finds this stack's endpoints (as the handlers do on the local stack). */
  private endpointEnv(): Record<string, string> {
    return {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: this.backend.endpoint,
      AWS_ENDPOINT_URL_FIREHOSE: this.firehose.url,
      AWS_ENDPOINT_URL_REDSHIFT_DATA: this.dataServer.url,
    };
  }

  /**
   * `createSinks` with this stack's endpoints in the environment. The SDK reads endpoints
   * and credentials lazily, so they are resolved before the variables are put back; the
   * lock lets two stacks build sandboxes at the same time.
   */
  private createSinks(config: Config, stream: StreamKind): Promise<WorkerSinks> {
    return withEnv(this.endpointEnv(), async () => {
      const sinks = createSinks(config, stream);
      await Promise.all(Object.values(sinks.clients).map((c) => resolveLazyConfig(c)));
      return sinks;
    });
  }

  /** The workers' configuration, as the handlers load it from their environment. */
  config(tables: Tables): Config {
    return loadConfig({
      ...process.env,
      AWS_REGION: 'us-east-1',
      METRICS_TABLE: tables.metrics,
      DEDUPE_TABLE: tables.dedupe,
      BAD_RECORDS_TABLE: tables.badRecords,
      REDSHIFT_DIALECT: 'postgres',
      REDSHIFT_WORKGROUP: 'local',
      REDSHIFT_DATABASE: 'dev',
      // As deployed: transactional claims where `up` runs them (dynalite), one put per claim
      // where AWS runs them by default (DynamoDB Local stands in for AWS).
      DEDUPE_WRITES: this.options.dynamo === 'dynalite' ? 'transact' : 'single',
      CLICKSTREAM_DEDUPE: 'exact',
      // The reference's settings, spelled out so a change of defaults cannot split them.
      ALLOWED_LATENESS_SECONDS: String(REF_OPTIONS.validate.allowedLatenessMs / 1000),
      FUTURE_TOLERANCE_SECONDS: String(REF_OPTIONS.validate.futureToleranceMs / 1000),
      DEDUPE_HORIZON_CLICKSTREAM_SECONDS: String(REF_OPTIONS.horizonsMs.clickstream / 1000),
      DEDUPE_HORIZON_TRANSACTIONS_SECONDS: String(REF_OPTIONS.horizonsMs.transactions / 1000),
      INTERNAL_CIDRS: '',
      MAX_RECORD_BYTES: String(REF_OPTIONS.maxRecordBytes),
      SINK_RETRY_ATTEMPTS: String(this.plan.sinkRetryAttempts),
      CHAOS: this.plan.crash > 0 ? `crash=${this.plan.crash}` : 'off',
    });
  }

  /** New, empty DynamoDB tables (one set per test case or soak). */
  async freshTables(prefix: string): Promise<Tables> {
    const id = `${prefix}-${process.pid}-${++this.generation}`;
    const tables = { metrics: `${id}-metrics`, dedupe: `${id}-dedupe`, badRecords: `${id}-bad` };
    const ddb = this.backend.client();
    await ensureTables(ddb, tables);
    ddb.destroy();
    return tables;
  }

  /** Empties the Redshift tables the workers fill (metrics mirror and event tables). */
  async truncateRedshift(): Promise<void> {
    await this.firehose.flush();
    await this.reader.execute('TRUNCATE metric_counters, metric_sketches, clickstream_events, transactions');
  }

  /**
   * A Lambda-like invoker for one shard: a sandbox (worker) built on first use and after
   * every function error (a crash ends the sandbox; the retry gets a cold start). A
   * sandbox that died mid-emit ends the invocation in a function error whatever the
   * handler returned.
   */
  invoker(stream: StreamKind, shardKey: string, tables: Tables, seed: number): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
    let sandbox: Sandbox | null = null;
    let starts = 0;
    return async (event) => {
      sandbox ??= await this.coldStart(stream, tables, (seed * 31 + hash(shardKey)) ^ ++starts);
      const current = sandbox;
      current.state.landed = 0;
      current.state.dieAfter = this.plan.die > 0 && current.random() < this.plan.die ? 1 + Math.floor(current.random() * 12) : Infinity;
      try {
        const out = await current.handle(event);
        if (current.state.dead) throw new SandboxDiedError();
        return out;
      } catch (err) {
        if (err instanceof ChaosCrashError) this.counts.crashes++;
        this.retire(current);
        sandbox = null;
        throw err;
      }
    };
  }

  private async coldStart(stream: StreamKind, tables: Tables, seed: number): Promise<Sandbox> {
    const config = this.config(tables);
    const sinks = await this.createSinks(config, stream);
    // Separate streams: the crash points must not move when the calls' draws interleave differently.
    const random = rng(seed);
    const callRandom = rng(seed ^ 0x7f4a7c15);
    const state = { dead: false, landed: 0, dieAfter: Infinity };
    for (const [service, client] of Object.entries(sinks.clients) as [Service, { middlewareStack: DynamoDBClient['middlewareStack'] }][]) {
      this.addFaults(client, service, callRandom, state);
    }
    const worker = createWorker(stream, { config, sinks: sinks.sinks, dedupeStore: sinks.dedupeStore, random });
    const sandbox: Sandbox = { handle: (e) => worker.handle(e), sinks, state, random: rng(seed ^ 0x2545f491) };
    this.sandboxes.add(sandbox);
    return sandbox;
  }

  /**
   * The SDK middleware of a sandbox's clients: throttling before the call, a lost answer
   * after it, or the sandbox's death. Added before the first call (the clients cache their
   * middleware stack).
   */
  private addFaults(client: { middlewareStack: DynamoDBClient['middlewareStack'] }, service: Service, random: () => number, state: Sandbox['state']): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const write = WRITES.has((context as { commandName?: string }).commandName ?? '');
        if (state.dead) throw new SandboxDiedError();
        if (state.landed >= state.dieAfter) {
          state.dead = true;
          this.counts.deaths++;
          if (state.landed > 0) this.counts.deathsAfterWrites++;
          throw new SandboxDiedError();
        }
        const only = this.plan.throttleOnly;
        const throttled = only === undefined || only((context as { commandName?: string }).commandName ?? '', (args as { input: Record<string, unknown> }).input);
        if (throttled && this.plan.throttle[service] > 0 && random() < this.plan.throttle[service]) {
          this.counts.throttled++;
          throw throttleError(service);
        }
        if (this.plan.lostAck[service] > 0 && random() < this.plan.lostAck[service]) {
          await next(args);
          if (write) state.landed++;
          this.counts.lostAcks++;
          throw lostAckError();
        }
        const out = await next(args);
        if (write) state.landed++;
        return out;
      },
      { step: 'initialize', name: 'testFaults' },
    );
  }

  private retire(s: Sandbox): void {
    this.sandboxes.delete(s);
    for (const c of Object.values(s.sinks.clients)) c.destroy();
  }

  /** Ends every sandbox (their clients' sockets). */
  retireAll(): void {
    for (const s of [...this.sandboxes]) this.retire(s);
  }

  async deleteTables(tables: Tables): Promise<void> {
    const ddb = this.backend.client();
    for (const t of Object.values(tables)) await ddb.send(new DeleteTableCommand({ TableName: t })).catch(() => {});
    ddb.destroy();
  }

  async stop(): Promise<void> {
    this.retireAll();
    await this.firehose.close().catch(() => {});
    await this.dataServer.close().catch(() => {});
    this.readerClient.destroy();
    if (this.schema) await this.sql.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`).catch(() => {});
    await this.sql.close();
    await this.backend.stop();
  }
}

let envQueue: Promise<unknown> = Promise.resolve();

/** Runs `fn` with `env` added to `process.env`, one caller at a time, then puts the variables back. */
function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const run = envQueue.then(async () => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      return await fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
  envQueue = run.catch(() => {});
  return run;
}

/** Resolves what an SDK client reads from the environment on first use: its configured endpoint and its credentials. */
async function resolveLazyConfig(client: { config: unknown }): Promise<void> {
  const config = client.config as { serviceConfiguredEndpoint?: () => Promise<unknown>; credentials?: () => Promise<unknown> };
  await config.serviceConfiguredEndpoint?.();
  await config.credentials?.();
}

/** A small stable hash of a string (FNV-1a), to derive per-shard seeds. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
