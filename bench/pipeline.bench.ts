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
 * Three fresh processes (`BENCH_PROCESSES`) each interleave the contenders for 15 rounds
 * (`BENCH_ROUNDS`); the medians are taken over the rounds of all of them.
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

type Contender = [string, (e: KinesisStreamEvent) => unknown];

async function measure(event: KinesisStreamEvent, fn: (e: KinesisStreamEvent) => unknown, times: number[]) {
  const t0 = process.hrtime.bigint();
  await fn(event);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}

/** Interleaved rounds of `contenders` on `event`: each one's round times in ms. */
async function compare(event: KinesisStreamEvent, rounds: number, contenders: Contender[]): Promise<Record<string, number[]>> {
  const times = new Map(contenders.map(([n]) => [n, [] as number[]]));
  for (const [, fn] of contenders) await fn(event); // warm-up
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no contender always runs right after GC-heavy work.
    for (let k = 0; k < contenders.length; k++) {
      const [name, fn] = contenders[(k + r) % contenders.length]!;
      await measure(event, fn, times.get(name)!);
    }
  }
  return Object.fromEntries(times);
}

/** What one measuring process reports per batch size: round times in ms per contender. */
interface SizeTimes {
  batch: string;
  records: number;
  payload_mb: number;
  times: Record<string, number[]>;
}

/**
 * One measuring process: both batch sizes, the floor, the peer and ours interleaved round
 * by round. Powertools' `KinesisEnvelope` is measured separately afterwards, on its own
 * (its rate is reported, it is in no ratio): each of its rounds leaves ~16 KB of native memory per record
 * behind on Node 20 (a failed gunzip per record), and the collections that this garbage
 * provokes would land in the rounds of whichever contender ran next.
 */
async function measureProcess(rounds: number): Promise<SizeTimes[]> {
  const out: SizeTimes[] = [];
  for (const size of ['max', 10_000] as const) {
    const event = buildEvent(size, 3);
    const payloadMb = JSON.stringify(event).length / 1048576;
    const times = await compare(event, rounds, [['floor', floor], ['peer', peer], ['ours', ours]]);
    if (size === 'max') times.peer_envelope = (await compare(event, Math.min(rounds, 5), [['peer_envelope', peerEnvelope]])).peer_envelope!;
    out.push({ batch: size === 'max' ? 'largest Lambda batch' : '10,000 records', records: event.Records.length, payload_mb: +payloadMb.toFixed(2), times });
  }
  return out;
}

/** The line of one batch size: median rate per contender over `times`, and the ratios. */
function summary(s: SizeTimes): Record<string, unknown> & { records: number; floor: number; peer: number; ours: number; vs_floor: number; vs_peer: number } {
  const rps = Object.fromEntries(Object.entries(s.times).map(([n, t]) => [n, Math.round((s.records * 1000) / median(t))])) as Record<string, number>;
  return { batch: s.batch, records: s.records, payload_mb: s.payload_mb, ...rps, floor: rps.floor!, peer: rps.peer!, ours: rps.ours!, vs_floor: +(rps.ours! / rps.floor!).toFixed(3), vs_peer: +(rps.ours! / rps.peer!).toFixed(3) };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
if (process.env.BENCH_CHILD === '1') {
  console.log(JSON.stringify(await measureProcess(rounds)));
  process.exit(0);
}
// Several fresh processes, one after the other, each interleaving the contenders: on this
// machine the ratio moves more between processes (JIT and heap layout, the load at the
// time) than between rounds of one process, so the rounds of all processes are pooled and
// the medians taken over them. Each process's own line is printed as well.
const processes = Math.max(1, Number(process.env.BENCH_PROCESSES ?? 3));
const pooled: SizeTimes[] = [];
for (let p = 1; p <= processes; p++) {
  const child = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { encoding: 'utf8', env: { ...process.env, BENCH_CHILD: '1' }, maxBuffer: 16 << 20 });
  const sizes = JSON.parse(child.trim().split('\n').pop()!) as SizeTimes[];
  for (const [i, s] of sizes.entries()) {
    const line = summary(s);
    console.log(`process ${p}/${processes}, ${s.batch}: vs_floor ${line.vs_floor}, vs_peer ${line.vs_peer}`);
    const into = (pooled[i] ??= { ...s, times: {} });
    for (const [n, t] of Object.entries(s.times)) (into.times[n] ??= []).push(...t);
  }
}
const results = pooled.map((s) => {
  const line = summary(s);
  console.log(JSON.stringify({ ...line, processes, rounds: processes * rounds }));
  return line;
});
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
const main = results[0]!;
console.log(JSON.stringify({ records: main.records, floor_rps: main.floor, peer_rps: main.peer, ours_rps: main.ours, vs_floor: main.vs_floor, vs_peer: main.vs_peer, peak_rss_mb: probe.peak_rss_mb }));
