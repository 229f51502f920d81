/**
 * The sources `stream-metrics query` reads: the DynamoDB metric store or Redshift through
 * the Data API, with clients built from the same configuration and environment as the
 * workers (so it works against the local stack and AWS alike).
 */
import type { Config } from '../config.ts';
import { createClient } from './clients.ts';
import { DynamoMetricStore } from './dynamodb/metric-store.ts';
import { DataApi } from './redshift/data-api.ts';

/**
 * Builds a query source.
 *
 * @example
 * const rows = await runQuery(req, createQuerySource(loadConfig(), 'redshift'));
 */
export function createQuerySource(config: Config, kind: 'dynamodb' | 'redshift'): { kind: 'dynamodb'; store: DynamoMetricStore } | { kind: 'redshift'; api: DataApi } {
  const o = { region: config.region, requestTimeoutMs: 60_000 };
  if (kind === 'dynamodb') return { kind, store: new DynamoMetricStore(createClient('dynamodb', o), config.tables.metrics) };
  return { kind, api: new DataApi(createClient('redshiftData', o), config.redshift.target) };
}
