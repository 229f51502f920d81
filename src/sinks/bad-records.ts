/**
 * Bad-record replay (`stream-metrics bad-records replay`): re-validates and re-processes
 * rejected records, e.g. after a schema fix, without double counting.
 *
 * A replayed record keeps its original position, and is written under a *replay writer*
 * (`<shard>#replay-<generation>`) with its own high-water marks: re-running an interrupted
 * replay changes nothing, and its de-duplication claim is its original position. The
 * generation is the number of earlier replays of the record, so a record that is still
 * rejected can be replayed again after the next fix. Its `records` data-quality count moves
 * from `rejected` to the new outcome instead of being counted twice.
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from '../config.ts';
import { decodeBatch } from '../decode/decode-batch.ts';
import { recomputeCounter, recomputeSketch } from '../metrics/aggregate.ts';
import { emit } from '../pipeline/emit.ts';
import { processDecoded } from '../pipeline/process-batch.ts';
import { positionKey } from '../position.ts';
import type { BatchSource, DecodedRecord, Outcome, StreamKind } from '../types.ts';
import { createSinks } from './create-sinks.ts';
import { DynamoBadRecordStore, type BadRecord } from './dynamodb/bad-record-store.ts';

/** Opens the bad-records store of a configuration. */
export function openBadRecordStore(config: Config): DynamoBadRecordStore {
  const client = new DynamoDBClient({ region: config.region, requestHandler: new NodeHttpHandler({ connectionTimeout: 3_000 }) });
  return new DynamoBadRecordStore(client, config.tables.badRecords, { retentionDays: config.badRecordRetentionDays });
}

export interface ReplayResult {
  replayed: number;
  counted: number;
  filtered: number;
  duplicate: number;
  rejected: number;
}

/** Re-decodes a stored bad record at its original position. */
function redecode(r: BadRecord, replayShard: string, maxRecordBytes: number): DecodedRecord {
  const [d] = decodeBatch([{ data: r.rawBase64, sequenceNumber: r.sequenceNumber, partitionKey: 'replay', approximateArrivalTimestamp: r.arrivalMs / 1000 }], replayShard, { maxRecordBytes });
  // A stored KPL user record is plain data: its position is the original sub-record's.
  return { ...d!, position: { shardId: replayShard, sequenceNumber: r.sequenceNumber, subSequence: r.subSequence }, posKey: positionKey(r.sequenceNumber, r.subSequence) };
}

/**
 * Replays the matching bad records through the pipeline and the sinks.
 *
 * @example
 * const out = await replayBadRecords(loadConfig(), { reason: 'unknown_currency' });
 */
export async function replayBadRecords(config: Config, filter: { streamName?: string; reason?: string }): Promise<ReplayResult> {
  const store = openBadRecordStore(config);
  const all: BadRecord[] = [];
  for await (const r of store.list({ ...filter, includeReplayed: false })) all.push(r);
  const out: ReplayResult = { replayed: 0, counted: 0, filtered: 0, duplicate: 0, rejected: 0 };
  // One batch per (shard, generation), in position order, like the shard itself.
  const groups = new Map<string, BadRecord[]>();
  for (const r of all) {
    const key = `${r.stream}\u0000${r.streamName}\u0000${r.shardId}\u0000${r.replays ?? 0}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const sinksByStream = new Map<StreamKind, ReturnType<typeof createSinks>>();
  const ddb = new DynamoDBClient({ region: config.region, requestHandler: new NodeHttpHandler({ connectionTimeout: 3_000 }) });
  for (const records of groups.values()) {
    records.sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
    const first = records[0]!;
    const replayShard = `${first.shardId}#replay-${first.replays ?? 0}`;
    const source: BatchSource = { stream: first.stream, streamName: first.streamName, shardId: replayShard };
    let sinks = sinksByStream.get(first.stream);
    if (!sinks) {
      sinks = createSinks(config, first.stream);
      sinksByStream.set(first.stream, sinks);
    }
    const decoded = records.map((r) => redecode(r, replayShard, config.maxRecordBytes));
    const replaces = new Map<string, { outcome: Outcome; reason: string | null }>(decoded.map((d, i) => [d.posKey, { outcome: 'rejected', reason: records[i]!.reason }]));
    const result = await processDecoded(decoded, source, { validate: config.validate, internalCidrs: config.internalCidrs, maxRecordBytes: config.maxRecordBytes, dedupeStore: sinks.dedupeStore }, replaces);
    // The originals stay in the bad-records table; a record still rejected is not stored twice.
    const emitted = await emit(result, { ...sinks.sinks, badRecords: null }, {
      counter: (d, after) => recomputeCounter(result.records, source, d, after),
      sketch: (d, after) => recomputeSketch(result.records, source, d, after),
    });
    if (emitted.failedFrom !== null) throw emitted.errors[0] ?? new Error('replay failed');
    const done: { pk: string; sk: string }[] = [];
    result.records.forEach((r, i) => {
      out[r.outcome]++;
      out.replayed++;
      const bad = records[i]!;
      if (r.outcome !== 'rejected') done.push({ pk: bad.pk, sk: bad.sk });
    });
    await store.markReplayed(done, Date.now());
    // Still rejected: the next replay uses a new generation (new writer, new marks).
    for (const [i, r] of result.records.entries()) {
      if (r.outcome !== 'rejected') continue;
      const bad = records[i]!;
      await ddb.send(new UpdateItemCommand({ TableName: config.tables.badRecords, Key: { pk: { S: bad.pk }, sk: { S: bad.sk } }, UpdateExpression: 'ADD replays :one', ExpressionAttributeValues: { ':one': { N: '1' } } }));
    }
  }
  return out;
}
