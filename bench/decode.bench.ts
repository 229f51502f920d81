/**
 * Micro-benchmark of the decode step alone: `decodeBatch` against the floor
 * (`JSON.parse(Buffer.from(data, 'base64').toString('utf8'))` per record) on the benchmark's
 * ~500-byte generated clickstream records, plus a KPL-aggregated variant. Interleaved
 * rounds, medians. Target: decodeBatch ≥ 0.85× the floor's throughput.
 *
 * Run: node --import tsx bench/decode.bench.ts
 */
import { decodeBatch } from '../src/decode/decode-batch.ts';
import { aggregate } from '../src/decode/kpl.ts';
import type { KinesisRecordInput } from '../src/types.ts';
import { buildEvent } from './batch.ts';

const BATCH = 500;
const input: KinesisRecordInput[] = buildEvent(10_000).Records.map((r) => r.kinesis);
const batches: KinesisRecordInput[][] = [];
for (let i = 0; i < input.length; i += BATCH) batches.push(input.slice(i, i + BATCH));

// The same user records, 10 per KPL aggregate.
const kplBatches: KinesisRecordInput[][] = batches.map((b) => {
  const out: KinesisRecordInput[] = [];
  for (let i = 0; i < b.length; i += 10) {
    const group = b.slice(i, i + 10);
    const bytes = aggregate(group.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') })));
    out.push({ ...group[0]!, data: Buffer.from(bytes).toString('base64') });
  }
  return out;
});

let sink = 0;
const variants: Record<string, () => void> = {
  floor: () => {
    for (const b of batches) {
      for (const r of b) {
        try {
          sink += JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')) ? 1 : 0;
        } catch {
          sink--; // the generator's bad records include invalid JSON
        }
      }
    }
  },
  // the floor, keeping each batch's values until the batch ends as any consumer must: the
  // retained objects survive young-generation GCs, which costs the floor too
  'floor (values kept)': () => {
    for (const b of batches) {
      const kept: unknown[] = [];
      for (const r of b) {
        try {
          kept.push(JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')));
        } catch {
          kept.push(undefined);
        }
      }
      sink += kept.length;
    }
  },
  decodeBatch: () => {
    for (const b of batches) sink += decodeBatch(b, 'shardId-000000000000', { maxRecordBytes: 1_048_576 }).length;
  },
  'decodeBatch (KPL x10)': () => {
    for (const b of kplBatches) sink += decodeBatch(b, 'shardId-000000000000', { maxRecordBytes: 1_048_576 }).length;
  },
};

const times: Record<string, number[]> = {};
for (let round = 0; round < 15; round++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t0 = process.hrtime.bigint();
    fn();
    const ns = Number(process.hrtime.bigint() - t0);
    if (round >= 3) (times[name] ??= []).push(ns / input.length);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floorNs = median(times.floor!);
const avgBytes = Math.round(input.reduce((s, r) => s + (r.data.length * 3) / 4, 0) / input.length);
console.log(`${input.length} records, ~${avgBytes} bytes each`);
for (const [name, ts] of Object.entries(times)) {
  const ns = median(ts);
  console.log(`${name.padEnd(24)} ${Math.round(1e9 / ns).toLocaleString('en-US').padStart(10)} records/s  ${(floorNs / ns).toFixed(2)}× floor`);
}
if (sink === 0) console.log('(nothing decoded?)');
