/**
 * One Kinesis batch, as steps: decode → validate → filter → clean → de-duplicate →
 * aggregate. Everything but the de-duplication store is pure; the result carries what the
 * sinks need to make the batch's effect exactly-once (positions, per-item first/last
 * contributing records, the rejected records with their raw data).
 */
import { decodeEach } from '../decode/decode-batch.ts';
import { aggregate } from '../metrics/aggregate.ts';
import type { BatchResult, BatchSource, ClassifiedRecord, DecodedRecord, DedupeStore, KinesisRecordInput, Outcome } from '../types.ts';
import { classify, type ClassifyOptions } from './classify.ts';
import { dedupe } from './dedupe.ts';

export interface PipelineOptions extends ClassifyOptions {
  maxRecordBytes: number;
  /** null: no durable de-duplication (in-batch copies are still duplicates) */
  dedupeStore: DedupeStore | null;
}

/**
 * Runs the pipeline over one batch of one shard.
 *
 * @example
 * const result = await processBatch(event.Records.map((r) => r.kinesis), source, options);
 * console.log(result.counts); // { counted: 97, filtered: 1, duplicate: 1, rejected: 1 }
 */
export async function processBatch(input: readonly KinesisRecordInput[], source: BatchSource, options: PipelineOptions): Promise<BatchResult> {
  // Decode and classify in one pass (see `decodeEach`): only the classified record of each
  // input outlives the step. Clickstream values come as Latin-1 (`latin1Strings`), which
  // `classify` reads through its field cleaning.
  const records: ClassifiedRecord[] = [];
  const stream = source.stream;
  decodeEach(input, source.shardId, { maxRecordBytes: options.maxRecordBytes, latin1Strings: stream === 'clickstream' }, (d) => {
    records.push(classify(stream, d, options));
  });
  return finish(records, source, options);
}

/**
 * The pipeline after decoding, for records decoded elsewhere (bad-record replay). `replaces`
 * gives, per position, the outcome a record had before (its `records` data-quality count
 * moves instead of being counted twice).
 */
export async function processDecoded(
  decoded: readonly DecodedRecord[],
  source: BatchSource,
  options: PipelineOptions,
  replaces?: ReadonlyMap<string, { outcome: Outcome; reason: string | null }>,
): Promise<BatchResult> {
  const records: ClassifiedRecord[] = new Array(decoded.length);
  for (let i = 0; i < decoded.length; i++) {
    const r = classify(source.stream, decoded[i]!, options);
    const before = replaces?.get(r.posKey);
    if (before) r.replaces = before;
    records[i] = r;
  }
  return finish(records, source, options);
}

/** De-duplication, aggregation and the tallies: the steps after classification. */
async function finish(records: ClassifiedRecord[], source: BatchSource, options: PipelineOptions): Promise<BatchResult> {
  await dedupe(source.stream, records, options.dedupeStore);
  const { counters, sketches } = aggregate(records, source);
  const counts: Record<Outcome, number> = { counted: 0, filtered: 0, duplicate: 0, rejected: 0 };
  const rejected: ClassifiedRecord[] = [];
  for (const r of records) {
    counts[r.outcome]++;
    if (r.outcome === 'rejected') rejected.push(r);
  }
  return { source, records, counters, sketches, rejected, counts };
}
