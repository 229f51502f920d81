/**
 * A stand-in for the Kinesis event source mapping in front of the real handlers: every
 * shard's records go to its invoker in Lambda events, shards in parallel (one batch in
 * flight per shard), with Lambda's reactions — go on from the record `batchItemFailures`
 * names (the next batch starts there and may reach past the failed one's end), bisect a
 * batch after a function error (BisectBatchOnFunctionError), retry until records commit —
 * and a lost checkpoint now and then, which delivers batches that already committed again
 * (with new batch boundaries). Decisions come from one seeded
 * stream per shard, so they do not depend on how the shards interleave.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { StreamKind } from '../../src/types.ts';
import type { RefRecord } from './reference.ts';
import { rng } from './scenario.ts';

export type Invoke = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

export interface RunnerOptions {
  seed: number;
  /** largest batch (records) */
  maxBatch: number;
  /** per committed batch: probability that the checkpoint is lost and delivery rewinds to an earlier committed batch */
  replay: number;
  /** bisect a batch after a function error (else retry it whole) */
  bisect: boolean;
}

/** What the runner did, to prove each behaviour actually happened. */
export interface RunnerCounts {
  invocations: number;
  /** rewinds to an earlier checkpoint: committed batches delivered again */
  replays: number;
  replayedRecords: number;
  functionErrors: number;
  bisects: number;
  /** responses with `batchItemFailures` */
  partialRetries: number;
  /** … whose failed record was not the first of the batch (only the tail was retried) */
  partialFromMiddle: number;
}

export const emptyRunnerCounts = (): RunnerCounts => ({ invocations: 0, replays: 0, replayedRecords: 0, functionErrors: 0, bisects: 0, partialRetries: 0, partialFromMiddle: 0 });

/** A Lambda Kinesis event of records of one shard. */
export function kinesisEvent(records: readonly RefRecord[]): KinesisStreamEvent {
  return {
    Records: records.map((r) => ({
      kinesis: { kinesisSchemaVersion: '1.0', ...r.kinesis },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${r.shardId}:${r.kinesis.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/r',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${r.streamName}`,
    })),
  };
}

/** The records of each shard (`<stream>/<shardId>`), in sequence order. */
export function byShard(records: readonly RefRecord[]): Map<string, RefRecord[]> {
  const out = new Map<string, RefRecord[]>();
  for (const r of records) {
    const k = `${r.stream}/${r.shardId}`;
    const list = out.get(k) ?? [];
    list.push(r);
    out.set(k, list);
  }
  return out;
}

/** Stops a run that makes no progress instead of looping until the test times out. */
const MAX_ATTEMPTS = 300;

/**
 * Delivers every shard's records to the invoker of its shard until all are committed.
 *
 * @example
 * await runShards(records, (stream, shardKey) => stack.invoker(stream, shardKey, tables, seed), { seed, maxBatch: 30, replay: 0.2, bisect: true }, counts);
 */
export async function runShards(records: readonly RefRecord[], invokerFor: (stream: StreamKind, shardKey: string) => Invoke, o: RunnerOptions, counts: RunnerCounts): Promise<void> {
  const shards = [...byShard(records)];
  await Promise.all(
    shards.map(([shardKey, list], i) => {
      const random = rng((o.seed * 7919 + i * 104_729) >>> 0);
      return runShard(list, invokerFor(list[0]!.stream, shardKey), random, o, counts);
    }),
  );
}

async function runShard(list: RefRecord[], invoke: Invoke, random: () => number, o: RunnerOptions, counts: RunnerCounts): Promise<void> {
  /**
   * One batch until it or a prefix of it commits; returns how many of its records did.
   * After `batchItemFailures` the caller goes on from the failed record with a new batch
   * (which may reach past this one's end, as Lambda's next batch does); after a function
   * error the batch is bisected and its halves retried, or retried whole.
   */
  const deliver = async (batch: RefRecord[], depth: number): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      if (attempt > MAX_ATTEMPTS) throw new Error(`no progress on ${batch[0]!.shardId} after ${MAX_ATTEMPTS} attempts`);
      counts.invocations++;
      let out: KinesisStreamBatchResponse;
      try {
        out = await invoke(kinesisEvent(batch));
      } catch {
        counts.functionErrors++;
        if (o.bisect && batch.length > 1 && depth < 8) {
          counts.bisects++;
          const mid = Math.ceil(batch.length / 2);
          const first = await deliver(batch.slice(0, mid), depth + 1);
          return first < mid ? first : mid + (await deliver(batch.slice(mid), depth + 1));
        }
        continue;
      }
      const failures = out.batchItemFailures ?? [];
      if (failures.length === 0) return batch.length;
      counts.partialRetries++;
      // Lambda checkpoints before the lowest failed record and goes on from it.
      const indexes = failures.map((f) => batch.findIndex((r) => r.kinesis.sequenceNumber === f.itemIdentifier));
      if (indexes.some((x) => x < 0)) throw new Error(`batchItemFailures names a record outside the batch: ${JSON.stringify(failures)}`);
      const from = Math.min(...indexes);
      if (from > 0) {
        counts.partialFromMiddle++;
        return from;
      }
      // Nothing committed: the same records again (in a batch of new size, from the caller).
      if (depth === 0) return 0;
    }
  };
  const commits: number[] = [];
  let cursor = 0;
  let rewinds = 0;
  let stalled = 0;
  const maxRewinds = 2 + Math.floor(list.length / 30);
  while (cursor < list.length) {
    const size = 1 + Math.floor(random() * o.maxBatch);
    const committed = await deliver(list.slice(cursor, cursor + size), 0);
    if (committed === 0) {
      if (++stalled > MAX_ATTEMPTS) throw new Error(`no progress on ${list[0]!.shardId} at record ${cursor}`);
      continue;
    }
    stalled = 0;
    commits.push(cursor);
    cursor += committed;
    if (rewinds < maxRewinds && random() < o.replay) {
      // The checkpoint was lost: delivery starts again at one of the last committed batches.
      const back = commits[Math.max(0, commits.length - 1 - Math.floor(random() * 3))]!;
      counts.replays++;
      counts.replayedRecords += cursor - back;
      rewinds++;
      cursor = back;
    }
  }
}
