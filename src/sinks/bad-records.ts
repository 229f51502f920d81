/**
 * Bad-record replay (`stream-metrics bad-records replay`): re-validates and re-processes
 * rejected records, e.g. after a schema fix, without double counting.
 *
 * A replayed record keeps its original position; its `records` data-quality count moves
 * from `rejected` (with its stored reason) to the new outcome instead of being counted
 * twice. Exactly-once rests on the metric store's per-writer high-water marks, so the
 * records of one *replay group* go through the pipeline as one batch, in position order,
 * under a writer of their own, `<shard>#replay-<generation>-<id>`:
 *
 * - A group is the not-yet-replayed records of one shard with the same generation (earlier
 *   replays that left the record rejected) and the same stored reason. `--stream` and
 *   `--reason` therefore always select whole groups: replaying one reason never hides
 *   another reason's records behind a mark set by records at later positions.
 * - `<id>` is derived from the group's reason and its FIRST position, and the first record
 *   is the last one marked done. So re-running an interrupted replay finds the same first
 *   record, hence the same writer, and its marks skip what was already applied; while a new
 *   group (a later batch of bad records, or records left rejected by this replay, which
 *   move to the next generation) gets a fresh writer and is applied in full.
 * - A record that stays rejected gets its new reason stored with the next generation in one
 *   update, so its next replay moves the count from where it really is.
 */
import { createHash } from 'node:crypto';
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../config.ts';
import { decodeBatch } from '../decode/decode-batch.ts';
import { SinkError } from '../errors.ts';
import { recomputeCounter, recomputeSketch } from '../metrics/aggregate.ts';
import { emit, type EmitHooks } from '../pipeline/emit.ts';
import { processDecoded } from '../pipeline/process-batch.ts';
import { positionKey } from '../position.ts';
import type { BatchSource, ClassifiedRecord, DecodedRecord, Outcome, StreamKind } from '../types.ts';
import { createClient } from './clients.ts';
import { createSinks, type WorkerSinks } from './create-sinks.ts';
import { DynamoBadRecordStore, type BadRecord } from './dynamodb/bad-record-store.ts';
import { isConditionalCheckFailed } from './dynamodb/support.ts';
import { withRetry } from './retry.ts';

/** Opens the bad-records store of a configuration. */
export function openBadRecordStore(config: Config): DynamoBadRecordStore {
  const client = createClient('dynamodb', { region: config.region });
  return new DynamoBadRecordStore(client, config.tables.badRecords, { retentionDays: config.badRecordRetentionDays });
}

export interface ReplayResult {
  replayed: number;
  counted: number;
  filtered: number;
  duplicate: number;
  rejected: number;
}

/** Steps of a replay group, for fault injection: emit's steps, then `marked` (all but the group's first record marked done). */
export type ReplayStep = Parameters<NonNullable<EmitHooks['between']>>[0] | 'marked';

export interface ReplayHooks {
  /** called after each step of each group; throwing here is a crash mid-replay */
  between?(step: ReplayStep): void | Promise<void>;
}

export interface ReplayOptions {
  hooks?: ReplayHooks;
}

/** The writer (shard id of the replay batch) of one group: see the module comment. */
export function replayWriter(shardId: string, generation: number, reason: string, firstSk: string): string {
  const id = createHash('sha256').update(`${reason}\u0000${firstSk}`).digest('hex').slice(0, 12);
  return `${shardId}#replay-${generation}-${id}`;
}

/** Re-decodes a stored bad record at its original position. */
function redecode(r: BadRecord, maxRecordBytes: number): DecodedRecord {
  const [d] = decodeBatch([{ data: r.rawBase64, sequenceNumber: r.sequenceNumber, partitionKey: 'replay', approximateArrivalTimestamp: r.arrivalMs / 1000 }], r.shardId, { maxRecordBytes });
  // A stored KPL user record is plain data: its position is the original sub-record's, on
  // the original shard (the cleaned event row names it; only the writer id is the replay's).
  return { ...d!, position: { shardId: r.shardId, sequenceNumber: r.sequenceNumber, subSequence: r.subSequence }, posKey: positionKey(r.sequenceNumber, r.subSequence) };
}

/**
 * Replays the matching bad records through the pipeline and the sinks; safe to re-run after
 * an interruption (see the module comment). Throws when a sink gives up; nothing is counted
 * twice when it is run again.
 *
 * @example
 * const out = await replayBadRecords(loadConfig(), { reason: 'unknown_currency' });
 * console.log(`${out.counted} of ${out.replayed} now counted`);
 */
export async function replayBadRecords(config: Config, filter: { streamName?: string; reason?: string }, options: ReplayOptions = {}): Promise<ReplayResult> {
  const hooks = options.hooks ?? {};
  const store = openBadRecordStore(config);
  const groups = new Map<string, BadRecord[]>();
  for await (const r of store.list({ ...filter, includeReplayed: false })) {
    const key = JSON.stringify([r.stream, r.streamName, r.shardId, r.replays ?? 0, r.reason]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const out: ReplayResult = { replayed: 0, counted: 0, filtered: 0, duplicate: 0, rejected: 0 };
  const sinksByStream = new Map<StreamKind, WorkerSinks>();
  const ddb = createClient('dynamodb', { region: config.region });
  try {
    for (const records of groups.values()) {
      // Like the shard itself: one batch, in position order.
      records.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
      const first = records[0]!;
      const generation = first.replays ?? 0;
      const source: BatchSource = { stream: first.stream, streamName: first.streamName, shardId: replayWriter(first.shardId, generation, first.reason, first.sk) };
      let sinks = sinksByStream.get(first.stream);
      if (!sinks) sinksByStream.set(first.stream, (sinks = createSinks(config, first.stream)));
      const decoded = records.map((r) => redecode(r, config.maxRecordBytes));
      const replaces = new Map<string, { outcome: Outcome; reason: string | null }>(decoded.map((d, i) => [d.posKey, { outcome: 'rejected', reason: records[i]!.reason }]));
      const pipeline = { validate: config.validate, internalCidrs: config.internalCidrs, maxRecordBytes: config.maxRecordBytes, dedupeStore: sinks.dedupeStore };
      const result = await processDecoded(decoded, source, pipeline, replaces);
      // The originals stay in the bad-records table; a record still rejected is not stored twice.
      const emitted = await emit(
        result,
        { ...sinks.sinks, badRecords: null },
        {
          counter: (d, after) => recomputeCounter(result.records, source, d, after),
          sketch: (d, after) => recomputeSketch(result.records, source, d, after),
        },
        hooks,
      );
      if (emitted.failedFrom !== null) throw emitted.errors[0] ?? new SinkError('bad-record-replay', `replay of ${first.pk} failed`);
      for (const r of result.records) {
        out[r.outcome]++;
        out.replayed++;
      }
      // Done: the first record last, so that an interruption here leaves the group's writer as it was.
      const finish = async (i: number) => (result.records[i]!.outcome === 'rejected' ? stillRejected(ddb, config, records[i]!, result.records[i]!) : store.markReplayed([records[i]!], Date.now()));
      const rest = records.map((_, i) => i).slice(1);
      for (let i = 0; i < rest.length; i += 16) await Promise.all(rest.slice(i, i + 16).map(finish));
      await hooks.between?.('marked');
      await finish(0);
    }
  } finally {
    ddb.destroy();
    for (const s of sinksByStream.values()) for (const c of Object.values(s.clients)) c.destroy();
  }
  return out;
}

/**
 * A record that is still rejected: stores its new reason and moves it to the next
 * generation in one update (so a later replay uses a new writer and moves the count from the
 * right reason). A record that expired meanwhile is not brought back.
 */
async function stillRejected(ddb: DynamoDBClient, config: Config, bad: BadRecord, now: ClassifiedRecord): Promise<void> {
  try {
    await withRetry(
      () =>
        ddb.send(
          new UpdateItemCommand({
            TableName: config.tables.badRecords,
            Key: { pk: { S: bad.pk }, sk: { S: bad.sk } },
            UpdateExpression: 'SET #reason = :reason, #detail = :detail ADD #replays :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#reason': 'reason', '#detail': 'detail', '#replays': 'replays' },
            ExpressionAttributeValues: { ':reason': { S: now.reason ?? bad.reason }, ':detail': { S: (now.detail ?? bad.detail).slice(0, 2_000) }, ':one': { N: '1' } },
          }),
        ),
      { attempts: config.sinkRetryAttempts },
    );
  } catch (err) {
    if (isConditionalCheckFailed(err)) return;
    throw new SinkError('bad-record-replay', `updating ${bad.pk} ${bad.sk} failed: ${(err as Error).message}`, bad.sk, { cause: err });
  }
}
