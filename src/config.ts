/**
 * The workers' configuration: the only place that reads `process.env`. Every setting is
 * validated with zod at cold start, and a bad one stops start-up with a message that names
 * it (`ConfigError`). Endpoints are not settings of ours: the AWS SDK reads
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` itself, which is how the same handlers
 * run against the local stack and against AWS.
 */
import { z } from 'zod';
import { parseChaos, type ChaosSettings } from './chaos.ts';
import { ConfigError } from './errors.ts';
import { parseCidrList, type CidrMatcher } from './filter/cidr.ts';
import { DEFAULTS, RESOURCE_NAMES } from './settings.ts';

const int = (min: number, max: number, def: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    // prefault: the default goes through the parse (and transform) like a given value.
    .prefault(String(def));

const name = (def: string) => z.string().trim().min(1).max(255).default(def);

const EnvSchema = z.object({
  AWS_REGION: z.string().trim().min(1).default('us-east-1'),
  CLICKSTREAM_STREAM: name(RESOURCE_NAMES.streams.clickstream),
  TRANSACTIONS_STREAM: name(RESOURCE_NAMES.streams.transactions),
  METRICS_TABLE: name(RESOURCE_NAMES.metricsTable),
  DEDUPE_TABLE: name(RESOURCE_NAMES.dedupeTable),
  BAD_RECORDS_TABLE: name(RESOURCE_NAMES.badRecordsTable),
  /** empty string switches cleaned-event delivery off */
  FIREHOSE_CLICKSTREAM: z.string().trim().default(RESOURCE_NAMES.firehose.clickstream),
  FIREHOSE_TRANSACTIONS: z.string().trim().default(RESOURCE_NAMES.firehose.transactions),
  REDSHIFT_MIRROR: z.enum(['on', 'off']).default('on'),
  REDSHIFT_DATABASE: name(RESOURCE_NAMES.redshiftDatabase),
  REDSHIFT_WORKGROUP: z.string().trim().optional(),
  REDSHIFT_CLUSTER_ID: z.string().trim().optional(),
  REDSHIFT_SECRET_ARN: z.string().trim().optional(),
  REDSHIFT_DB_USER: z.string().trim().optional(),
  /** `postgres` when the Data API endpoint is the local stand-in */
  REDSHIFT_DIALECT: z.enum(['redshift', 'postgres']).default('redshift'),
  ALLOWED_LATENESS_SECONDS: int(60, 365 * 86_400, DEFAULTS.allowedLatenessMs / 1000),
  FUTURE_TOLERANCE_SECONDS: int(0, 86_400, DEFAULTS.futureToleranceMs / 1000),
  DEDUPE_HORIZON_CLICKSTREAM_SECONDS: int(1, 30 * 86_400, DEFAULTS.dedupeHorizonMs.clickstream / 1000),
  DEDUPE_HORIZON_TRANSACTIONS_SECONDS: int(1, 30 * 86_400, DEFAULTS.dedupeHorizonMs.transactions / 1000),
  /** exact (durable, DynamoDB), memory (per warm instance), off */
  CLICKSTREAM_DEDUPE: z.enum(['exact', 'memory', 'off']).default('exact'),
  /**
   * how exact claims are written: `single` (one conditional PutItem per record, 1 write
   * unit: the cheapest on AWS) or `transact` (up to 100 per TransactWriteItems, 2 units per
   * record but ~50× fewer requests: what the CPU-bound local stack uses)
   */
  DEDUPE_WRITES: z.enum(['single', 'transact']).default('single'),
  /** comma-separated IPv4/IPv6 CIDRs whose traffic is filtered as internal */
  INTERNAL_CIDRS: z.string().default(''),
  BAD_RECORD_RETENTION_DAYS: int(1, 3650, DEFAULTS.badRecordRetentionDays),
  METRIC_TTL_DAYS: int(1, 3650, DEFAULTS.minuteItemTtlDays),
  MAX_RECORD_BYTES: int(1, DEFAULTS.maxRecordBytes, DEFAULTS.maxRecordBytes),
  SINK_RETRY_ATTEMPTS: int(1, 20, 6),
  /** fault injection for local demonstrations and tests (`src/chaos.ts`) */
  CHAOS: z.string().default('off'),
});

export interface Config {
  region: string;
  /** physical stream names (for `produce`) */
  streams: { clickstream: string; transactions: string };
  tables: { metrics: string; dedupe: string; badRecords: string };
  firehose: { clickstream: string; transactions: string };
  redshift: {
    mirror: boolean;
    dialect: 'redshift' | 'postgres';
    target: { database: string; workgroupName?: string; clusterIdentifier?: string; secretArn?: string; dbUser?: string };
  };
  validate: { allowedLatenessMs: number; futureToleranceMs: number };
  dedupe: { clickstream: 'exact' | 'memory' | 'off'; writes: 'single' | 'transact'; horizonsMs: { clickstream: number; transactions: number } };
  internalCidrs: CidrMatcher;
  badRecordRetentionDays: number;
  metricTtlDays: number;
  maxRecordBytes: number;
  sinkRetryAttempts: number;
  chaos: ChaosSettings;
}

/**
 * Reads and validates the configuration from an environment (default `process.env`).
 * Throws `ConfigError` naming the first bad setting.
 *
 * @example
 * const config = loadConfig(); // at cold start, outside the handler
 * const config2 = loadConfig({ CLICKSTREAM_DEDUPE: 'memory' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0] ?? 'environment');
    throw new ConfigError(setting, `${issue.message} (got ${JSON.stringify(env[setting])})`);
  }
  const e = parsed.data;
  let internalCidrs: CidrMatcher;
  try {
    internalCidrs = parseCidrList(e.INTERNAL_CIDRS);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('INTERNAL_CIDRS', (err as Error).message);
  }
  return {
    region: e.AWS_REGION,
    streams: { clickstream: e.CLICKSTREAM_STREAM, transactions: e.TRANSACTIONS_STREAM },
    tables: { metrics: e.METRICS_TABLE, dedupe: e.DEDUPE_TABLE, badRecords: e.BAD_RECORDS_TABLE },
    // An explicitly empty variable switches delivery off; the filter above drops empty
    // strings, so look at the raw value for that case.
    firehose: {
      clickstream: env.FIREHOSE_CLICKSTREAM === '' ? '' : e.FIREHOSE_CLICKSTREAM,
      transactions: env.FIREHOSE_TRANSACTIONS === '' ? '' : e.FIREHOSE_TRANSACTIONS,
    },
    redshift: {
      mirror: e.REDSHIFT_MIRROR === 'on',
      dialect: e.REDSHIFT_DIALECT,
      target: {
        database: e.REDSHIFT_DATABASE,
        ...(e.REDSHIFT_WORKGROUP ? { workgroupName: e.REDSHIFT_WORKGROUP } : {}),
        ...(e.REDSHIFT_CLUSTER_ID ? { clusterIdentifier: e.REDSHIFT_CLUSTER_ID } : {}),
        ...(e.REDSHIFT_SECRET_ARN ? { secretArn: e.REDSHIFT_SECRET_ARN } : {}),
        ...(e.REDSHIFT_DB_USER ? { dbUser: e.REDSHIFT_DB_USER } : {}),
      },
    },
    validate: { allowedLatenessMs: e.ALLOWED_LATENESS_SECONDS * 1000, futureToleranceMs: e.FUTURE_TOLERANCE_SECONDS * 1000 },
    dedupe: {
      clickstream: e.CLICKSTREAM_DEDUPE,
      writes: e.DEDUPE_WRITES,
      horizonsMs: { clickstream: e.DEDUPE_HORIZON_CLICKSTREAM_SECONDS * 1000, transactions: e.DEDUPE_HORIZON_TRANSACTIONS_SECONDS * 1000 },
    },
    internalCidrs,
    badRecordRetentionDays: e.BAD_RECORD_RETENTION_DAYS,
    metricTtlDays: e.METRIC_TTL_DAYS,
    maxRecordBytes: e.MAX_RECORD_BYTES,
    sinkRetryAttempts: e.SINK_RETRY_ATTEMPTS,
    chaos: parseChaos(e.CHAOS, 'CHAOS'),
  };
}
