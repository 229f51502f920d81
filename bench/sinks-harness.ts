/**
 * The sink cost benchmark's machinery (`bench/sinks.bench.ts`): the local parts (dynalite
 * in-process, PGlite behind the local Data API and Firehose endpoints, the real SDK
 * clients), generated records laid out on Kinesis shards as production would (partition key
 * → shard by MD5 hash range, increasing sequence numbers, arrival a little after event
 * time), meters that count every AWS call by what it writes, and one run = every batch of
 * every shard through `createWorker(…).handleRecords`, as the event source mapping feeds it
 * (one batch in flight per shard, the shards in parallel, one worker instance per shard).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { loadConfig } from '../src/config.ts';
import { MemoryDedupeStore } from '../src/dedupe/memory-dedupe-store.ts';
import { createClickstreamGenerator, createTransactionGenerator } from '../src/generate/index.ts';
import { startFirehoseServer, type FirehoseServer } from '../src/local/firehose/server.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../src/local/redshift-data/server.ts';
import { createPgliteBackend, type SqlBackend } from '../src/local/sql-backend.ts';
import { GROUPS, minuteOf, type GroupName } from '../src/metrics/catalog.ts';
import type { MetricSink, Sinks } from '../src/pipeline/emit.ts';
import { DynamoBadRecordStore } from '../src/sinks/dynamodb/bad-record-store.ts';
import { DynamoDedupeStore } from '../src/sinks/dynamodb/dedupe-store.ts';
import { DynamoMetricStore } from '../src/sinks/dynamodb/metric-store.ts';
import { ensureTables, type TableNames } from '../src/sinks/dynamodb/tables.ts';
import { deliveryStreamConfig, FirehoseEventSink, toEventRow } from '../src/sinks/firehose-sink.ts';
import { DataApi } from '../src/sinks/redshift/data-api.ts';
import { RedshiftMetricMirror } from '../src/sinks/redshift/metric-mirror.ts';
import { migrate } from '../src/sinks/redshift/migrations.ts';
import type { DedupeClaim, DedupeStore, KinesisRecordInput, StreamKind } from '../src/types.ts';
import { createWorker } from '../src/worker.ts';

const require = createRequire(import.meta.url);
const CREDS = { accessKeyId: 'x', secretAccessKey: 'x' };
const REGION = 'us-east-1';
/** Delivery stream names of the benchmark, one per stream kind. */
export const DELIVERY_STREAMS = { clickstream: 'bench-clickstream-events', transactions: 'bench-transactions' } as const;

// ---------------------------------------------------------------------------------------
// Local parts

export interface LocalParts {
  ddb: DynamoDBClient;
  firehose: FirehoseClient;
  redshiftData: RedshiftDataClient;
  sql: SqlBackend;
  /** every AWS call the clients made, classified (reset per run) */
  meter: CallMeter;
  /** empties the Redshift stand-in's metric and event tables (between runs, not metered) */
  resetRedshift(): Promise<void>;
  /**
   * Makes every metric-mirror transaction take at least `ms` longer (what-if: Redshift's own
   * latency, which the local stand-in does not have); 0 switches it off.
   */
  setStatementDelay(ms: number): void;
  close(): Promise<void>;
}

/**
 * Starts dynalite, PGlite, the local Data API and Firehose endpoints, applies the Redshift
 * migrations and creates the two delivery streams; the SDK clients carry the call meter.
 *
 * @example
 * const parts = await startLocalParts();
 * try { … } finally { await parts.close(); }
 */
export async function startLocalParts(): Promise<LocalParts> {
  const dynalite = require('dynalite') as (opts: object) => Server;
  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamoServer.listen(0, '127.0.0.1', resolve));
  const dynamoEndpoint = `http://127.0.0.1:${(dynamoServer.address() as { port: number }).port}`;
  const sql = await createPgliteBackend();
  let dataServer: RedshiftDataServer | undefined;
  let firehoseServer: FirehoseServer | undefined;
  let statementDelayMs = 0;
  try {
    // The delay applies to the first statement of a mirror load (its LOCK), so once per load.
    dataServer = await startRedshiftDataServer({ backend: sql, faults: { delayStatement: (text) => (text.startsWith('LOCK') ? statementDelayMs : 0) } });
    firehoseServer = await startFirehoseServer({ backend: sql, flushIntervalMs: 1_000 });
    const meter = new CallMeter();
    const ddb = new DynamoDBClient({ endpoint: dynamoEndpoint, region: REGION, credentials: CREDS });
    const firehose = new FirehoseClient({ endpoint: firehoseServer.url, region: REGION, credentials: CREDS });
    const redshiftData = new RedshiftDataClient({ endpoint: dataServer.url, region: REGION, credentials: CREDS });
    // Set-up calls go through the same clients before the meter is reset: not counted.
    await migrate((s) => new DataApi(redshiftData, { database: 'dev' }).execute(s), 'postgres');
    for (const stream of ['clickstream', 'transactions'] as const) {
      await firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, DELIVERY_STREAMS[stream], { database: 'dev' })));
    }
    meter.attach('dynamodb', ddb);
    meter.attach('firehose', firehose);
    meter.attach('redshift-data', redshiftData);
    const fh = firehoseServer;
    const ds = dataServer;
    return {
      ddb,
      firehose,
      redshiftData,
      sql,
      meter,
      setStatementDelay(ms: number) {
        statementDelayMs = ms;
      },
      async resetRedshift() {
        await fh.flush();
        for (const t of ['metric_counters', 'metric_sketches', 'clickstream_events', 'transactions']) await sql.query(`TRUNCATE ${t}`);
      },
      async close() {
        for (const c of [ddb, firehose, redshiftData]) c.destroy();
        await fh.close();
        await ds.close();
        await sql.close();
        await new Promise<void>((r) => dynamoServer.close(() => r()));
      },
    };
  } catch (err) {
    await firehoseServer?.close().catch(() => {});
    await dataServer?.close().catch(() => {});
    await sql.close().catch(() => {});
    dynamoServer.close();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// Call meter

/** One AWS call as the meter saw it. */
export interface MeteredCall {
  service: 'dynamodb' | 'firehose' | 'redshift-data';
  command: string;
  /** DynamoDB: the table; others: empty */
  table: string;
  /** DynamoDB metric table: the storage group (`cs`, `cs_page`, `cs_sk`, …); others: empty */
  group: string;
  /** DynamoDB metric table: start of the item's window (ms), or null */
  windowStart: number | null;
  /** write requests in the call (BatchWriteItem: its items), 0 for reads and other calls */
  writes: number;
  /** read requests (GetItem, Query) */
  reads: number;
  /** ConsumedCapacity the service reported (writes only) */
  wcu: number;
  failedCondition: boolean;
}

type Middlewared = { middlewareStack: { add: (mw: any, opts: any) => void } };

/**
 * Counts every call of the attached clients, with what it touched: the honest, independent
 * count next to the sinks' own `stats` (which the benchmark reports too).
 *
 * @example
 * const meter = new CallMeter();
 * meter.attach('dynamodb', client);
 * await store.applyCounters(…);
 * meter.calls.filter((c) => c.group === 'cs_page').length;
 */
export class CallMeter {
  calls: MeteredCall[] = [];

  attach(service: MeteredCall['service'], client: Middlewared): void {
    client.middlewareStack.add(
      (next: (a: unknown) => Promise<{ output: any }>, context: { commandName?: string }) => async (args: { input: any }) => {
        const command = (context.commandName ?? '').replace(/Command$/, '');
        const base = describeCall(service, command, args.input);
        try {
          const out = await next(args);
          const cc = out.output?.ConsumedCapacity;
          const wcu = Array.isArray(cc) ? cc.reduce((s: number, c: { CapacityUnits?: number }) => s + (c.CapacityUnits ?? 0), 0) : (cc?.CapacityUnits ?? 0);
          this.calls.push({ ...base, wcu: base.writes > 0 ? wcu : 0, failedCondition: false });
          return out;
        } catch (err) {
          const failed = (err as { name?: string }).name === 'ConditionalCheckFailedException';
          // A failed condition is a processed (and billed) write; other errors are not counted.
          if (failed) this.calls.push({ ...base, wcu: 0, failedCondition: true });
          throw err;
        }
      },
      { step: 'initialize', name: 'benchCallMeter' },
    );
  }

  reset(): void {
    this.calls = [];
  }
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query', 'BatchGetItem', 'Scan']);

function describeCall(service: MeteredCall['service'], command: string, input: any): Omit<MeteredCall, 'wcu' | 'failedCondition'> {
  const out = { service, command, table: '', group: '', windowStart: null as number | null, writes: 0, reads: 0 };
  if (service !== 'dynamodb') return out;
  if (command === 'BatchWriteItem') {
    const tables = Object.keys(input?.RequestItems ?? {});
    out.table = tables.join(',');
    out.writes = tables.reduce((s, t) => s + (input.RequestItems[t]?.length ?? 0), 0);
    return out;
  }
  out.table = String(input?.TableName ?? '');
  if (WRITES.has(command)) out.writes = 1;
  if (READS.has(command)) out.reads = 1;
  const pk: string | undefined = input?.Key?.pk?.S ?? input?.Item?.pk?.S;
  const sk: string | undefined = input?.Key?.sk?.S ?? input?.Item?.sk?.S;
  // Metric keys: pk = `C#<group>#<day>` or `S#<group>#<day>`, sk starts with the minute.
  const m = pk ? /^[CS]#([a-z_]+)#\d{4}-\d{2}-\d{2}$/.exec(pk) : null;
  if (m) {
    out.group = m[1]!;
    if (sk) out.windowStart = Date.parse(`${sk.slice(0, 16)}:00Z`);
  }
  return out;
}

/**
 * Runs `work` with a storage group spread over `buckets` items instead of the catalog's
 * number (what-if runs only: `bucketOf` reads the catalog at every call, the store writes
 * whatever bucket it is given; items written this way are not meant to be queried).
 *
 * @example
 * const r = await withBuckets('cs_page', 4, () => runOnce(parts, 'clickstream', layout, 500, 'whatif-1', 'counted'));
 */
export async function withBuckets<T>(group: GroupName, buckets: number, work: () => Promise<T>): Promise<T> {
  const entry = GROUPS[group] as { buckets: number };
  const saved = entry.buckets;
  entry.buckets = buckets;
  try {
    return await work();
  } finally {
    entry.buckets = saved;
  }
}

// ---------------------------------------------------------------------------------------
// Records on shards

export interface ShardRecords {
  shardId: string;
  records: KinesisRecordInput[];
}

export interface RecordLayout {
  shards: ShardRecords[];
  /** records of each generated kind */
  kinds: Record<string, number>;
  /** event time of the first and last record (ms) */
  fromMs: number;
  toMs: number;
}

/**
 * Generates `count` records of one stream and lays them out on `shards` shards as Kinesis
 * would: shard by the MD5 of the partition key over equal hash ranges, sequence numbers
 * increasing per shard, arrival 0.2–1.2 s after the generator's event clock (monotonic per
 * shard). Deterministic for a seed and start.
 *
 * @example
 * const layout = layoutRecords('clickstream', { count: 10_000, shards: 2, seed: 1, startMs, rate: 200 });
 */
export function layoutRecords(stream: StreamKind, o: { count: number; shards: number; seed: number; startMs: number; rate: number }): RecordLayout {
  const gen = (stream === 'clickstream' ? createClickstreamGenerator : createTransactionGenerator)({ seed: o.seed, startMs: o.startMs, rate: o.rate });
  const shards: ShardRecords[] = Array.from({ length: o.shards }, (_, i) => ({ shardId: `shardId-${String(i).padStart(12, '0')}`, records: [] }));
  const lastArrival = new Array<number>(o.shards).fill(0);
  const seq = Array.from({ length: o.shards }, (_, i) => 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i) * 10n ** 20n);
  const kinds: Record<string, number> = {};
  const step = 1000 / o.rate;
  let jitter = o.seed >>> 0;
  for (let i = 0; i < o.count; i++) {
    const g = gen.next();
    kinds[g.kind] = (kinds[g.kind] ?? 0) + 1;
    const s = shardOf(g.partitionKey, o.shards);
    // The generator's event clock for record i (see EventClock); arrival follows it closely.
    jitter = (Math.imul(jitter, 1_103_515_245) + 12_345) >>> 0;
    const arrival = Math.max(lastArrival[s]!, Math.floor(o.startMs + i * step) + 200 + (jitter % 1000));
    lastArrival[s] = arrival;
    seq[s]! += 1n + BigInt(jitter % 7);
    shards[s]!.records.push({ data: Buffer.from(g.data, 'utf8').toString('base64'), sequenceNumber: seq[s]!.toString(), partitionKey: g.partitionKey, approximateArrivalTimestamp: arrival / 1000 });
  }
  return { shards, kinds, fromMs: o.startMs, toMs: Math.floor(o.startMs + (o.count - 1) * step) };
}

/** The shard of a partition key: Kinesis maps MD5(key) as a 128-bit number onto equal hash ranges. */
function shardOf(partitionKey: string, shards: number): number {
  const h = BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
  return Number((h * BigInt(shards)) >> 128n);
}

// ---------------------------------------------------------------------------------------
// One run

/** Write requests and units of one DynamoDB sink, as its own `stats` say. */
export interface StoreCost {
  requests: number;
  wcu: number;
  conditionalFailures: number;
}

export interface RunResult {
  stream: StreamKind;
  batchSize: number;
  records: number;
  batches: number;
  elapsedMs: number;
  outcomes: { counted: number; filtered: number; duplicate: number; rejected: number };
  /** from the sinks' stats */
  counters: StoreCost;
  sketches: StoreCost;
  dedupe: StoreCost;
  badRecords: StoreCost;
  dataApiCalls: number;
  mirrorLoads: number;
  firehoseCalls: number;
  firehoseRecords: number;
  /** from the call meter */
  calls: MeteredCall[];
  batchItemFailures: number;
  /** windows older than the run's first minute (late records) */
  lateBefore: number;
  /** where the de-duplication claims went: DynamoDB (measured) or memory (counted) */
  dedupeMode: DedupeMode;
}

/**
 * `dynamodb`: the durable store on dynalite, measured. `counted`: the same verdicts from the
 * in-memory store, each claim counted as the one conditional put (1 unit) the durable store
 * makes for it — it writes exactly one put per claim whatever the batch size, and dynalite
 * needs ~5 ms per put here, which would put the comparison runs past the time budget.
 */
export type DedupeMode = 'dynamodb' | 'counted';

/**
 * An in-memory `DedupeStore` that counts what the DynamoDB store would write for the same
 * claims: one conditional put each (a duplicate is a failed condition, billed too), items of
 * ~100 bytes, so one write unit each.
 */
class CountedDedupeStore implements DedupeStore {
  readonly stats: StoreCost = { requests: 0, wcu: 0, conditionalFailures: 0 };
  constructor(private readonly inner: MemoryDedupeStore) {}

  async claim(claims: readonly DedupeClaim[]): Promise<('new' | 'duplicate')[]> {
    const verdicts = await this.inner.claim(claims);
    this.stats.requests += claims.length;
    this.stats.wcu += claims.length;
    this.stats.conditionalFailures += verdicts.filter((v) => v === 'duplicate').length;
    return verdicts;
  }
}

/**
 * Pushes a laid-out stream through one worker per shard (real sinks), `batchSize` records
 * per `handleRecords` call, one batch in flight per shard, all shards at once. Fresh
 * DynamoDB tables per run; the Redshift stand-in is emptied first. `dedupeMode` says where
 * the de-duplication claims go (see `DedupeMode`).
 *
 * @example
 * const r = await runOnce(parts, 'clickstream', layout, 500, 'bench-1', 'dynamodb');
 * console.log(r.counters.requests + r.sketches.requests);
 */
export async function runOnce(
  parts: LocalParts,
  stream: StreamKind,
  layout: RecordLayout,
  batchSize: number,
  tablePrefix: string,
  dedupeMode: DedupeMode = 'dynamodb',
): Promise<RunResult> {
  const tables: TableNames = { metrics: `${tablePrefix}-metrics`, dedupe: `${tablePrefix}-dedupe`, badRecords: `${tablePrefix}-bad` };
  await ensureTables(parts.ddb, tables);
  await parts.resetRedshift();
  const config = loadConfig({ REDSHIFT_DIALECT: 'postgres' });
  const counters: StoreCost = { requests: 0, wcu: 0, conditionalFailures: 0 };
  const sketches: StoreCost = { requests: 0, wcu: 0, conditionalFailures: 0 };
  const outcomes = { counted: 0, filtered: 0, duplicate: 0, rejected: 0 };
  let batches = 0;
  let batchItemFailures = 0;
  // Shared by the shards' instances, as the durable table is.
  const memoryDedupe = new MemoryDedupeStore(config.dedupe.horizonsMs);
  // One Lambda instance per shard (the mapping runs the shards in parallel): own stores and
  // clients' sinks, default options, as `createSinks` builds them.
  const instances = layout.shards.map(() => {
    const metricStore = new DynamoMetricStore(parts.ddb, tables.metrics, { ttlDays: config.metricTtlDays });
    const sketchStore = new DynamoMetricStore(parts.ddb, tables.metrics, { ttlDays: config.metricTtlDays });
    const dedupe = dedupeMode === 'dynamodb' ? new DynamoDedupeStore(parts.ddb, tables.dedupe, config.dedupe.horizonsMs) : new CountedDedupeStore(memoryDedupe);
    const badRecords = new DynamoBadRecordStore(parts.ddb, tables.badRecords, { retentionDays: config.badRecordRetentionDays });
    const dataApi = new DataApi(parts.redshiftData, config.redshift.target);
    const mirror = new RedshiftMetricMirror(dataApi, 'postgres');
    const firehose = new FirehoseEventSink(parts.firehose, DELIVERY_STREAMS);
    const metrics = splitCostOf(metricStore, sketchStore, counters, sketches);
    const sinks: Sinks = { badRecords, metrics, mirror, events: firehose, toEventRow };
    const worker = createWorker(stream, { config, sinks, dedupeStore: dedupe });
    return { worker, metricStore, dedupe, badRecords, dataApi, mirror, firehose };
  });
  parts.meter.reset();
  const started = performance.now();
  await Promise.all(
    layout.shards.map(async (shard, i) => {
      const { worker } = instances[i]!;
      const source = { stream, streamName: stream, shardId: shard.shardId };
      for (let at = 0; at < shard.records.length; at += batchSize) {
        const report = await worker.handleRecords(shard.records.slice(at, at + batchSize), source);
        batches++;
        if (report.failedFrom !== null) batchItemFailures++;
        for (const k of Object.keys(outcomes) as (keyof typeof outcomes)[]) outcomes[k] += report.result.counts[k];
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const sum = (pick: (x: (typeof instances)[number]) => StoreCost): StoreCost =>
    instances.reduce((s, x) => ({ requests: s.requests + pick(x).requests, wcu: s.wcu + pick(x).wcu, conditionalFailures: s.conditionalFailures + pick(x).conditionalFailures }), {
      requests: 0,
      wcu: 0,
      conditionalFailures: 0,
    });
  return {
    stream,
    batchSize,
    records: layout.shards.reduce((s, x) => s + x.records.length, 0),
    batches,
    elapsedMs,
    outcomes,
    counters,
    sketches,
    dedupe: sum((x) => x.dedupe.stats),
    badRecords: sum((x) => x.badRecords.stats),
    dataApiCalls: instances.reduce((s, x) => s + x.dataApi.stats.calls, 0),
    mirrorLoads: instances.reduce((s, x) => s + x.mirror.stats.loads, 0),
    firehoseCalls: instances.reduce((s, x) => s + x.firehose.stats.calls, 0),
    firehoseRecords: instances.reduce((s, x) => s + x.firehose.stats.records, 0),
    calls: parts.meter.calls,
    batchItemFailures,
    lateBefore: minuteOf(layout.fromMs),
    dedupeMode,
  };
}

/**
 * A metric sink whose write stats are split between counter items and sketch partials: two
 * store instances on the same client and table, one for each kind (`emit` writes both kinds
 * at once, so the stats of one shared instance could not be told apart).
 */
function splitCostOf(counterStore: DynamoMetricStore, sketchStore: DynamoMetricStore, counters: StoreCost, sketches: StoreCost): MetricSink {
  const measure = async <T>(store: DynamoMetricStore, into: StoreCost, work: () => Promise<T>): Promise<T> => {
    const before = { ...store.stats };
    try {
      return await work();
    } finally {
      into.requests += store.stats.requests - before.requests;
      into.wcu += store.stats.wcu - before.wcu;
      into.conditionalFailures += store.stats.conditionalFailures - before.conditionalFailures;
    }
  };
  return {
    applyCounters: (writer, deltas, recompute) => measure(counterStore, counters, () => counterStore.applyCounters(writer, deltas, recompute)),
    applySketches: (writer, deltas, recompute) => measure(sketchStore, sketches, () => sketchStore.applySketches(writer, deltas, recompute)),
  };
}
