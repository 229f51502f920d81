/**
 * Cleaned events → Amazon Data Firehose → Redshift (`clickstream_events`, `transactions`).
 *
 * Firehose delivers at least once (S3, then COPY), so every row carries its key (event id,
 * or transaction id + type + status) and its stream position, and duplicates are removed by
 * key in Redshift (`*_unique` views, `dedupeEventsSql()`). Rows are JSON objects whose keys
 * are exactly the table's columns, which is what COPY's `json 'auto'` maps by name.
 *
 * `PutRecordBatch` can succeed as a call and still fail some entries (`FailedPutCount > 0`,
 * typically throttling): only those entries are sent again, with back-off, and the sink
 * gives up with `SinkError` when its attempts run out. Firehose concatenates records with
 * no delimiter, so each record ends with `\n`.
 */
import { PutRecordBatchCommand, type CreateDeliveryStreamCommandInput, type FirehoseClient } from '@aws-sdk/client-firehose';
import { SinkError } from '../errors.ts';
import type { BatchSource, ClassifiedRecord, CleanClick, CleanTransaction, StreamKind } from '../types.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { formatTimestamp, truncateUtf8 } from './redshift/sql-literal.ts';
import { EVENT_TABLES, type ColumnDef } from './redshift/tables.ts';

/** PutRecordBatch limits (Firehose quotas). */
export const FIREHOSE_LIMITS = { records: 500, recordBytes: 1_000 * 1024, callBytes: 4 * 1024 * 1024 } as const;

/** Truncates every VARCHAR value of a row to its column's byte limit (as COPY's TRUNCATECOLUMNS would). */
function fit(row: Record<string, unknown>, columns: readonly ColumnDef[]): Record<string, unknown> {
  for (const c of columns) {
    const v = row[c.name];
    if (typeof v === 'string' && c.maxBytes !== undefined) row[c.name] = truncateUtf8(v, c.maxBytes);
  }
  return row;
}

function clickRow(c: CleanClick): Record<string, unknown> {
  return {
    event_id: c.eventId,
    type: c.type,
    occurred_at: formatTimestamp(c.occurredAtMs),
    session_id: c.sessionId,
    anonymous_id: c.anonymousId,
    user_id: c.userId,
    page: c.page,
    page_host: c.pageHost,
    page_url: c.pageUrl,
    referrer_host: c.referrerHost,
    utm_source: c.utmSource,
    utm_medium: c.utmMedium,
    utm_campaign: c.utmCampaign,
    title: c.title,
    search_query: c.searchQuery,
    product_sku: c.product?.sku ?? null,
    product_quantity: c.product?.quantity ?? null,
    product_price_minor: c.product?.priceMinor ?? null,
    product_currency: c.product?.currency ?? null,
    device: c.device,
    country: c.country,
    ip_prefix: c.ipPrefix,
    user_agent: c.userAgent,
  };
}

function transactionRow(t: CleanTransaction): Record<string, unknown> {
  return {
    transaction_id: t.transactionId,
    type: t.type,
    status: t.status,
    occurred_at: formatTimestamp(t.occurredAtMs),
    customer_id: t.customerId,
    amount_minor: t.amountMinor,
    currency: t.currency,
    // Nested values go in as JSON text: a VARCHAR column, the same on COPY and locally.
    items: JSON.stringify(t.items),
    payment_method: t.paymentMethod,
    country: t.country,
    session_id: t.sessionId,
    original_transaction_id: t.originalTransactionId,
  };
}

/**
 * The table row of a counted record: snake_case columns of `clickstream_events` or
 * `transactions`, plus its stream position. JSON-serialisable (times as
 * `YYYY-MM-DD HH:MM:SS.mmm` UTC, money in integer minor units).
 *
 * @example
 * const row = toEventRow(classified); // → { event_id: 'e1', type: 'page_view', occurred_at: '2026-01-01 00:00:00.000', … }
 */
export function toEventRow(record: ClassifiedRecord, _source?: BatchSource): Record<string, unknown> {
  const clean = record.clean;
  if (!clean) throw new TypeError(`toEventRow: record ${record.posKey} has no cleaned value (outcome ${record.outcome})`);
  const row = clean.kind === 'clickstream' ? clickRow(clean) : transactionRow(clean);
  row.shard_id = record.position.shardId;
  row.sequence_number = record.position.sequenceNumber;
  row.sub_sequence = record.position.subSequence;
  row.arrived_at = formatTimestamp(record.arrivalMs);
  return fit(row, EVENT_TABLES[clean.kind].columns);
}

export interface FirehoseSinkStats {
  /** PutRecordBatch calls, retries included */
  calls: number;
  /** records delivered (accepted by Firehose) */
  records: number;
  /** entries that failed once and were sent again */
  retriedRecords: number;
}

/**
 * Sends event rows to the delivery stream of their stream kind.
 *
 * @example
 * const sink = new FirehoseEventSink(new FirehoseClient({}), { clickstream: 'cs-events', transactions: 'tx-events' });
 * await sink.send('clickstream', records.map((r) => toEventRow(r)));
 */
export class FirehoseEventSink {
  readonly stats: FirehoseSinkStats = { calls: 0, records: 0, retriedRecords: 0 };

  constructor(
    private readonly client: FirehoseClient,
    private readonly deliveryStreams: { clickstream: string; transactions: string },
    private readonly options: { retry?: RetryOptions } = {},
  ) {}

  /** Delivers every row once accepted by Firehose, or throws `SinkError`. */
  async send(stream: StreamKind, rows: Record<string, unknown>[]): Promise<void> {
    const name = this.deliveryStreams[stream];
    if (!name) return;
    const data = rows.map((r) => {
      const bytes = Buffer.from(`${JSON.stringify(r)}\n`, 'utf8');
      if (bytes.length > FIREHOSE_LIMITS.recordBytes) throw new SinkError('firehose', `a ${stream} row is ${bytes.length} bytes, over Firehose's ${FIREHOSE_LIMITS.recordBytes}-byte record limit`);
      // A Buffer is a Uint8Array: no copy (the SDK reads it by index).
      return bytes;
    });
    for (const group of packCalls(data)) await this.deliver(name, group);
  }

  /** One PutRecordBatch worth of records, re-sending only failed entries until none is left. */
  private async deliver(name: string, records: Uint8Array[]): Promise<void> {
    const retry = this.options.retry ?? {};
    const attempts = retry.attempts ?? 6;
    const baseMs = retry.baseMs ?? 50;
    const capMs = retry.capMs ?? 2_000;
    const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const random = retry.random ?? Math.random;
    let pending = records;
    let lastError = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // Transient errors of the call itself are retried by withRetry; partial failures below.
      const out = await withRetry(() => {
        this.stats.calls++;
        return this.client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: pending.map((Data) => ({ Data })) }));
      }, retry).catch((err: unknown) => {
        throw new SinkError('firehose', `PutRecordBatch to ${name} failed: ${(err as Error).message}`, undefined, { cause: err });
      });
      const responses = out.RequestResponses ?? [];
      if (!out.FailedPutCount) {
        this.stats.records += pending.length;
        return;
      }
      const failed = pending.filter((_, i) => {
        const r = responses[i];
        return !r || r.ErrorCode !== undefined || !r.RecordId;
      });
      this.stats.records += pending.length - failed.length;
      this.stats.retriedRecords += failed.length;
      const firstError = responses.find((r) => r.ErrorCode);
      lastError = `${firstError?.ErrorCode ?? 'unknown'}: ${firstError?.ErrorMessage ?? ''}`;
      pending = failed;
      if (attempt < attempts) await sleep(Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1))));
    }
    throw new SinkError('firehose', `${pending.length} record(s) still failing after ${attempts} attempts (${lastError})`);
  }
}

/** Splits records into PutRecordBatch calls of at most 500 records and 4 MiB. */
function packCalls(data: Uint8Array[]): Uint8Array[][] {
  const calls: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let bytes = 0;
  for (const d of data) {
    if (cur.length > 0 && (cur.length >= FIREHOSE_LIMITS.records || bytes + d.length > FIREHOSE_LIMITS.callBytes)) {
      calls.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(d);
    bytes += d.length;
  }
  if (cur.length > 0) calls.push(cur);
  return calls;
}

export interface DeliveryStreamOptions {
  /** Redshift database (used in the default JDBC URL) */
  database?: string;
  /** schema of the target table; none means the search path */
  schema?: string;
  /** IAM role Firehose assumes (S3 and Redshift); a placeholder is fine locally */
  roleArn?: string;
  /** staging bucket of the COPY */
  bucketArn?: string;
  s3Prefix?: string;
  /** `jdbc:redshift://<endpoint>:5439/<db>` */
  clusterJdbcUrl?: string;
  /** credentials: a Secrets Manager secret (preferred), or user name and password */
  secretArn?: string;
  username?: string;
  password?: string;
  bufferingIntervalSeconds?: number;
  bufferingSizeMb?: number;
}

/** COPY options: rows are newline-delimited JSON objects keyed by column name. */
export const COPY_OPTIONS = "FORMAT AS JSON 'auto' TIMEFORMAT 'auto' TRUNCATECOLUMNS";

/**
 * The `CreateDeliveryStream` input of a stream's events (used by `stream-metrics up` and the
 * CDK app). `DataTableColumns` lists exactly the columns of the target table, in order.
 * Omitted ARNs and credentials get placeholders that only the local endpoint accepts.
 *
 * @example
 * await firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig('clickstream', 'cs-events', { database: 'dev' })));
 */
export function deliveryStreamConfig(stream: StreamKind, deliveryStreamName: string, o: DeliveryStreamOptions = {}): CreateDeliveryStreamCommandInput {
  const t = EVENT_TABLES[stream];
  const roleArn = o.roleArn ?? 'arn:aws:iam::000000000000:role/stream-metrics-firehose';
  const credentials = o.secretArn
    ? { SecretsManagerConfiguration: { Enabled: true, SecretARN: o.secretArn, RoleARN: roleArn } }
    : { Username: o.username ?? 'stream_metrics', Password: o.password ?? 'local-placeholder-1A' };
  return {
    DeliveryStreamName: deliveryStreamName,
    DeliveryStreamType: 'DirectPut',
    RedshiftDestinationConfiguration: {
      RoleARN: roleArn,
      ClusterJDBCURL: o.clusterJdbcUrl ?? `jdbc:redshift://127.0.0.1:5439/${o.database ?? 'dev'}`,
      CopyCommand: {
        DataTableName: o.schema ? `${o.schema}.${t.table}` : t.table,
        DataTableColumns: t.columns.map((c) => c.name).join(','),
        CopyOptions: COPY_OPTIONS,
      },
      ...credentials,
      RetryOptions: { DurationInSeconds: 3600 },
      S3Configuration: {
        RoleARN: roleArn,
        BucketARN: o.bucketArn ?? 'arn:aws:s3:::stream-metrics-firehose-staging',
        Prefix: o.s3Prefix ?? `${t.table}/`,
        ErrorOutputPrefix: `errors/${t.table}/`,
        CompressionFormat: 'UNCOMPRESSED',
        BufferingHints: { IntervalInSeconds: o.bufferingIntervalSeconds ?? 60, SizeInMBs: o.bufferingSizeMb ?? 5 },
      },
    },
  };
}
