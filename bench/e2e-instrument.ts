/**
 * Instrumentation of `npm run bench:e2e` across threads: the instrumented clickstream handler
 * (`bench/e2e-handler.ts`, in the poller's worker threads) reports the time of each stage of
 * every invocation, and takes CPU profiles when told to, over a `BroadcastChannel` that
 * reaches the bench's main thread. The main thread profiles itself with the inspector.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { BroadcastChannel, threadId } from 'node:worker_threads';

export const CHANNEL = 'stream-metrics-bench-e2e';

/** One invocation: records in the event, handler wall time, ms per stage, DynamoDB writes. */
export interface StageSample {
  type: 'stages';
  records: number;
  totalMs: number;
  /** wall time during which at least one of emit's sink calls was in flight */
  emitWallMs: number;
  stages: Record<string, number>;
  dynamoWrites: number;
}

export type ControlMessage = { type: 'profile-start' } | { type: 'profile-stop'; dir: string } | { type: 'profile-written'; file: string };

export interface StageTotals {
  invocations: number;
  records: number;
  totalMs: number;
  emitWallMs: number;
  dynamoWrites: number;
  stages: Record<string, number>;
}

/** A CPU profiler of the calling thread (main thread or worker). */
export function threadProfiler() {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    async start(): Promise<void> {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
    },
    /** Stops and writes the profile to `file`. */
    async stop(file: string): Promise<void> {
      const { profile } = await post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
    },
  };
}

/**
 * Listens in the main thread: stage samples, and profiles written by the workers.
 *
 * @example
 * const inst = collect();
 * inst.reset();
 * await inst.startProfiles();
 * // … load …
 * const files = await inst.stopProfiles(dir);
 */
export function collect() {
  const channel = new BroadcastChannel(CHANNEL);
  let totals: StageTotals = empty();
  const written: string[] = [];
  const main = threadProfiler();
  channel.onmessage = (e: unknown) => {
    const m = (e as { data: StageSample | ControlMessage }).data;
    if (m.type === 'profile-written') written.push(m.file);
    if (m.type !== 'stages') return;
    totals.invocations++;
    totals.records += m.records;
    totals.totalMs += m.totalMs;
    totals.emitWallMs += m.emitWallMs;
    totals.dynamoWrites += m.dynamoWrites;
    for (const [k, v] of Object.entries(m.stages)) totals.stages[k] = (totals.stages[k] ?? 0) + v;
  };
  return {
    reset() {
      totals = empty();
    },
    snapshot(): StageTotals {
      return structuredClone(totals);
    },
    async startProfiles(): Promise<void> {
      channel.postMessage({ type: 'profile-start' } satisfies ControlMessage);
      await main.start();
    },
    /** Stops every profile; resolves with the files (main thread first) once the workers wrote theirs. */
    async stopProfiles(dir: string, workers: number): Promise<string[]> {
      written.length = 0;
      channel.postMessage({ type: 'profile-stop', dir } satisfies ControlMessage);
      const mainFile = path.join(dir, 'main-thread.cpuprofile');
      await main.stop(mainFile);
      for (let i = 0; i < 100 && written.length < workers; i++) await new Promise((r) => setTimeout(r, 100));
      return [mainFile, ...written];
    },
    close() {
      channel.close();
    },
  };
}

/**
 * The worker side: answers profile commands and posts stage samples.
 *
 * @example
 * const reporter = workerReporter();
 * reporter.post({ type: 'stages', records: 500, totalMs: 812, stages: { … }, dynamoWrites: 530 });
 */
export function workerReporter() {
  const channel = new BroadcastChannel(CHANNEL);
  // The channel must not keep a finished sandbox alive.
  (channel as unknown as { unref?: () => void }).unref?.();
  let profiler: ReturnType<typeof threadProfiler> | null = null;
  channel.onmessage = async (e: unknown) => {
    const m = (e as { data: ControlMessage | StageSample }).data;
    if (m.type === 'profile-start') {
      profiler = threadProfiler();
      await profiler.start();
    } else if (m.type === 'profile-stop' && profiler) {
      const file = path.join(m.dir, `worker-${threadId}.cpuprofile`);
      await profiler.stop(file);
      profiler = null;
      channel.postMessage({ type: 'profile-written', file } satisfies ControlMessage);
    }
  };
  return {
    post(sample: StageSample) {
      channel.postMessage(sample);
    },
  };
}

function empty(): StageTotals {
  return { invocations: 0, records: 0, totalMs: 0, emitWallMs: 0, dynamoWrites: 0, stages: {} };
}

/**
 * Human-readable lines: handler time per stage (summed over shards, so it can exceed the
 * elapsed time), its share, and ms per 1,000 records.
 *
 * @example
 * for (const line of summarizeStages(totals, elapsedMs)) console.error(line);
 */
export function summarizeStages(t: StageTotals, elapsedMs: number): string[] {
  // The sink calls of emit overlap (three branches at once): the handler waits for their
  // union, `emitWallMs`; each call's own time is listed under it.
  const claimsMs = t.stages['dedupe claims (DynamoDB)'] ?? 0;
  const per1k = (ms: number) => (t.records ? (ms * 1000) / t.records : 0).toFixed(1);
  const row = (k: string, ms: number) => `${k.padEnd(44)} ${String(Math.round(ms)).padStart(7)} ms ${((100 * ms) / (t.totalMs || 1)).toFixed(1).padStart(5)}% ${per1k(ms).padStart(7)} ms/1k records`;
  const calls = Object.entries(t.stages)
    .filter(([k]) => k !== 'dedupe claims (DynamoDB)')
    .sort((a, b) => b[1] - a[1]);
  return [
    `${t.invocations} invocations, ${t.records} records (${t.invocations ? Math.round(t.records / t.invocations) : 0} per batch), ${t.dynamoWrites} DynamoDB writes; handlers busy ${Math.round(t.totalMs)} ms summed over shards in ${elapsedMs} ms elapsed`,
    row('dedupe claims (DynamoDB)', claimsMs),
    row('emit: sink calls in flight (wall)', t.emitWallMs),
    ...calls.map(([k, ms]) => row(`  ${k} (overlapping)`, ms)),
    row('pipeline (decode … aggregate) + worker', t.totalMs - claimsMs - t.emitWallMs),
  ];
}
