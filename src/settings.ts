/**
 * Deployment settings shared by the local runner (`stream-metrics up`) and the AWS CDK app
 * (`infra/`), so the two cannot drift: event source mapping, function limits, resource
 * names. Change a value here and both the poller and the stack follow.
 */

/** Event source mapping settings (Lambda's names and units). */
export interface EventSourceMappingSettings {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
  parallelizationFactor: 1;
  reportBatchItemFailures: true;
}

export interface FunctionSettings {
  /** handler file under `handlers/` */
  entry: string;
  timeoutSeconds: number;
  memoryMb: number;
  eventSource: EventSourceMappingSettings;
}

const eventSource: EventSourceMappingSettings = {
  // Larger batches fold more records into each DynamoDB item update, Redshift load and
  // invocation, so cost per record falls (docs/sink-costs.md, docs/e2e-performance.md:
  // 500 → 1,000 cut the local stack's CPU per record by ~15–25 %); 1,000 records of
  // ~500 bytes are ~0.7 MB of a 6 MB invocation. The batching window keeps batches small
  // (and latency low) on quiet streams.
  batchSize: 1_000,
  maximumBatchingWindowInSeconds: 1,
  startingPosition: 'TRIM_HORIZON',
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 10,
  maximumRecordAgeInSeconds: 86_400,
  // More than 1 would put two batches of one shard in flight and break the per-shard
  // high-water marks that make the effect exactly-once (DESIGN-NOTES).
  parallelizationFactor: 1,
  reportBatchItemFailures: true,
};

/** The two functions, keyed by the logical stream they consume. */
export const FUNCTIONS = {
  clickstream: { entry: 'handlers/clickstream.ts', timeoutSeconds: 60, memoryMb: 256, eventSource },
  transactions: { entry: 'handlers/transactions.ts', timeoutSeconds: 60, memoryMb: 256, eventSource },
} as const satisfies Record<string, FunctionSettings>;

/** Default resource names; a stack or `up` may prefix them. */
export const RESOURCE_NAMES = {
  streams: { clickstream: 'clickstream', transactions: 'transactions' },
  metricsTable: 'stream-metrics-metrics',
  dedupeTable: 'stream-metrics-dedupe',
  badRecordsTable: 'stream-metrics-bad-records',
  checkpointsTable: 'stream-metrics-checkpoints',
  firehose: { clickstream: 'stream-metrics-clickstream-events', transactions: 'stream-metrics-transactions' },
  redshiftDatabase: 'dev',
} as const;

/** Defaults of SPEC §2–§3 (overridable through `src/config.ts`). */
export const DEFAULTS = {
  allowedLatenessMs: 7 * 24 * 3_600_000,
  futureToleranceMs: 5 * 60_000,
  dedupeHorizonMs: { clickstream: 3_600_000, transactions: 24 * 3_600_000 },
  badRecordRetentionDays: 14,
  minuteItemTtlDays: 35,
  /** Kinesis's own limit for one record's data */
  maxRecordBytes: 1_048_576,
} as const;
