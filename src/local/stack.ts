/**
 * The local stack behind `stream-metrics up`, as a library (the end-to-end tests start it
 * in-process): endpoints, resources, pollers running the real handlers, producer.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateDeliveryStreamCommand, ListDeliveryStreamsCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError, portInUseError } from '../errors.ts';
import { createClickstreamGenerator, createTransactionGenerator } from '../generate/index.ts';
import { FUNCTIONS, RESOURCE_NAMES, type FunctionSettings } from '../settings.ts';
import { createClient } from '../sinks/clients.ts';
import { ensureTables } from '../sinks/dynamodb/tables.ts';
import { deliveryStreamConfig } from '../sinks/firehose-sink.ts';
import { DataApi } from '../sinks/redshift/data-api.ts';
import { migrate } from '../sinks/redshift/migrations.ts';
import type { StreamKind } from '../types.ts';
import { startDynaliteProcess } from './dynalite-process.ts';
import { startEndpointsThread } from './endpoints-thread.ts';
import { installKinesalitePatches } from './kinesalite-sequence.ts';
import { DynamoCheckpointStore } from './poller/checkpoint-store.ts';
import { FileFailureDestination } from './poller/on-failure.ts';
import { workerInvoker } from './poller/invoker.ts';
import type { LogSink } from './log-sink.ts';
import { KinesisPoller } from './poller/poller.ts';
import { createKinesisClient, produce } from './producer.ts';

const require = createRequire(import.meta.url);
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface StackOptions {
  /** project root (for the handler files) */
  root: string;
  /** kinesis, dynamodb, firehose, redshiftData ports (0 = any free port) */
  ports: number[];
  dataDir: string;
  /** keep kinesalite/dynalite/PGlite state on disk under dataDir */
  persistent: boolean;
  pgUrl?: string;
  chaos: string;
  shards: number;
  functions?: Record<StreamKind, FunctionSettings>;
  /** overrides of the event source mapping settings (tests) */
  eventSource?: Partial<FunctionSettings['eventSource']>;
  /** extra worker environment (tests) */
  env?: Record<string, string>;
  /** progress and poller failure lines (default: nowhere) */
  log?: (line: string) => void;
  /** the workers' output, whole lines (default: this process's stderr) */
  workerLog?: (lines: string) => void;
}

export interface Stack {
  region: string;
  dataDir: string;
  endpoints: { kinesis: string; dynamodb: string; firehose: string; redshiftData: string };
  /** environment that points the SDK and the workers at this stack */
  env: Record<string, string>;
  kinesis: KinesisClient;
  pollers: Record<StreamKind, KinesisPoller>;
  failures: FileFailureDestination;
  startProducer(rate: number): void;
  /** redraws the dashboard on `out`; `logSink`: where the log goes meanwhile (its problems are shown) */
  startDashboard(out: NodeJS.WriteStream, logSink?: LogSink): void;
  /** resolves when every shard of both streams has been read to its tip */
  idle(): Promise<void>;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? portInUseError(port) : err));
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`);
    });
  });
}

async function ensureStream(kinesis: KinesisClient, name: string, shards: number): Promise<void> {
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 200; i++) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

export interface ProvisionClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  firehose: FirehoseClient;
  dataApi: DataApi;
  shards: number;
  dialect: 'postgres' | 'redshift';
}

/**
 * `--pg-url`: PostgreSQL keeps its tables across starts, DynamoDB (the metric items, their
 * versions and high-water marks) only with the same `--data-dir`. Metrics in PostgreSQL
 * beside an empty DynamoDB come from a run whose state is gone: the mirror would keep that
 * run's rows where this run's versions start again, and `--source redshift` would disagree
 * with DynamoDB. Refused at start, with the two ways out.
 */
async function refuseForeignMetrics(dynamodb: DynamoDBClient, dataApi: DataApi): Promise<void> {
  const dynamo = await dynamodb.send(new ScanCommand({ TableName: RESOURCE_NAMES.metricsTable, Limit: 1 }));
  if ((dynamo.Items?.length ?? 0) > 0) return;
  const pg = await dataApi.execute('SELECT 1 FROM metric_counters UNION ALL SELECT 1 FROM metric_sketches LIMIT 1');
  if (pg.rows.length === 0) return;
  throw new ConfigError(
    '--pg-url',
    "this database already holds metrics of an earlier run whose DynamoDB state is not in this run's --data-dir (none given, or a new one), so the two would disagree; start with that run's --data-dir, or use an empty database (createdb another, or drop its stream-metrics tables)",
  );
}

/**
 * Creates what the workers need, idempotently: both streams, the DynamoDB tables (metrics,
 * de-duplication, bad records, checkpoints), the Redshift schema and the Firehose delivery
 * streams. Safe to run on every start, by several processes at once.
 *
 * @example
 * await provision({ kinesis, dynamodb, firehose, dataApi, shards: 2, dialect: 'postgres' });
 */
export async function provision(c: ProvisionClients): Promise<void> {
  await Promise.all([ensureStream(c.kinesis, RESOURCE_NAMES.streams.clickstream, c.shards), ensureStream(c.kinesis, RESOURCE_NAMES.streams.transactions, c.shards)]);
  await ensureTables(c.dynamodb, { metrics: RESOURCE_NAMES.metricsTable, dedupe: RESOURCE_NAMES.dedupeTable, badRecords: RESOURCE_NAMES.badRecordsTable });
  await new DynamoCheckpointStore(c.dynamodb, RESOURCE_NAMES.checkpointsTable).ensureTable();
  await migrate((sql) => c.dataApi.execute(sql), c.dialect);
  const existing = new Set((await c.firehose.send(new ListDeliveryStreamsCommand({ Limit: 100 }))).DeliveryStreamNames ?? []);
  for (const stream of ['clickstream', 'transactions'] as const) {
    const name = RESOURCE_NAMES.firehose[stream];
    if (existing.has(name)) continue;
    try {
      await c.firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, name, { database: RESOURCE_NAMES.redshiftDatabase })));
    } catch (err) {
      if ((err as Error).name !== 'ResourceInUseException') throw err;
    }
  }
}

/**
 * A poller running one stream's real handler in a worker thread with the function's
 * timeout and memory limit, configured from the shared settings (as the AWS stack is).
 *
 * @example
 * const poller = createPoller('clickstream', { kinesis, checkpoints, failures, root, env });
 * await poller.start();
 */
export function createPoller(
  stream: StreamKind,
  o: {
    kinesis: KinesisClient;
    checkpoints: DynamoCheckpointStore;
    failures: FileFailureDestination;
    root: string;
    env: Record<string, string>;
    functions?: Record<StreamKind, FunctionSettings>;
    eventSource?: Partial<FunctionSettings['eventSource']>;
    log?: (line: string) => void;
    workerLog?: (lines: string) => void;
  },
): KinesisPoller {
  const fn = (o.functions ?? FUNCTIONS)[stream];
  const invoker = workerInvoker({ handlerModule: path.join(o.root, fn.entry), timeoutMs: fn.timeoutSeconds * 1000, memoryMb: fn.memoryMb, env: o.env, ...(o.workerLog ? { log: o.workerLog } : {}) });
  const log = o.log ?? (() => {});
  return new KinesisPoller({
    kinesis: o.kinesis,
    streamName: RESOURCE_NAMES.streams[stream],
    region: o.env.AWS_REGION ?? REGION,
    consumer: `stream-metrics-${stream}`,
    settings: { ...fn.eventSource, ...o.eventSource },
    invoker,
    checkpoints: o.checkpoints,
    onFailure: o.failures,
    log: (e) => {
      const ev = e as unknown as Record<string, unknown>;
      if (/fail|bisect|destination|error|expired|stop-/i.test(String(ev.type ?? ''))) log(`poller ${stream}: ${JSON.stringify(ev)}`);
    },
  });
}

/**
 * Starts the local stack.
 *
 * @example
 * const stack = await startStack({ root, ports: [0, 0, 0, 0], dataDir, persistent: false, chaos: 'off', shards: 2 });
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const dir = (name: string) => {
    const d = path.join(options.dataDir, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  const closers: (() => Promise<unknown>)[] = [];

  log('starting kinesalite and dynalite…');
  installKinesalitePatches();
  const kinesalite = require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100, ...(options.persistent ? { path: dir('kinesis') } : {}) }) as http.Server;
  const kinesisUrl = await listen(kinesalite, options.ports[0] ?? 0);
  closers.push(() => new Promise((r) => kinesalite.close(r)));
  // dynalite works in a process of its own: on the main thread it competes with everything.
  const dynalite = await startDynaliteProcess(options.ports[1] ?? 0, options.persistent ? dir('dynamodb') : undefined);
  const dynamoUrl = dynalite.url;
  closers.push(() => dynalite.close());

  log(options.pgUrl ? `connecting to PostgreSQL at ${options.pgUrl.replace(/:[^:@/]*@/, ':***@')}…` : 'starting the embedded PostgreSQL (PGlite)…');
  // The backend and its two endpoints work in a thread of their own (endpoints-thread.ts).
  const sqlEndpoints = await startEndpointsThread({
    ...(options.pgUrl ? { pgUrl: options.pgUrl } : options.persistent ? { pgDataDir: dir('pg') } : {}),
    firehosePort: options.ports[2] ?? 0,
    redshiftDataPort: options.ports[3] ?? 0,
    flushIntervalMs: 1_000,
  });
  closers.push(() => sqlEndpoints.close());
  const endpoints = { kinesis: kinesisUrl, dynamodb: dynamoUrl, firehose: sqlEndpoints.firehose, redshiftData: sqlEndpoints.redshiftData };

  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_FIREHOSE: endpoints.firehose,
    AWS_ENDPOINT_URL_REDSHIFT_DATA: endpoints.redshiftData,
    REDSHIFT_DIALECT: 'postgres',
    REDSHIFT_WORKGROUP: 'local',
    CHAOS: options.chaos,
    // Locally the CPU is the limit, not the bill: 100 claims per request (config.ts).
    DEDUPE_WRITES: 'transact',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...options.env,
  };
  // The CLI's own clients (and anything else in this process) use the same endpoints.
  Object.assign(process.env, env);

  const kinesis = createKinesisClient({ region: REGION, endpoint: endpoints.kinesis });
  const dynamodb = createClient('dynamodb', { region: REGION, endpoint: endpoints.dynamodb, credentials: CREDENTIALS });
  const firehoseClient = createClient('firehose', { region: REGION, endpoint: endpoints.firehose, credentials: CREDENTIALS });
  const dataApi = new DataApi(createClient('redshiftData', { region: REGION, endpoint: endpoints.redshiftData, credentials: CREDENTIALS }), { database: RESOURCE_NAMES.redshiftDatabase, workgroupName: 'local' });

  log('creating streams, tables and the Redshift schema…');
  await provision({ kinesis, dynamodb, firehose: firehoseClient, dataApi, shards: options.shards, dialect: 'postgres' });
  if (options.pgUrl) await refuseForeignMetrics(dynamodb, dataApi);
  const checkpoints = new DynamoCheckpointStore(dynamodb, RESOURCE_NAMES.checkpointsTable);

  const failures = new FileFailureDestination(path.join(options.dataDir, 'on-failure.jsonl'));
  const functions = options.functions ?? FUNCTIONS;
  const pollers = {} as Record<StreamKind, KinesisPoller>;
  for (const stream of ['clickstream', 'transactions'] as const) {
    pollers[stream] = createPoller(stream, { kinesis, checkpoints, failures, root: options.root, env, functions, ...(options.eventSource ? { eventSource: options.eventSource } : {}), log, ...(options.workerLog ? { workerLog: options.workerLog } : {}) });
  }
  log('starting pollers (handlers run in worker threads with Lambda limits)…');
  await Promise.all(Object.values(pollers).map((p) => p.start()));

  let producing: { stop: boolean; done: Promise<unknown> } | null = null;
  let dashboard: NodeJS.Timeout | null = null;

  const stack: Stack = {
    region: REGION,
    dataDir: options.dataDir,
    endpoints,
    env,
    kinesis,
    pollers,
    failures,
    startProducer(rate: number) {
      const state = { stop: false, done: Promise.resolve() as Promise<unknown> };
      const seed = Date.now() % 2 ** 31;
      const forever = (gen: { next(): { partitionKey: string; data: string } }) =>
        (async function* () {
          while (!state.stop) yield gen.next();
        })();
      const clickRate = Math.max(1, Math.round(rate * 0.85));
      const txRate = Math.max(1, Math.round(rate * 0.15));
      state.done = Promise.all([
        produce(kinesis, RESOURCE_NAMES.streams.clickstream, forever(createClickstreamGenerator({ seed })), { rate: Math.ceil(clickRate * 0.8) }),
        // A share of the traffic arrives KPL-aggregated, as from the Kinesis Producer Library.
        produce(kinesis, RESOURCE_NAMES.streams.clickstream, forever(createClickstreamGenerator({ seed: seed + 1 })), { rate: Math.max(1, Math.floor(clickRate * 0.2)), kplAggregate: 5 }),
        produce(kinesis, RESOURCE_NAMES.streams.transactions, forever(createTransactionGenerator({ seed: seed + 2 })), { rate: txRate }),
      ]).catch((err) => log(`producer stopped: ${(err as Error).message}`));
      producing = state;
      log(`synthetic producer: ~${rate} records/s (clickstream ${clickRate}/s, transactions ${txRate}/s)`);
    },
    startDashboard(out, logSink) {
      void import('./dashboard.ts').then(({ startDashboard }) => {
        dashboard = startDashboard(out, stack, logSink);
      });
    },
    async idle() {
      await Promise.all(Object.values(pollers).map((p) => p.idle()));
    },
    async flush() {
      await sqlEndpoints.flush();
    },
    async stop() {
      if (dashboard) clearInterval(dashboard);
      if (producing) {
        producing.stop = true;
        await producing.done;
      }
      await Promise.all(Object.values(pollers).map((p) => p.stop()));
      await sqlEndpoints.flush().catch(() => {});
      for (const close of closers.reverse()) await close().catch(() => {});
      kinesis.destroy();
      dynamodb.destroy();
      firehoseClient.destroy();
    },
  };
  return stack;
}
