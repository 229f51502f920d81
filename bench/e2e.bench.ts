/**
 * `npm run bench:e2e`: clickstream through the whole local stack (kinesalite → poller →
 * the real clickstream handler in a worker thread → dynalite, and the Redshift mirror and
 * Firehose on PGlite), exact de-duplication on (the default configuration).
 *
 * One run measures, in order:
 * 1. kinesalite's raw PutRecords rate: the same producer (`produce`, batches of 500) writing
 *    to a separate stream that nobody reads;
 * 2. the sustained end-to-end rate: N records produced as fast as possible, timed from the
 *    first PutRecords until `query records --by stream` accounts for all N (rate = N / time);
 * 3. latency: records offered at half the raw PutRecords rate when the stack sustains that,
 *    otherwise at half the measured end-to-end rate (the output says which), every batch with
 *    one marker page view per shard whose page is its own; latency is the time from the
 *    PutRecords call to the first `query page_views --by page` that shows the marker.
 *
 * The last line of stdout is one JSON object (see `Result` below). Knobs (environment):
 * `BENCH_E2E_RECORDS` (N, default 30,000), `BENCH_E2E_LATENCY_SECONDS` (default 20),
 * `BENCH_E2E_PROFILE=1` (run an instrumented copy of the handler: time per stage, and CPU
 * profiles of every thread during the throughput run, summarised on stderr; kept in
 * `BENCH_E2E_PROFILE_DIR` when set, for Chrome DevTools or `bench/e2e-profile.ts`),
 * `BENCH_E2E_DEDUPE=memory|off` (for the profile only: what exact de-duplication costs; the
 * targets are for the default, `exact`), `BENCH_E2E_SHARDS` (default 2), `BENCH_E2E_BATCH_SIZE`
 * (default: the event source mapping's, `src/settings.ts`), `BENCH_E2E_THREADS=1` (CPU of each
 * thread of this process during the throughput run, from `/proc`, without a profiler).
 *
 * CPU is reported for this process (`cpu_ms_per_1k_records`: main thread, sandboxes, the
 * endpoints thread) and for its child processes (`child_cpu_ms_per_1k_records`: the
 * DynamoDB endpoint); `cpu_bound_max_rps` is what that CPU per record would allow with every
 * core busy all the time, an upper bound for the machine (`cpu_bound_max_ratio` against
 * the raw rate).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTIONS, RESOURCE_NAMES } from '../src/settings.ts';
import { startStack } from '../src/local/stack.ts';
import { produce } from '../src/local/producer.ts';
import { createStream, generateRecords, pacedSend, rawPutRecordsRate, shardHashKeys } from './e2e-load.ts';
import { percentile, querySource, recordsSeen, waitForRecords, watchMarkers } from './e2e-watch.ts';
import { collect, summarizeStages } from './e2e-instrument.ts';
import { formatSummary, summarizeProfile } from './e2e-profile.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const N = Number(process.env.BENCH_E2E_RECORDS ?? 30_000);
const RAW_N = Number(process.env.BENCH_E2E_RAW_RECORDS ?? 20_000);
const LATENCY_MS = Number(process.env.BENCH_E2E_LATENCY_SECONDS ?? 20) * 1000;
const PROFILE = process.env.BENCH_E2E_PROFILE === '1';
const THREADS = process.env.BENCH_E2E_THREADS === '1';
const DEDUPE = (process.env.BENCH_E2E_DEDUPE ?? 'exact') as 'exact' | 'memory' | 'off';
const SHARDS = Number(process.env.BENCH_E2E_SHARDS ?? 2);
const BATCH_SIZE = process.env.BENCH_E2E_BATCH_SIZE ? Number(process.env.BENCH_E2E_BATCH_SIZE) : undefined;
const log = (line: string) => process.stderr.write(`[bench:e2e] ${line}\n`);

// The handlers log one JSON line per batch on the sandbox's stdout, which the invoker sends
// to our stderr: keep them off the terminal, and count the batches from them.
const batches: { records: number }[] = [];
const stderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (text.startsWith('{"level":"info","message":"batch"')) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        batches.push(JSON.parse(line) as { records: number });
      } catch {
        /* a torn line: not worth a batch */
      }
    }
    return true;
  }
  return (stderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;

/**
 * CPU time (user + system, ms) of this process's child processes so far (the DynamoDB
 * child): `process.cpuUsage()` counts only this process. Linux only (`/proc`); 0 elsewhere.
 */
function childrenCpuMs(): number {
  let ticks = 0;
  let names: string[] = [];
  try {
    names = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return 0;
  }
  for (const pid of names) {
    try {
      // Fields after the parenthesised command: state ppid … utime(14) stime(15), 1-based.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone meanwhile */
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/**
 * CPU ticks (user + system, 1/100 s) of every thread of this process, by thread id
 * (`BENCH_E2E_THREADS=1`): which thread is busy, without a profiler's overhead. The main
 * thread's id is the process id; worker threads and V8's helpers have their own.
 */
function threadTicks(): Map<number, { comm: string; ticks: number }> {
  const out = new Map<number, { comm: string; ticks: number }>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-e2e-'));
const functions = PROFILE ? { ...FUNCTIONS, clickstream: { ...FUNCTIONS.clickstream, entry: 'bench/e2e-handler.ts' } } : FUNCTIONS;
const benchStart = Date.now();
log(`starting the local stack (${SHARDS} shards, ${DEDUPE} de-duplication${PROFILE ? ', instrumented handler' : ''})…`);
const stack = await startStack({ root, ports: [0, 0, 0, 0], dataDir, persistent: false, chaos: 'off', shards: SHARDS, functions, env: { CLICKSTREAM_DEDUPE: DEDUPE }, ...(BATCH_SIZE ? { eventSource: { batchSize: BATCH_SIZE } } : {}), log });
const inst = PROFILE ? collect() : null;
const source = querySource(stack.env);
const stream = RESOURCE_NAMES.streams.clickstream;

try {
  // Prepared up front: the generator's cost is not part of any rate.
  const raw = generateRecords(RAW_N + 2_000, 1);
  const load = generateRecords(N, 2);

  // Warm-up: the sandboxes' cold starts (tsx compiling the handler, SDK clients) are not
  // part of a sustained rate.
  const warm = generateRecords(1_000, 4);
  await produce(stack.kinesis, stream, warm);
  await waitForRecords(source, stream, benchStart - 60_000, warm.length, { timeoutMs: 120_000, intervalMs: 200 });
  log('warmed up: both sandboxes are warm');

  // 1. Raw PutRecords rate.
  await createStream(stack.kinesis, 'bench-raw', SHARDS);
  await produce(stack.kinesis, 'bench-raw', raw.slice(0, 2_000)); // warm-up: connections, JIT
  const rawRate = await rawPutRecordsRate(stack.kinesis, 'bench-raw', raw.slice(2_000));
  log(`raw PutRecords: ${Math.round(rawRate.rps)} records/s (${RAW_N} records in ${Math.round(rawRate.ms)} ms)`);

  // 2. Sustained end-to-end rate.
  const before = await recordsSeen(source, stream, benchStart - 60_000);
  inst?.reset();
  await inst?.startProfiles();
  const batchesBefore = batches.length;
  const cpu0 = process.cpuUsage();
  const child0 = childrenCpuMs();
  const threads0 = THREADS ? threadTicks() : new Map();
  const t0 = Date.now();
  let producedAt = 0;
  const producing = produce(stack.kinesis, stream, load).then(() => (producedAt = Date.now()));
  let lastLog = 0;
  const doneAt = await waitForRecords(source, stream, benchStart - 60_000, before + N, {
    timeoutMs: 180_000,
    intervalMs: 250,
    onPoll: (n) => {
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log(`  ${n - before}/${N} accounted for after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    },
  });
  await producing;
  const cpu = process.cpuUsage(cpu0);
  const childMs = childrenCpuMs() - child0;
  if (THREADS) {
    const rows = [...threadTicks()].map(([tid, v]) => ({ tid, ms: (v.ticks - (threads0.get(tid)?.ticks ?? 0)) * 10 })).filter((r) => r.ms >= 100).sort((a, b) => b.ms - a.ms);
    log('CPU by thread during the throughput run (main thread = process id):');
    for (const r of rows) log(`  thread ${r.tid}${r.tid === process.pid ? ' (main)' : ''}: ${r.ms} ms, ${((r.ms / (Date.now() - t0)) * 100).toFixed(0)}% of one core`);
  }
  const e2eMs = doneAt - t0;
  const e2eRps = (N * 1000) / e2eMs;
  const cpuMsPer1k = ((cpu.user + cpu.system) / 1000 / N) * 1000;
  const throughputStages = inst?.snapshot();
  const profileDir = process.env.BENCH_E2E_PROFILE_DIR ?? dataDir;
  fs.mkdirSync(profileDir, { recursive: true });
  const profiles = inst ? await inst.stopProfiles(profileDir, 2) : [];
  const e2eBatches = batches.slice(batchesBefore);
  log(`end to end: ${Math.round(e2eRps)} records/s (${N} records in ${e2eMs} ms; PutRecords done after ${producedAt - t0} ms; ${e2eBatches.length} handler invocations; process CPU ${Math.round(cpuMsPer1k)} ms per 1k records, ${(((cpu.user + cpu.system) / 1000 / e2eMs) * 100).toFixed(0)}% of one core; child processes ${Math.round((childMs / N) * 1000)} ms per 1k records, ${((childMs / e2eMs) * 100).toFixed(0)}% of one core)`);
  if (throughputStages) {
    log('time per stage of the clickstream handler during the throughput run:');
    for (const line of summarizeStages(throughputStages, e2eMs)) log(`  ${line}`);
    for (const file of profiles) for (const line of formatSummary(summarizeProfile(file), path.basename(file, '.cpuprofile'))) log(`  ${line}`);
  }

  // 3. Latency at half the rate.
  await stack.idle();
  const halfRaw = rawRate.rps / 2;
  const sustainable = e2eRps >= halfRaw;
  const latencyRate = Math.round(sustainable ? halfRaw : e2eRps / 2);
  const hashKeys = await shardHashKeys(stack.kinesis, stream);
  const filler = generateRecords(Math.ceil((latencyRate * LATENCY_MS) / 1000) + 1_000, 3);
  log(`latency: ${latencyRate} records/s for ${LATENCY_MS / 1000} s (${sustainable ? 'half the raw PutRecords rate' : 'half the end-to-end rate: half the raw rate is not sustainable'})…`);
  inst?.reset();
  const latencyStart = Date.now();
  // Every query is served by dynalite on the stack's main thread, the busiest thread of
  // all: poll every 100 ms (the resolution of the latency), not in a tight loop.
  const watch = watchMarkers(source, { intervalMs: 100 });
  const paced = await pacedSend(stack.kinesis, stream, filler, { rate: latencyRate, durationMs: LATENCY_MS, intervalMs: 100, hashKeys, onMarkers: (m) => watch.add(m) });
  const { pollMs, unseen } = await watch.finish(30_000);
  const lat = paced.markers.filter((m) => m.visibleAt !== undefined).map((m) => m.visibleAt! - m.sentAt);
  const p50 = percentile(lat, 50);
  const p99 = percentile(lat, 99);
  if (inst) {
    log('time per stage of the clickstream handler during the latency run:');
    for (const line of summarizeStages(inst.snapshot(), Date.now() - latencyStart)) log(`  ${line}`);
  }
  log(`latency: p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...lat)} ms over ${lat.length} markers (${unseen} never seen; query ${percentile(pollMs, 50)} ms median; ${paced.lateBatches} batches sent late)`);

  const result = {
    records: N,
    shards: SHARDS,
    dedupe: DEDUPE,
    raw_putrecords_rps: Math.round(rawRate.rps),
    e2e_rps: Math.round(e2eRps),
    ratio: +(e2eRps / rawRate.rps).toFixed(3),
    e2e_ms: e2eMs,
    cpu_ms_per_1k_records: Math.round(cpuMsPer1k),
    child_cpu_ms_per_1k_records: Math.round((childMs / N) * 1000),
    // The rate this CPU cost per record would allow if every core were busy all the time
    // with no waiting between threads: an upper bound for this machine, not a prediction.
    cpu_bound_max_rps: Math.round((os.cpus().length * 1000 * 1000) / (cpuMsPer1k + (childMs / N) * 1000)),
    cpu_bound_max_ratio: +((os.cpus().length * 1000 * 1000) / (cpuMsPer1k + (childMs / N) * 1000) / rawRate.rps).toFixed(3),
    latency_rate_rps: latencyRate,
    latency_rate_basis: sustainable ? 'half raw PutRecords rate' : 'half e2e rate (half raw not sustainable)',
    latency_p50_ms: p50,
    latency_p99_ms: p99,
    latency_samples: lat.length,
    latency_unseen: unseen,
    query_poll_ms_p50: percentile(pollMs, 50),
    load_average_1m: +os.loadavg()[0]!.toFixed(1),
    cores: os.cpus().length,
    targets: { ratio_min: 0.3, ratio_met: e2eRps / rawRate.rps >= 0.3, p99_max_ms: 3000, p99_met: unseen === 0 && p99 < 3000 },
  };
  console.log(JSON.stringify(result));
} finally {
  inst?.close();
  await stack.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
