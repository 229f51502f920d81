/**
 * Builds the sinks of a worker from its configuration: the SDK clients (endpoints from the
 * standard `AWS_ENDPOINT_URL_*` variables, read by the SDK), the DynamoDB stores, the
 * Redshift mirror through the Data API and the Firehose event sink. Called once per cold
 * start. `--chaos` throttling is injected here as SDK middleware, as a real throttle would
 * reach the client.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { Config } from '../config.ts';
import { MemoryDedupeStore } from '../dedupe/memory-dedupe-store.ts';
import type { Sinks } from '../pipeline/emit.ts';
import type { DedupeStore } from '../types.ts';
import { createClient } from './clients.ts';
import { DynamoBadRecordStore } from './dynamodb/bad-record-store.ts';
import { DynamoDedupeStore } from './dynamodb/dedupe-store.ts';
import { DynamoMetricStore } from './dynamodb/metric-store.ts';
import { FirehoseEventSink, toEventRow } from './firehose-sink.ts';
import { DataApi } from './redshift/data-api.ts';
import { RedshiftMetricMirror } from './redshift/metric-mirror.ts';

export interface WorkerSinks {
  sinks: Sinks;
  dedupeStore: DedupeStore | null;
  metricStore: DynamoMetricStore;
  dedupe: DynamoDedupeStore | null;
  dataApi: DataApi | null;
  firehose: FirehoseEventSink | null;
  clients: { dynamodb: DynamoDBClient; firehose: FirehoseClient; redshiftData: RedshiftDataClient };
}

type AnyClient = { middlewareStack: { add: (mw: any, opts: any) => void } };

/** Adds a middleware that answers a share of calls with a throttling error (`--chaos throttle=p`). */
export function injectThrottling(client: AnyClient, probability: number, random: () => number = Math.random): void {
  if (probability <= 0) return;
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      if (random() < probability) {
        const err = Object.assign(new Error('chaos: injected throttling'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
          $fault: 'client',
        });
        throw err;
      }
      return next(args);
    },
    { step: 'initialize', name: 'chaosThrottle' },
  );
}

/**
 * Creates the sinks and stores for one worker.
 *
 * @example
 * const { sinks, dedupeStore } = createSinks(loadConfig(), 'clickstream');
 */
export function createSinks(config: Config, stream: 'clickstream' | 'transactions'): WorkerSinks {
  // The clients resolve each command's middleware stack once (`cacheMiddleware`): about a
  // third of the client's CPU per DynamoDB call, which matters at one de-duplication put per
  // record (docs/e2e-performance.md). The chaos throttling below is added before any call.
  const dynamodb = createClient('dynamodb', { region: config.region });
  const firehoseClient = createClient('firehose', { region: config.region });
  const redshiftData = createClient('redshiftData', { region: config.region });
  for (const c of [dynamodb, firehoseClient, redshiftData]) injectThrottling(c as unknown as AnyClient, config.chaos.throttle);
  const retry = { attempts: config.sinkRetryAttempts };

  const metricStore = new DynamoMetricStore(dynamodb, config.tables.metrics, { ttlDays: config.metricTtlDays, retry });
  const badRecords = new DynamoBadRecordStore(dynamodb, config.tables.badRecords, { retentionDays: config.badRecordRetentionDays, retry });
  const mode = stream === 'clickstream' ? config.dedupe.clickstream : 'exact';
  const dedupe = mode === 'exact' ? new DynamoDedupeStore(dynamodb, config.tables.dedupe, config.dedupe.horizonsMs, { retry, writes: config.dedupe.writes }) : null;
  const dedupeStore: DedupeStore | null = dedupe ?? (mode === 'memory' ? new MemoryDedupeStore(config.dedupe.horizonsMs) : null);
  const dataApi = config.redshift.mirror ? new DataApi(redshiftData, config.redshift.target, { retry }) : null;
  const mirror = dataApi ? new RedshiftMetricMirror(dataApi, config.redshift.dialect) : null;
  const deliveryStream = config.firehose[stream];
  const firehose = deliveryStream ? new FirehoseEventSink(firehoseClient, config.firehose, { retry }) : null;

  return {
    sinks: { badRecords, metrics: metricStore, mirror, events: firehose, toEventRow },
    dedupeStore,
    metricStore,
    dedupe,
    dataApi,
    firehose,
    clients: { dynamodb, firehose: firehoseClient, redshiftData },
  };
}
