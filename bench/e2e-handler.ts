/**
 * The clickstream handler of `handlers/clickstream.ts`, instrumented for `npm run bench:e2e`
 * with `BENCH_E2E_STAGES=1`: the same configuration, sinks and worker, with each sink call
 * and the de-duplication claims timed (wall clock inside the sandbox). After every
 * invocation it posts the times on a `BroadcastChannel`, which reaches the bench's main
 * thread from the worker thread; on command it takes a CPU profile of its thread. What is not a sink call or a claim is the pure pipeline
 * (decode, validate, filter, clean, aggregate) plus the worker's own bookkeeping.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadConfig } from '../src/config.ts';
import { createSinks } from '../src/sinks/create-sinks.ts';
import { createWorker } from '../src/worker.ts';
import { workerReporter, type StageSample } from './e2e-instrument.ts';

const config = loadConfig();
const built = createSinks(config, 'clickstream');
const reporter = workerReporter();
let current: StageSample = { type: 'stages', records: 0, totalMs: 0, emitWallMs: 0, stages: {}, dynamoWrites: 0 };
/** [start, end] of every emit call of the invocation: they overlap (emit runs three branches at once) */
let emitCalls: [number, number][] = [];

function timed<T extends object, K extends keyof T>(obj: T, method: K, stage: string, emitting: boolean): void {
  const fn = obj[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  (obj as Record<K, unknown>)[method] = async (...args: unknown[]) => {
    const t0 = performance.now();
    try {
      return await fn.apply(obj, args);
    } finally {
      const t1 = performance.now();
      current.stages[stage] = (current.stages[stage] ?? 0) + t1 - t0;
      if (emitting) emitCalls.push([t0, t1]);
    }
  };
}

/** Length of the union of intervals: the wall time during which some sink call was in flight. */
function unionMs(intervals: [number, number][]): number {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

if (built.dedupeStore) timed(built.dedupeStore, 'claim', 'dedupe claims (DynamoDB)', false);
if (built.sinks.badRecords) timed(built.sinks.badRecords, 'put', 'bad records (DynamoDB)', true);
timed(built.sinks.metrics, 'applyCounters', 'counters (DynamoDB)', true);
timed(built.sinks.metrics, 'applySketches', 'sketches (DynamoDB)', true);
if (built.sinks.mirror) timed(built.sinks.mirror, 'load', 'Redshift mirror (Data API)', true);
if (built.sinks.events) timed(built.sinks.events, 'send', 'cleaned events (Firehose)', true);

const worker = createWorker('clickstream', { config, sinks: built.sinks, dedupeStore: built.dedupeStore, log: (entry) => console.log(JSON.stringify(entry)) });

export const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  current = { type: 'stages', records: event.Records?.length ?? 0, totalMs: 0, emitWallMs: 0, stages: {}, dynamoWrites: 0 };
  emitCalls = [];
  const requests0 = built.metricStore.stats.requests + (built.dedupe?.stats.requests ?? 0);
  const t0 = performance.now();
  try {
    return await worker.handle(event);
  } finally {
    current.totalMs = performance.now() - t0;
    current.emitWallMs = unionMs(emitCalls);
    current.dynamoWrites = built.metricStore.stats.requests + (built.dedupe?.stats.requests ?? 0) - requests0;
    reporter.post(current);
  }
};
