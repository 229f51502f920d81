/**
 * `npm run bench`: the pipeline's throughput against a floor and a peer, side by side in one
 * process, interleaved rounds, medians (this machine is noisy: read the ratios).
 *
 * - floor: base64 decode + JSON.parse per record, nothing else;
 * - peer: what a typical user writes — Powertools `BatchProcessor` with a record handler that
 *   parses and validates with the zod schema of the same event, plus the same aggregation;
 *   and, separately, Powertools' parser `KinesisEnvelope` with the same schema;
 * - ours: the full pipeline (decode, validate, filter, clean, de-duplicate, aggregate).
 *
 * The last line is one JSON object:
 * {"records":N,"floor_rps":…,"peer_rps":…,"ours_rps":…,"vs_floor":…,"vs_peer":…,"peak_rss_mb":…}
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { KinesisEnvelope } from '@aws-lambda-powertools/parser/envelopes/kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryDedupeStore } from '../src/dedupe/memory-dedupe-store.ts';
import { parseCidrList } from '../src/filter/cidr.ts';
import { aggregate } from '../src/metrics/aggregate.ts';
import { processBatch } from '../src/pipeline/process-batch.ts';
import { clickstreamEventSchema } from '../src/schema/clickstream.ts';
import type { BatchSource, ClassifiedRecord, CleanClick } from '../src/types.ts';
import { buildEvent } from './batch.ts';

const SOURCE: BatchSource = { stream: 'clickstream', streamName: 'clickstream', shardId: 'shardId-000000000000' };
const HORIZONS = { clickstream: 3_600_000, transactions: 86_400_000 };
const OPTIONS = { validate: { allowedLatenessMs: 7 * 86_400_000, futureToleranceMs: 300_000 }, internalCidrs: parseCidrList(''), maxRecordBytes: 1_048_576 };

function floor(event: KinesisStreamEvent): number {
  let n = 0;
  for (const r of event.Records) {
    // The realistic batch holds a few bad records: the floor survives them, nothing more.
    try {
      if (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'))) n++;
    } catch {
      /* counted as nothing */
    }
  }
  return n;
}

/** The peer's aggregation input: the validated event, not cleaned (it has no cleaning). */
function asCounted(v: Record<string, any>, r: KinesisStreamRecord, i: number): ClassifiedRecord {
  const occurredAtMs = typeof v.occurredAt === 'number' ? v.occurredAt : Date.parse(v.occurredAt);
  const clean = { kind: 'clickstream', eventId: v.eventId, type: v.type, occurredAtMs, sessionId: v.sessionId, anonymousId: v.anonymousId, page: v.page.url, country: v.country ?? 'ZZ', device: 'other' } as unknown as CleanClick;
  return { position: { shardId: SOURCE.shardId, sequenceNumber: r.kinesis.sequenceNumber, subSequence: 0 }, posKey: String(i).padStart(10, '0'), arrivalMs: r.kinesis.approximateArrivalTimestamp * 1000, outcome: 'counted', reason: null, clean };
}

async function peer(event: KinesisStreamEvent): Promise<number> {
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const counted: ClassifiedRecord[] = [];
  let i = 0;
  const handler = async (record: KinesisStreamRecord) => {
    const value = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
    const parsed = clickstreamEventSchema.safeParse(value);
    if (!parsed.success) throw new Error('invalid');
    counted.push(asCounted(parsed.data as Record<string, any>, record, i++));
  };
  await processPartialResponse(event, handler, processor);
  aggregate(counted, SOURCE);
  return counted.length;
}

function peerEnvelope(event: KinesisStreamEvent): number {
  const out = KinesisEnvelope.safeParse(event, clickstreamEventSchema);
  return out.success ? out.data.length : 0;
}

async function ours(event: KinesisStreamEvent): Promise<number> {
  const result = await processBatch(event.Records.map((r) => r.kinesis), SOURCE, { ...OPTIONS, dedupeStore: new MemoryDedupeStore(HORIZONS) });
  return result.counts.counted;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(name: string, event: KinesisStreamEvent, fn: (e: KinesisStreamEvent) => unknown, times: number[]) {
  const t0 = process.hrtime.bigint();
  await fn(event);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  return name;
}

async function compare(event: KinesisStreamEvent, rounds: number, withEnvelope: boolean) {
  const contenders: [string, (e: KinesisStreamEvent) => unknown][] = [
    ['floor', floor],
    ['peer', peer],
    ['ours', ours],
    ...(withEnvelope ? ([['peer_envelope', peerEnvelope]] as [string, (e: KinesisStreamEvent) => unknown][]) : []),
  ];
  const times = new Map(contenders.map(([n]) => [n, [] as number[]]));
  for (const [, fn] of contenders) await fn(event); // warm-up
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no contender always runs right after GC-heavy work.
    for (let k = 0; k < contenders.length; k++) {
      const [name, fn] = contenders[(k + r) % contenders.length]!;
      await measure(name, event, fn, times.get(name)!);
    }
  }
  const rps = Object.fromEntries([...times].map(([n, t]) => [n, Math.round((event.Records.length * 1000) / median(t))]));
  return rps;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const results: Record<string, unknown>[] = [];
for (const size of ['max', 10_000] as const) {
  const event = buildEvent(size, 3);
  const payloadMb = JSON.stringify(event).length / 1048576;
  const rps = await compare(event, rounds, size === 'max');
  const line = { batch: size === 'max' ? 'largest Lambda batch' : '10,000 records', records: event.Records.length, payload_mb: +payloadMb.toFixed(2), ...rps, vs_floor: +(rps.ours! / rps.floor!).toFixed(3), vs_peer: +(rps.ours! / rps.peer!).toFixed(3) };
  console.log(JSON.stringify(line));
  results.push(line);
}
// Peak RSS in a fresh process, of the probe bundled by esbuild as the Lambda handlers are
// (what Lambda runs: no tsx, whose loader thread and transpiler take ~30 MB of their own).
const bundleDir = mkdtempSync(path.join(tmpdir(), 'rss-probe-'));
let probe: { records: number; payload_mb: number; peak_rss_mb: number; source: string };
try {
  const outfile = path.join(bundleDir, 'rss-probe.mjs');
  await build({ entryPoints: [path.join(here, 'rss-probe.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning' });
  probe = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' }).trim().split('\n').pop()!);
} finally {
  rmSync(bundleDir, { recursive: true, force: true });
}
console.log(`peak RSS of one invocation on the largest batch (${probe.records} records, ${probe.payload_mb} MB, esbuild bundle, ${probe.source}): ${probe.peak_rss_mb} MB`);
const main = results[0] as { records: number; floor: number; peer: number; ours: number; vs_floor: number; vs_peer: number };
console.log(JSON.stringify({ records: main.records, floor_rps: main.floor, peer_rps: main.peer, ours_rps: main.ours, vs_floor: main.vs_floor, vs_peer: main.vs_peer, peak_rss_mb: probe.peak_rss_mb }));
