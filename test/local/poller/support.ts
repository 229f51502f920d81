/**
 * Test support for the local poller: kinesalite and dynalite in-process on 127.0.0.1:0, real
 * SDK clients, stream helpers, and a recording handler that tells which records each
 * invocation processed (so tests can assert exactly-once, in-order delivery per shard).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { DynamoCheckpointStore } from '../../../src/local/poller/checkpoint-store.ts';
import { installKinesalitePatches } from '../../../src/local/kinesalite-sequence.ts';
import { inProcessInvoker } from '../../../src/local/poller/invoker.ts';
import { KinesisPoller, type KinesisPollerOptions, type PollerEvent } from '../../../src/local/poller/poller.ts';
import { compareSequenceNumbers } from '../../../src/position.ts';
import type { EventSourceMappingSettings } from '../../../src/settings.ts';

const require = createRequire(import.meta.url);
export const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

export interface LocalEnv {
  kinesis: KinesisClient;
  ddb: DynamoDBClient;
  checkpoints: DynamoCheckpointStore;
  kinesisUrl: string;
  /** a new Kinesis client on the same endpoint (for middleware that must not leak) */
  newKinesisClient(): KinesisClient;
  close(): Promise<void>;
}

/** Starts kinesalite and dynalite and the checkpoint table. */
export async function startLocal(): Promise<LocalEnv> {
  // As the local stack runs it (src/local/stack.ts).
  installKinesalitePatches();
  const kinesalite = require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 }) as http.Server;
  const dynalite = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as http.Server;
  const [kinesisUrl, dynamoUrl] = await Promise.all([listen(kinesalite), listen(dynalite)]);
  const clients: KinesisClient[] = [];
  const newKinesisClient = () => {
    const c = new KinesisClient({ region: REGION, endpoint: kinesisUrl, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 30_000 }) });
    clients.push(c);
    return c;
  };
  const kinesis = newKinesisClient();
  const ddb = new DynamoDBClient({ region: REGION, endpoint: dynamoUrl, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
  const checkpoints = new DynamoCheckpointStore(ddb, 'checkpoints');
  await checkpoints.ensureTable();
  return {
    kinesis,
    ddb,
    checkpoints,
    kinesisUrl,
    newKinesisClient,
    async close() {
      for (const c of clients) c.destroy();
      ddb.destroy();
      await Promise.all([new Promise((r) => kinesalite.close(r)), new Promise((r) => dynalite.close(r))]);
    },
  };
}

let streamCounter = 0;
/** A unique stream name for one test. */
export function uniqueName(prefix: string): string {
  streamCounter++;
  return `${prefix}-${process.pid}-${streamCounter}`;
}

export async function waitActive(kinesis: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`stream ${name} not ACTIVE`);
}

export async function createStream(kinesis: KinesisClient, name: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitActive(kinesis, name);
}

export interface PutResult {
  shardId: string;
  sequenceNumber: string;
  data: string;
  partitionKey: string;
}

/** Writes records (in order, 500 per call); `data` defaults to `r<i>`. */
export async function putRecords(kinesis: KinesisClient, stream: string, count: number, options: { prefix?: string; partitionKey?: (i: number) => string; data?: (i: number) => string } = {}): Promise<PutResult[]> {
  const out: PutResult[] = [];
  for (let start = 0; start < count; start += 500) {
    const n = Math.min(500, count - start);
    const entries = Array.from({ length: n }, (_, j) => {
      const i = start + j;
      return { PartitionKey: options.partitionKey?.(i) ?? `pk-${i}`, Data: Buffer.from(options.data?.(i) ?? `${options.prefix ?? 'r'}${i}`) };
    });
    const res = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    if (res.FailedRecordCount) throw new Error('PutRecords failed');
    res.Records!.forEach((r, j) => out.push({ shardId: r.ShardId!, sequenceNumber: r.SequenceNumber!, data: entries[j]!.Data.toString(), partitionKey: entries[j]!.PartitionKey }));
  }
  return out;
}

export async function splitShard(kinesis: KinesisClient, stream: string, shardId: string): Promise<void> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const shard = shards.find((s) => s.ShardId === shardId)!;
  const lo = BigInt(shard.HashKeyRange!.StartingHashKey!);
  const hi = BigInt(shard.HashKeyRange!.EndingHashKey!);
  await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: String((lo + hi + 1n) / 2n) }));
  await waitActive(kinesis, stream);
}

export async function mergeShards(kinesis: KinesisClient, stream: string, a: string, b: string): Promise<void> {
  await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: a, AdjacentShardToMerge: b }));
  await waitActive(kinesis, stream);
}

/** Base settings for tests: Lambda's defaults except where a test changes them. */
export function settings(overrides: Partial<EventSourceMappingSettings> = {}): EventSourceMappingSettings {
  return {
    batchSize: 100,
    maximumBatchingWindowInSeconds: 0,
    startingPosition: 'TRIM_HORIZON',
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: -1,
    maximumRecordAgeInSeconds: -1,
    parallelizationFactor: 1,
    reportBatchItemFailures: true,
    ...overrides,
  };
}

export interface Invocation {
  /** global order of the invocation's start */
  n: number;
  shardId: string;
  seqs: string[];
  data: string[];
  startedAt: number;
  endedAt: number;
  /** how many records from the front were processed (all for success, 0 for a throw) */
  processed: number;
  event: KinesisStreamEvent;
}

/** What a test handler decides for one event: process all, fail from an index, throw. */
export type Decision = { fail?: number; throw?: string; response?: unknown; delayMs?: number } | void;

/**
 * A handler that records every invocation, processes records until `decide` says otherwise,
 * and tracks the records processed per shard, and concurrency per shard.
 */
export function recorder(decide: (event: KinesisStreamEvent, inv: Invocation) => Decision | Promise<Decision> = () => {}) {
  const invocations: Invocation[] = [];
  const processed = new Map<string, string[]>();
  const processedData = new Map<string, string[]>();
  const inFlight = new Map<string, number>();
  let maxInFlightPerShard = 0;
  let counter = 0;
  const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse | void> => {
    const shardId = event.Records[0]!.eventID.split(':')[0]!;
    const inv: Invocation = {
      n: counter++,
      shardId,
      seqs: event.Records.map((r) => r.kinesis.sequenceNumber),
      data: event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()),
      startedAt: Date.now(),
      endedAt: 0,
      processed: 0,
      event,
    };
    invocations.push(inv);
    inFlight.set(shardId, (inFlight.get(shardId) ?? 0) + 1);
    maxInFlightPerShard = Math.max(maxInFlightPerShard, inFlight.get(shardId)!);
    try {
      const d = (await decide(event, inv)) ?? {};
      if (d.delayMs) await new Promise((r) => setTimeout(r, d.delayMs));
      if (d.throw) throw new Error(d.throw);
      const upTo = d.fail ?? inv.seqs.length;
      inv.processed = upTo;
      const list = processed.get(shardId) ?? [];
      const dlist = processedData.get(shardId) ?? [];
      list.push(...inv.seqs.slice(0, upTo));
      dlist.push(...inv.data.slice(0, upTo));
      processed.set(shardId, list);
      processedData.set(shardId, dlist);
      if (d.response !== undefined) return d.response as KinesisStreamBatchResponse;
      if (d.fail !== undefined) return { batchItemFailures: inv.seqs.slice(d.fail).map((s) => ({ itemIdentifier: s })) };
      return { batchItemFailures: [] };
    } finally {
      inv.endedAt = Date.now();
      inFlight.set(shardId, inFlight.get(shardId)! - 1);
    }
  };
  return {
    handler,
    invocations,
    /** sequence numbers processed (successfully) per shard, in processing order */
    processed,
    processedData,
    get maxInFlightPerShard() {
      return maxInFlightPerShard;
    },
  };
}

/** Sequence numbers written to each shard, in order. */
export function byShard(puts: PutResult[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const p of puts) m.set(p.shardId, [...(m.get(p.shardId) ?? []), p.sequenceNumber]);
  for (const [k, v] of m) m.set(k, v.sort(compareSequenceNumbers));
  return m;
}

/** A poller with fast local timings and an event log. */
export function makePoller(env: LocalEnv, options: Partial<KinesisPollerOptions> & Pick<KinesisPollerOptions, 'streamName' | 'settings'> & { handler?: ReturnType<typeof recorder>['handler']; timeoutMs?: number }) {
  const events: PollerEvent[] = [];
  const { handler, timeoutMs, ...rest } = options;
  const poller = new KinesisPoller({
    kinesis: env.kinesis,
    region: REGION,
    consumer: `consumer-${options.streamName}`,
    checkpoints: env.checkpoints,
    invoker: inProcessInvoker(handler ?? (async () => {}), { timeoutMs: timeoutMs ?? 30_000, functionName: 'test' }),
    pollIntervalMs: 20,
    shardSyncIntervalMs: 100,
    retryBackoff: { baseMs: 1, maxMs: 5 },
    log: (e) => events.push(e),
    ...rest,
  });
  return { poller, events };
}

/** Waits until `check` is true (polling), or fails after `ms`. */
export async function waitFor(check: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
