/**
 * The worker behind both Lambda handlers: one Kinesis event in, `batchItemFailures` out.
 * Built once per cold start (config, sinks), then every invocation runs the pure pipeline
 * and emits. Kept free of `@aws-sdk/*` imports: the sinks own their clients.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Config } from './config.ts';
import { withEmf } from './emf.ts';
import { ChaosCrashError } from './errors.ts';
import { recomputeCounter, recomputeSketch } from './metrics/aggregate.ts';
import { emit, type EmitHooks, type Sinks } from './pipeline/emit.ts';
import { processBatch } from './pipeline/process-batch.ts';
import { parsePositionKey } from './position.ts';
import type { BatchResult, BatchSource, DedupeStore, KinesisRecordInput, StreamKind } from './types.ts';

export interface WorkerDeps {
  config: Config;
  sinks: Sinks;
  dedupeStore: DedupeStore | null;
  /** structured log line (JSON) */
  log?: (entry: Record<string, unknown>) => void;
  random?: () => number;
}

export interface BatchReport {
  result: BatchResult;
  failedFrom: string | null;
}

/** The physical stream name from an event source ARN (`arn:aws:kinesis:…:stream/<name>`). */
export function streamNameFromArn(arn: string | undefined, fallback: string): string {
  const m = /:stream\/([^/]+)$/.exec(arn ?? '');
  return m?.[1] ?? fallback;
}

/**
 * Creates the handler function of one stream.
 *
 * @example
 * const worker = createWorker('clickstream', { config, sinks, dedupeStore });
 * export const handler = (event: KinesisStreamEvent) => worker.handle(event);
 */
export function createWorker(stream: StreamKind, deps: WorkerDeps) {
  const { config, sinks } = deps;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? (() => {});
  const hooks: EmitHooks =
    config.chaos.crash > 0
      ? {
          between(step) {
            if (random() < config.chaos.crash) throw new ChaosCrashError(step);
          },
        }
      : {};

  /** Runs one shard's records through the pipeline and the sinks. */
  async function handleRecords(input: KinesisRecordInput[], source: BatchSource): Promise<BatchReport> {
    const result = await processBatch(input, source, {
      validate: config.validate,
      internalCidrs: config.internalCidrs,
      maxRecordBytes: config.maxRecordBytes,
      dedupeStore: deps.dedupeStore,
    });
    const out = await emit(
      result,
      sinks,
      {
        counter: (d, after) => recomputeCounter(result.records, source, d, after),
        sketch: (d, after) => recomputeSketch(result.records, source, d, after),
      },
      hooks,
    );
    for (const err of out.errors) log({ level: 'warn', message: 'sink write failed', error: String((err as Error)?.message ?? err) });
    return { result, failedFrom: out.failedFrom };
  }

  async function handle(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> {
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    if (config.chaos.timeout > 0 && random() < config.chaos.timeout) {
      // Hang past any timeout: the runtime (Lambda or the local poller) kills us.
      await new Promise(() => {});
    }
    const first = records[0]!;
    const shardId = first.eventID.split(':')[0] ?? 'shardId-unknown';
    const source: BatchSource = { stream, streamName: streamNameFromArn(first.eventSourceARN, stream), shardId };
    const input: KinesisRecordInput[] = records.map((r) => r.kinesis);
    let report: BatchReport;
    const started = performance.now();
    try {
      report = await handleRecords(input, source);
    } catch (err) {
      if (err instanceof ChaosCrashError) throw err;
      // De-duplication store unreachable (or another error before any metric write):
      // nothing of this batch is durable beyond idempotent claims; retry all of it.
      log({ level: 'error', message: 'batch failed', error: String((err as Error)?.message ?? err) });
      return { batchItemFailures: [{ itemIdentifier: first.kinesis.sequenceNumber }] };
    }
    const { result, failedFrom } = report;
    // One line per batch, also CloudWatch metrics per stream (EMF): no shard dimension, which
    // would cost a metric series per shard.
    const line = {
      level: 'info',
      message: 'batch',
      stream: source.streamName,
      shard: shardId,
      records: result.records.length,
      ...result.counts,
      failedFrom,
      failedBatches: failedFrom === null ? 0 : 1,
      durationMs: Math.round(performance.now() - started),
    };
    log(withEmf(line, ['stream'], { records: 'Count', counted: 'Count', filtered: 'Count', duplicate: 'Count', rejected: 'Count', failedBatches: 'Count', durationMs: 'Milliseconds' }));
    if (failedFrom === null) return { batchItemFailures: [] };
    return { batchItemFailures: [{ itemIdentifier: parsePositionKey(failedFrom).sequenceNumber }] };
  }

  return { handle, handleRecords };
}
