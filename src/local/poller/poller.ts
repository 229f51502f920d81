/**
 * The local event source mapping: reads a Kinesis stream (kinesalite or AWS) shard by shard
 * and invokes a handler with Lambda's event, batching, retry, bisect, partial-batch-response,
 * maximum-age and on-failure semantics, checkpointing durably in DynamoDB. One batch in
 * flight per shard (ParallelizationFactor 1), shards independent and concurrent, parents read
 * to their end before their children (splits and merges).
 *
 * kinesalite specifics handled here: ListShards takes `StreamName` (not `StreamARN`), and
 * children are found by `ParentShardId`/`AdjacentParentShardId` (no `ChildShards`);
 * `MillisBehindLatest` is always 0, so iterator age comes from `ApproximateArrivalTimestamp`;
 * iterators expire after 300 s (renewed after the last record read); `AT_TIMESTAMP` never
 * answers when no record is at or after the timestamp, so it is emulated client-side
 * (`TRIM_HORIZON` and skipping older records).
 */
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { EventSourceMappingSettings } from '../../settings.ts';
import type { Checkpoint, DynamoCheckpointStore } from './checkpoint-store.ts';
import type { FailureCondition, FileFailureDestination } from './on-failure.ts';
import type { InvokeOutcome, Invoker } from './types.ts';

/** Lambda's limit of a synchronous invocation's payload (6 MB). */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Kinesis's limit of records per GetRecords call. */
const MAX_GET_RECORDS = 10_000;

/** Small structured events for logs and tests. */
export type PollerEvent =
  | { type: 'shard-started'; shardId: string; from: string; sequenceNumber?: string }
  | { type: 'shard-ended'; shardId: string; lastSequenceNumber?: string }
  | { type: 'batch-invoked'; shardId: string; size: number; first: string; last: string; attempt: number }
  | { type: 'batch-succeeded'; shardId: string; size: number; first: string; last: string }
  | { type: 'batch-partially-failed'; shardId: string; size: number; failedFrom: string; attempt: number }
  | { type: 'batch-failed'; shardId: string; size: number; first: string; last: string; attempt: number; kind: string; error: string }
  | { type: 'batch-bisected'; shardId: string; size: number; halves: [number, number] }
  | { type: 'sent-to-destination'; shardId: string; size: number; first: string; last: string; condition: FailureCondition; reason: string }
  | { type: 'discarded-no-destination'; shardId: string; size: number; first: string; last: string; condition: FailureCondition; reason: string }
  | { type: 'iterator-renewed'; shardId: string; after?: string }
  | { type: 'poll-error'; shardId?: string; error: string }
  | { type: 'checkpoint-error'; shardId: string; error: string }
  | { type: 'shard-error'; shardId: string; error: string }
  | { type: 'stop-ended-invocations'; graceMs: number };

export interface ShardStats {
  /** records read from the shard */
  recordsIn: number;
  /** records done with: their batch succeeded (or the part before a partial failure), or they were given up on */
  recordsOut: number;
  /** invocations */
  batches: number;
  /** failed invocations (function errors and partial batch failures) */
  failures: number;
  /** records given up on (on-failure destination) */
  discarded: number;
  /** age of the last record handed to the function when it was sent; 0 when caught up */
  iteratorAgeMs: number;
  /** last checkpointed sequence number */
  lastSequenceNumber?: string;
}

export interface KinesisPollerOptions {
  kinesis: KinesisClient;
  streamName: string;
  /** default: from DescribeStreamSummary */
  streamArn?: string;
  region: string;
  /** the consumer's name in the checkpoint table (the function name) */
  consumer: string;
  settings: EventSourceMappingSettings;
  invoker: Invoker;
  checkpoints: DynamoCheckpointStore;
  onFailure?: FileFailureDestination;
  /** for `startingPosition: 'AT_TIMESTAMP'` */
  startingTimestamp?: Date;
  /** pause between GetRecords calls at the tip of a shard; default 200 ms */
  pollIntervalMs?: number;
  /** how often shards are re-listed (splits, merges); default 1,000 ms */
  shardSyncIntervalMs?: number;
  /** back-off between retries of a failed batch: `min(maxMs, baseMs·2^(retry−1))`; default 100 ms … 5 s */
  retryBackoff?: { baseMs: number; maxMs: number };
  /** close the invoker on `stop()`; default true */
  closeInvokerOnStop?: boolean;
  /**
   * How long `stop()` lets the batches in flight finish before it ends their invocations
   * (closing the invoker terminates the sandboxes, as the end of a Lambda environment does):
   * a handler that hangs (`--chaos timeout`, or a real one) would otherwise hold the stop
   * up to the function's timeout. An ended batch is not checkpointed, so the next start
   * reads it again. Only with `closeInvokerOnStop`; default 10,000 ms.
   */
  stopGraceMs?: number;
  log?: (event: PollerEvent) => void;
  /** clock for record ages (MaximumRecordAgeInSeconds, iterator age); default `Date.now` */
  now?: () => number;
}

/** One record as read, with its Lambda event form ready. */
interface Rec {
  sequenceNumber: string;
  arrivalMs: number;
  event: KinesisStreamRecord;
  /** bytes of `event` as JSON */
  bytes: number;
}

type StartSpec = { type: 'TRIM_HORIZON' } | { type: 'LATEST' } | { type: 'AT_TIMESTAMP'; timestamp: Date } | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

interface ShardState {
  shardId: string;
  parents: string[];
  closed: boolean;
  status: 'waiting' | 'starting' | 'running' | 'ended';
  spec: StartSpec;
  checkpoint?: Checkpoint;
  task?: Promise<void>;
  /** `performance.now()` when the last GetRecords that found the shard empty (nothing pending) was sent */
  caughtUpAt: number;
  /** records read but not yet checkpointed or skipped */
  busy: boolean;
}

type Verdict = { kind: 'success' } | { kind: 'partial'; index: number } | { kind: 'whole'; reason: string };

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Reads what a function returned, as the event source mapping does with
 * ReportBatchItemFailures: no response, no list or an empty list is success; a list whose
 * identifiers are all sequence numbers of the batch fails from the lowest of them; anything
 * else (a null, empty or unknown identifier, a list that is not a list) fails the batch.
 *
 * @example
 * interpretResponse({ batchItemFailures: [{ itemIdentifier: '30' }, { itemIdentifier: '20' }] }, ['10', '20', '30']);
 * // → { kind: 'partial', index: 1 }: checkpoint after '10', retry from '20'
 */
export function interpretResponse(response: unknown, sequenceNumbers: readonly string[], reportBatchItemFailures = true): Verdict {
  if (!reportBatchItemFailures || response === null || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as Partial<KinesisStreamBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'whole', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const index = new Map(sequenceNumbers.map((s, i) => [s, i]));
  let lowest = Infinity;
  for (const f of failures as unknown[]) {
    const id = typeof f === 'object' && f !== null ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return { kind: 'whole', reason: `invalid itemIdentifier ${JSON.stringify(id ?? null)}` };
    const i = index.get(id);
    if (i === undefined) return { kind: 'whole', reason: `itemIdentifier ${id} is not in the batch` };
    lowest = Math.min(lowest, i);
  }
  return { kind: 'partial', index: lowest };
}

/**
 * A Lambda-faithful Kinesis event source mapping for local runs.
 *
 * @example
 * const poller = new KinesisPoller({ kinesis, streamName: 'clickstream', region: 'us-east-1', consumer: 'stream-metrics-clickstream',
 *   settings: FUNCTIONS.clickstream.eventSource, invoker, checkpoints, onFailure });
 * await poller.start();
 * await poller.idle();
 * await poller.stop();
 */
export class KinesisPoller {
  readonly stats: { [shardId: string]: ShardStats } = {};
  readonly #o: KinesisPollerOptions;
  readonly #shards = new Map<string, ShardState>();
  readonly #abort = new AbortController();
  readonly #now: () => number;
  readonly #log: (event: PollerEvent) => void;
  #streamArn = '';
  #started = false;
  #stopped: Promise<void> | null = null;
  #syncing: Promise<void> = Promise.resolve();
  #syncLoop: Promise<void> | null = null;
  #initialCheckpoints = new Map<string, Checkpoint>();
  #firstSync = true;

  constructor(options: KinesisPollerOptions) {
    const s = options.settings;
    if (!(Number.isInteger(s.batchSize) && s.batchSize >= 1 && s.batchSize <= 10_000)) throw new RangeError(`batchSize must be 1–10,000, not ${s.batchSize}`);
    if (!(s.maximumBatchingWindowInSeconds >= 0 && s.maximumBatchingWindowInSeconds <= 300)) throw new RangeError(`maximumBatchingWindowInSeconds must be 0–300, not ${s.maximumBatchingWindowInSeconds}`);
    if (!(s.maximumRetryAttempts === -1 || (Number.isInteger(s.maximumRetryAttempts) && s.maximumRetryAttempts >= 0 && s.maximumRetryAttempts <= 10_000))) throw new RangeError(`maximumRetryAttempts must be -1 or 0–10,000, not ${s.maximumRetryAttempts}`);
    // AWS accepts 60–604,800; shorter ages are allowed here so that tests need not wait a minute.
    if (!(s.maximumRecordAgeInSeconds === -1 || (s.maximumRecordAgeInSeconds > 0 && s.maximumRecordAgeInSeconds <= 604_800))) throw new RangeError(`maximumRecordAgeInSeconds must be -1 or up to 604,800, not ${s.maximumRecordAgeInSeconds}`);
    if (s.parallelizationFactor !== 1) throw new RangeError('parallelizationFactor must be 1 (one batch in flight per shard)');
    if (s.startingPosition === 'AT_TIMESTAMP' && !options.startingTimestamp) throw new RangeError('startingPosition AT_TIMESTAMP needs startingTimestamp');
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => {});
  }

  get streamArn(): string {
    return this.#streamArn;
  }

  /** Lists the shards, loads the checkpoints and starts reading; resolves when running. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('poller already started');
    this.#started = true;
    this.#streamArn =
      this.#o.streamArn ?? (await this.#o.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: this.#o.streamName }))).StreamDescriptionSummary?.StreamARN ?? `arn:aws:kinesis:${this.#o.region}:000000000000:stream/${this.#o.streamName}`;
    this.#initialCheckpoints = await this.#o.checkpoints.list(this.#o.consumer);
    await this.#sync();
    this.#syncLoop = (async () => {
      const every = this.#o.shardSyncIntervalMs ?? 1_000;
      while (!this.#abort.signal.aborted) {
        await sleep(every, this.#abort.signal);
        if (this.#abort.signal.aborted) break;
        await this.#sync().catch((err) => this.#log({ type: 'poll-error', error: errorText(err) }));
      }
    })();
  }

  /**
   * Finishes the batches in flight (no new ones), keeps their checkpoints, and stops. A
   * batch still running after `stopGraceMs` is ended (see there) and read again next time.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#abort.abort();
      await this.#syncLoop;
      await this.#syncing.catch(() => {});
      const tasks = Promise.all([...this.#shards.values()].map((s) => s.task));
      const closeInvoker = this.#o.closeInvokerOnStop ?? true;
      if (closeInvoker) {
        let timer: NodeJS.Timeout | undefined;
        const graceOver = new Promise<'grace-over'>((resolve) => (timer = setTimeout(() => resolve('grace-over'), this.#o.stopGraceMs ?? 10_000)));
        const first = await Promise.race([tasks, graceOver]);
        clearTimeout(timer);
        if (first === 'grace-over') this.#log({ type: 'stop-ended-invocations', graceMs: this.#o.stopGraceMs ?? 10_000 });
        // Ends the invocations still running after the grace, or just the idle sandboxes.
        await this.#o.invoker.close();
      }
      await tasks;
    })();
    return this.#stopped;
  }

  /**
   * Resolves when every shard has been read to the tip of the stream as of this call: each
   * open shard found empty by a GetRecords sent after the call with nothing pending, each
   * closed one read to its end (for tests and `stack.idle()`).
   */
  async idle(): Promise<void> {
    const since = performance.now();
    await this.#sync();
    for (;;) {
      if (this.#abort.signal.aborted) return;
      const shards = [...this.#shards.values()];
      if (shards.every((s) => s.status === 'ended' || (s.status === 'running' && !s.busy && s.caughtUpAt >= since))) {
        // A split or merge after the last listing would add shards: list once more to be sure.
        const before = this.#shards.size;
        await this.#sync();
        if (this.#shards.size === before) return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Lists shards; registers new ones with their starting position; launches the eligible. */
  #sync(): Promise<void> {
    const run = this.#syncing.then(() => this.#syncOnce());
    this.#syncing = run.catch(() => {});
    return run;
  }

  async #syncOnce(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    const listed: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.#o.kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.#o.streamName }));
      listed.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    const known = new Set(listed.map((s) => s.ShardId!));
    const initial = this.#firstSync;
    this.#firstSync = false;
    // Parents come before their children in ListShards (children get higher ids), so one
    // pass decides each lineage in order.
    for (const shard of listed) {
      const shardId = shard.ShardId!;
      if (this.#shards.has(shardId)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p && known.has(p));
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const state: ShardState = { shardId, parents, closed, status: 'waiting', spec: { type: 'TRIM_HORIZON' }, caughtUpAt: -Infinity, busy: false };
      const cp = this.#initialCheckpoints.get(shardId);
      this.stats[shardId] = { recordsIn: 0, recordsOut: 0, batches: 0, failures: 0, discarded: 0, iteratorAgeMs: 0, ...(cp?.sequenceNumber ? { lastSequenceNumber: cp.sequenceNumber } : {}) };
      if (cp) {
        state.checkpoint = cp;
        if (cp.shardEnded) state.status = 'ended';
        else if (cp.sequenceNumber) state.spec = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: cp.sequenceNumber };
        else if (cp.atTimestamp !== undefined) state.spec = { type: 'AT_TIMESTAMP', timestamp: new Date(cp.atTimestamp) };
      } else if (initial && !parents.some((p) => this.#tracked(p))) {
        // The starting position applies to the shards that exist when the mapping starts and
        // whose lineage was never read; shards created later are read from their start.
        const pos = this.#o.settings.startingPosition;
        if (pos === 'AT_TIMESTAMP') state.spec = { type: 'AT_TIMESTAMP', timestamp: this.#o.startingTimestamp! };
        else if (pos === 'LATEST') {
          if (closed) state.status = 'ended';
          else state.spec = { type: 'LATEST' };
        }
      }
      this.#shards.set(shardId, state);
    }
    const launches: Promise<void>[] = [];
    for (const state of this.#shards.values()) {
      if (state.status !== 'waiting') continue;
      if (state.parents.every((p) => this.#shards.get(p)?.status === 'ended')) launches.push(this.#launch(state));
    }
    await Promise.all(launches);
  }

  /** A shard whose records this consumer reads or has read (its children start at their beginning). */
  #tracked(shardId: string): boolean {
    const s = this.#shards.get(shardId);
    if (!s) return false;
    if (s.checkpoint) return true;
    return s.status !== 'ended' && s.spec.type !== 'LATEST';
  }

  async #launch(state: ShardState): Promise<void> {
    state.status = 'starting';
    let iterator: string | undefined;
    try {
      if (state.spec.type === 'LATEST' && !state.checkpoint) {
        // Remember where LATEST began (kinesalite's clock is this machine's), so that a restart
        // before the first record is processed does not skip what arrived in between.
        const cp: Checkpoint = { atTimestamp: Date.now(), updatedAt: Date.now() };
        await this.#o.checkpoints.put(this.#o.consumer, state.shardId, cp);
        state.checkpoint = cp;
      }
      iterator = await this.#iterator(state.shardId, state.spec);
    } catch (err) {
      state.status = 'waiting';
      this.#log({ type: 'poll-error', shardId: state.shardId, error: errorText(err) });
      return;
    }
    state.status = 'running';
    this.#log({ type: 'shard-started', shardId: state.shardId, from: state.spec.type, ...(state.spec.type === 'AFTER_SEQUENCE_NUMBER' ? { sequenceNumber: state.spec.sequenceNumber } : {}) });
    state.task = this.#runShard(state, iterator).catch((err) => {
      // Unexpected (e.g. the checkpoint table unreachable): start over from the checkpoint.
      this.#log({ type: 'shard-error', shardId: state.shardId, error: errorText(err) });
      state.busy = false;
      if (state.status !== 'ended') {
        state.status = 'waiting';
        if (state.checkpoint?.sequenceNumber) state.spec = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: state.checkpoint.sequenceNumber };
        else if (state.checkpoint?.atTimestamp !== undefined) state.spec = { type: 'AT_TIMESTAMP', timestamp: new Date(state.checkpoint.atTimestamp) };
      }
    });
  }

  async #iterator(shardId: string, spec: StartSpec): Promise<string | undefined> {
    const input: GetShardIteratorCommandInput = { StreamName: this.#o.streamName, ShardId: shardId, ShardIteratorType: spec.type === 'AT_TIMESTAMP' ? 'TRIM_HORIZON' : spec.type };
    if (spec.type === 'AFTER_SEQUENCE_NUMBER') input.StartingSequenceNumber = spec.sequenceNumber;
    const out = await this.#o.kinesis.send(new GetShardIteratorCommand(input));
    return out.ShardIterator;
  }

  #toRec(shardId: string, r: { SequenceNumber?: string; PartitionKey?: string; Data?: Uint8Array; ApproximateArrivalTimestamp?: Date }): Rec {
    const sequenceNumber = r.SequenceNumber!;
    const arrivalMs = r.ApproximateArrivalTimestamp?.getTime() ?? this.#now();
    const data = r.Data ?? new Uint8Array();
    const event: KinesisStreamRecord = {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey ?? '',
        sequenceNumber,
        data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
        approximateArrivalTimestamp: arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${this.#streamArn.split(':')[4] || '000000000000'}:role/${this.#o.consumer}-role`,
      awsRegion: this.#o.region,
      eventSourceARN: this.#streamArn,
    };
    return { sequenceNumber, arrivalMs, event, bytes: eventRecordBytes(event) };
  }

  /** How many of `pending` (from the front) fit in one invocation: BatchSize and 6 MB. */
  #fits(pending: Rec[]): number {
    // `{"Records":[` … `]}` and one comma between records
    let bytes = 14;
    let n = 0;
    for (const r of pending) {
      if (n >= this.#o.settings.batchSize) break;
      const add = r.bytes + (n > 0 ? 1 : 0);
      if (n > 0 && bytes + add > MAX_PAYLOAD_BYTES) break;
      bytes += add;
      n++;
    }
    return n;
  }

  async #runShard(state: ShardState, firstIterator: string | undefined): Promise<void> {
    const { shardId } = state;
    const signal = this.#abort.signal;
    const settings = this.#o.settings;
    const windowMs = settings.maximumBatchingWindowInSeconds * 1000;
    const pollMs = this.#o.pollIntervalMs ?? 200;
    const stats = this.stats[shardId]!;
    const skipBefore = state.spec.type === 'AT_TIMESTAMP' ? state.spec.timestamp.getTime() : undefined;
    let iterator = firstIterator;
    let lastRead = state.checkpoint?.sequenceNumber;
    const pending: Rec[] = [];
    // One GetRecords sent while the previous batch is being processed, as the event source
    // mapping reads ahead of the function: reading then costs the next batch no time.
    let readAhead: Promise<GetRecordsCommandOutput> | null = null;

    while (!signal.aborted) {
      // Gather one batch.
      let deadline = pending.length > 0 ? performance.now() + windowMs : undefined;
      let polls = 0;
      for (;;) {
        const take = this.#fits(pending);
        if (take < pending.length || take >= settings.batchSize) break; // full
        if (iterator === undefined) break; // the shard is closed and read to its end
        if (pending.length > 0 && (windowMs === 0 ? polls > 0 || deadline !== undefined : performance.now() >= deadline!)) break;
        if (signal.aborted) return;
        const sentAt = performance.now();
        let out;
        try {
          const request = readAhead ?? this.#o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(MAX_GET_RECORDS, settings.batchSize - pending.length) }));
          readAhead = null;
          out = await request;
        } catch (err) {
          if ((err as Error).name === 'ExpiredIteratorException') {
            // Renew after the last record read (buffered records are kept), or from the start.
            const spec: StartSpec = lastRead ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lastRead } : state.spec;
            iterator = await this.#iterator(shardId, spec);
            this.#log({ type: 'iterator-renewed', shardId, ...(lastRead ? { after: lastRead } : {}) });
            continue;
          }
          this.#log({ type: 'poll-error', shardId, error: errorText(err) });
          await sleep(Math.max(pollMs, 100), signal);
          continue;
        }
        polls++;
        iterator = out.NextShardIterator ?? undefined;
        const read = (out.Records ?? []).map((r) => this.#toRec(shardId, r));
        if (read.length > 0) lastRead = read[read.length - 1]!.sequenceNumber;
        stats.recordsIn += read.length;
        // AT_TIMESTAMP, emulated: records that arrived before the timestamp are passed over.
        const records = skipBefore === undefined ? read : read.filter((r) => r.arrivalMs >= skipBefore);
        if (records.length > 0) {
          pending.push(...records);
          state.busy = true;
          deadline ??= performance.now() + windowMs;
          continue;
        }
        if (read.length > 0) continue;
        if (pending.length === 0) {
          state.busy = false;
          state.caughtUpAt = sentAt;
          stats.iteratorAgeMs = 0;
          if (iterator === undefined) break;
          await sleep(pollMs, signal);
        } else if (windowMs > 0) {
          await sleep(Math.max(1, Math.min(pollMs, deadline! - performance.now())), signal);
        }
      }
      if (signal.aborted) return;

      if (pending.length > 0) {
        const batch = pending.splice(0, this.#fits(pending));
        if (readAhead === null && iterator !== undefined && pending.length < settings.batchSize) {
          readAhead = this.#o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(MAX_GET_RECORDS, settings.batchSize - pending.length) }));
          // Its failure (an expired iterator, say) is handled where it is awaited; not before.
          readAhead.catch(() => {});
        }
        const done = await this.#process(state, batch);
        if (!done) return; // stopped mid-retry: the rest is read again from the checkpoint
        if (pending.length === 0) state.busy = false;
        continue;
      }
      if (iterator === undefined) {
        // Closed and fully processed: record it, so that the children may start.
        const cp: Checkpoint = { ...(state.checkpoint?.sequenceNumber ? { sequenceNumber: state.checkpoint.sequenceNumber } : {}), shardEnded: true, updatedAt: Date.now() };
        await this.#o.checkpoints.put(this.#o.consumer, shardId, cp);
        state.checkpoint = cp;
        state.status = 'ended';
        state.busy = false;
        this.#log({ type: 'shard-ended', shardId, ...(cp.sequenceNumber ? { lastSequenceNumber: cp.sequenceNumber } : {}) });
        void this.#sync().catch((err) => this.#log({ type: 'poll-error', error: errorText(err) }));
        return;
      }
    }
  }

  async #checkpoint(state: ShardState, sequenceNumber: string): Promise<void> {
    const cp: Checkpoint = { sequenceNumber, updatedAt: Date.now() };
    try {
      await this.#o.checkpoints.put(this.#o.consumer, state.shardId, cp);
    } catch (err) {
      // Not durable: a restart replays from the previous checkpoint (the sinks are idempotent).
      this.#log({ type: 'checkpoint-error', shardId: state.shardId, error: errorText(err) });
    }
    state.checkpoint = cp;
    this.stats[state.shardId]!.lastSequenceNumber = sequenceNumber;
  }

  /**
   * Delivers one batch until it succeeds or is given up on (on-failure destination), with
   * Lambda's retry, bisect and maximum-age rules. Returns false when stopped before the end.
   */
  async #process(state: ShardState, records: Rec[]): Promise<boolean> {
    const { shardId } = state;
    const s = this.#o.settings;
    const stats = this.stats[shardId]!;
    const signal = this.#abort.signal;
    // Sub-batches still to deliver, in order; `retries` counts retries (bisecting consumes none).
    const queue: { records: Rec[]; retries: number; invocations: number; lastError?: string }[] = [{ records, retries: 0, invocations: 0 }];
    while (queue.length > 0) {
      const b = queue[0]!;
      if (s.maximumRecordAgeInSeconds !== -1) {
        const limit = this.#now() - s.maximumRecordAgeInSeconds * 1000;
        let k = 0;
        while (k < b.records.length && b.records[k]!.arrivalMs < limit) k++;
        if (k > 0) {
          const expired = b.records.splice(0, k);
          await this.#discard(state, expired, 'RecordAgeExceeded', `records older than MaximumRecordAgeInSeconds (${s.maximumRecordAgeInSeconds} s)`, b.invocations, b.lastError);
          if (b.records.length === 0) {
            queue.shift();
            continue;
          }
        }
      }
      const first = b.records[0]!.sequenceNumber;
      const last = b.records[b.records.length - 1]!.sequenceNumber;
      const event: KinesisStreamEvent = { Records: b.records.map((r) => r.event) };
      stats.batches++;
      stats.iteratorAgeMs = Math.max(0, this.#now() - b.records[b.records.length - 1]!.arrivalMs);
      b.invocations++;
      this.#log({ type: 'batch-invoked', shardId, size: b.records.length, first, last, attempt: b.retries + 1 });
      let outcome: InvokeOutcome;
      try {
        outcome = await this.#o.invoker.invoke(event);
      } catch (err) {
        outcome = { ok: false, kind: 'error', error: errorText(err) };
      }
      const verdict: Verdict = outcome.ok ? interpretResponse(outcome.response, b.records.map((r) => r.sequenceNumber), s.reportBatchItemFailures) : { kind: 'whole', reason: outcome.error };
      // Stopping: a failed batch is left as it is, to be read again at the next start (its
      // invocation may have been ended by the stop itself, which is no reason to bisect,
      // use up a retry or give up on records).
      if (verdict.kind === 'whole' && signal.aborted) return false;

      if (verdict.kind === 'success') {
        await this.#checkpoint(state, last);
        stats.recordsOut += b.records.length;
        this.#log({ type: 'batch-succeeded', shardId, size: b.records.length, first, last });
        queue.shift();
        continue;
      }

      stats.failures++;
      if (verdict.kind === 'partial') {
        const failedFrom = b.records[verdict.index]!.sequenceNumber;
        this.#log({ type: 'batch-partially-failed', shardId, size: b.records.length, failedFrom, attempt: b.retries + 1 });
        b.lastError = `partial batch failure from ${failedFrom}`;
        if (verdict.index > 0) {
          // Checkpoint just before the lowest failed record; retry from it.
          await this.#checkpoint(state, b.records[verdict.index - 1]!.sequenceNumber);
          stats.recordsOut += verdict.index;
          b.records = b.records.slice(verdict.index);
          // With BisectBatchOnFunctionError Lambda splits at the returned sequence number: a split,
          // which consumes no retry. Without it, the retry of the rest is a retry.
          if (!s.bisectBatchOnFunctionError) b.retries++;
        } else b.retries++;
      } else {
        const kind = outcome.ok ? 'invalid-response' : outcome.kind;
        b.lastError = verdict.reason;
        this.#log({ type: 'batch-failed', shardId, size: b.records.length, first, last, attempt: b.retries + 1, kind, error: verdict.reason });
        if (s.bisectBatchOnFunctionError && b.records.length > 1) {
          const mid = Math.ceil(b.records.length / 2);
          const halves = [
            { records: b.records.slice(0, mid), retries: b.retries, invocations: 0, lastError: verdict.reason },
            { records: b.records.slice(mid), retries: b.retries, invocations: 0, lastError: verdict.reason },
          ];
          this.#log({ type: 'batch-bisected', shardId, size: b.records.length, halves: [halves[0]!.records.length, halves[1]!.records.length] });
          queue.splice(0, 1, ...halves);
          if (signal.aborted) return false;
          continue;
        }
        b.retries++;
      }
      if (signal.aborted) return false;
      if (s.maximumRetryAttempts !== -1 && b.retries > s.maximumRetryAttempts) {
        await this.#discard(state, b.records, 'RetryAttemptsExhausted', `retries exhausted (MaximumRetryAttempts ${s.maximumRetryAttempts}): ${b.lastError}`, b.invocations, b.lastError);
        queue.shift();
        continue;
      }
      const backoff = this.#o.retryBackoff ?? { baseMs: 100, maxMs: 5_000 };
      await sleep(Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, b.retries - 1)), signal);
      if (signal.aborted) return false;
    }
    return true;
  }

  /** Gives up on records: describes them to the on-failure destination and checkpoints past them. */
  async #discard(state: ShardState, records: Rec[], condition: FailureCondition, reason: string, invocations: number, lastError: string | undefined): Promise<void> {
    const first = records[0]!;
    const last = records[records.length - 1]!;
    const info = {
      shardId: state.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
      batchSize: records.length,
      streamArn: this.#streamArn,
    };
    const summary = { shardId: state.shardId, size: records.length, first: first.sequenceNumber, last: last.sequenceNumber, condition, reason };
    if (this.#o.onFailure) {
      await this.#o.onFailure.send({
        ...info,
        reason,
        condition,
        approximateInvokeCount: invocations,
        functionArn: `arn:aws:lambda:${this.#o.region}:${this.#streamArn.split(':')[4] || '000000000000'}:function:${this.#o.consumer}`,
        ...(condition === 'RetryAttemptsExhausted' && lastError ? { functionError: 'Unhandled' } : {}),
      });
      this.#log({ type: 'sent-to-destination', ...summary });
    } else this.#log({ type: 'discarded-no-destination', ...summary });
    this.stats[state.shardId]!.discarded += records.length;
    this.stats[state.shardId]!.recordsOut += records.length;
    await this.#checkpoint(state, last.sequenceNumber);
  }
}

const jsonBytes = (v: string | number) => Buffer.byteLength(JSON.stringify(v));

/**
 * The size of one record of the Lambda event as JSON (what counts against the 6 MB
 * payload), computed from its fields: the same number as
 * `Buffer.byteLength(JSON.stringify(record))` without writing the ~700 bytes of JSON for
 * every record read. The base64 data and the decimal sequence number need no escaping.
 *
 * @example
 * eventRecordBytes(record) === Buffer.byteLength(JSON.stringify(record)); // true
 */
export function eventRecordBytes(r: KinesisStreamRecord): number {
  const k = r.kinesis;
  return (
    // {"kinesis":{"kinesisSchemaVersion":,"partitionKey":,"sequenceNumber":,"data":,"approximateArrivalTimestamp":},
    // "eventSource":,"eventVersion":,"eventID":,"eventName":,"invokeIdentityArn":,"awsRegion":,"eventSourceARN":}
    EVENT_RECORD_FRAME_BYTES +
    jsonBytes(k.kinesisSchemaVersion) +
    jsonBytes(k.partitionKey) +
    k.sequenceNumber.length +
    2 +
    k.data.length +
    2 +
    jsonBytes(k.approximateArrivalTimestamp) +
    jsonBytes(r.eventSource) +
    jsonBytes(r.eventVersion) +
    jsonBytes(r.eventID) +
    jsonBytes(r.eventName) +
    jsonBytes(r.invokeIdentityArn) +
    jsonBytes(r.awsRegion) +
    jsonBytes(r.eventSourceARN)
  );
}

const EVENT_RECORD_FRAME_BYTES = '{"kinesis":{"kinesisSchemaVersion":,"partitionKey":,"sequenceNumber":,"data":,"approximateArrivalTimestamp":},"eventSource":,"eventVersion":,"eventID":,"eventName":,"invokeIdentityArn":,"awsRegion":,"eventSourceARN":}'.length;
