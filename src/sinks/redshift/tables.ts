/**
 * The Redshift tables as data: one list of columns per table, shared by the DDL
 * (`migrations.ts`), the metric mirror, the Firehose delivery configuration
 * (`DataTableColumns` must name exactly these columns) and the event rows the Firehose
 * sink writes. Keeping them in one place is what stops the COPY column list, the JSON keys
 * and the table drifting apart.
 *
 * VARCHAR lengths are in bytes on Redshift (in characters on PostgreSQL): text that
 * producers control is sized for 4 bytes per character of the length SPEC §1 allows, and
 * rows are truncated to these byte limits before they are sent (`maxBytes`).
 */

export interface ColumnDef {
  name: string;
  /** portable SQL type */
  type: string;
  /** for VARCHAR columns: the byte limit */
  maxBytes?: number;
}

const v = (name: string, maxBytes: number): ColumnDef => ({ name, type: `VARCHAR(${maxBytes})`, maxBytes });
const c = (name: string, type: string): ColumnDef => ({ name, type });

/** Widths of the mirror's key columns. */
export const METRIC_LIMITS = { metric: 64, dims: 4096, dimName: 64, dimValue: 2048, shardId: 256, kind: 16, sketch: 65535 } as const;

/** One row per (metric, dims, window_start): the absolute value with the item's version. */
export const METRIC_COUNTER_COLUMNS: readonly ColumnDef[] = [
  v('metric', METRIC_LIMITS.metric),
  // canonical JSON object with sorted keys, '{}' for none: the key, exact whatever the values
  v('dims', METRIC_LIMITS.dims),
  v('dim1_name', METRIC_LIMITS.dimName),
  v('dim1_value', METRIC_LIMITS.dimValue),
  v('dim2_name', METRIC_LIMITS.dimName),
  v('dim2_value', METRIC_LIMITS.dimValue),
  c('window_start', 'TIMESTAMP'),
  c('value', 'BIGINT'),
  c('version', 'BIGINT'),
  c('loaded_at', 'TIMESTAMP'),
];

/** One row per (metric, dims, window_start, shard_id): one shard's sketch partial. */
export const METRIC_SKETCH_COLUMNS: readonly ColumnDef[] = [
  v('metric', METRIC_LIMITS.metric),
  v('dims', METRIC_LIMITS.dims),
  v('dim1_name', METRIC_LIMITS.dimName),
  v('dim1_value', METRIC_LIMITS.dimValue),
  c('window_start', 'TIMESTAMP'),
  v('shard_id', METRIC_LIMITS.shardId),
  v('kind', METRIC_LIMITS.kind),
  // base64 of the sketch bytes (a dense HyperLogLog of 2^12 registers is ~5.5 KB)
  v('sketch', METRIC_LIMITS.sketch),
  c('version', 'BIGINT'),
  c('loaded_at', 'TIMESTAMP'),
];

/** Position columns shared by both event tables (where Kinesis had the record). */
const POSITION_COLUMNS: readonly ColumnDef[] = [v('shard_id', 256), v('sequence_number', 160), c('sub_sequence', 'INTEGER'), c('arrived_at', 'TIMESTAMP')];

/** `clickstream_events`: one column per field of `CleanClick`, snake_case. */
export const CLICKSTREAM_COLUMNS: readonly ColumnDef[] = [
  v('event_id', 64),
  v('type', 32),
  c('occurred_at', 'TIMESTAMP'),
  v('session_id', 512),
  v('anonymous_id', 512),
  v('user_id', 1024),
  v('page', 8192),
  v('page_host', 1024),
  v('page_url', 8192),
  v('referrer_host', 1024),
  v('utm_source', 1024),
  v('utm_medium', 1024),
  v('utm_campaign', 1024),
  v('title', 4096),
  v('search_query', 4096),
  v('product_sku', 256),
  c('product_quantity', 'INTEGER'),
  c('product_price_minor', 'BIGINT'),
  v('product_currency', 3),
  v('device', 16),
  v('country', 2),
  v('ip_prefix', 64),
  v('user_agent', 4096),
  ...POSITION_COLUMNS,
];

/** `transactions`: one column per field of `CleanTransaction`, snake_case; items as JSON text. */
export const TRANSACTION_COLUMNS: readonly ColumnDef[] = [
  v('transaction_id', 64),
  v('type', 16),
  v('status', 16),
  c('occurred_at', 'TIMESTAMP'),
  v('customer_id', 512),
  c('amount_minor', 'BIGINT'),
  v('currency', 3),
  // JSON array of {sku, quantity, unitPriceMinor}
  v('items', 65535),
  v('payment_method', 16),
  v('country', 2),
  v('session_id', 512),
  v('original_transaction_id', 512),
  ...POSITION_COLUMNS,
];

/** Event table names by stream, and the key that identifies one logical record. */
export const EVENT_TABLES = {
  clickstream: { table: 'clickstream_events', columns: CLICKSTREAM_COLUMNS, key: ['event_id'] },
  // A transaction's key is the de-duplication key of SPEC §2: a purchase that goes from
  // pending to completed is two records, both counted, and both kept.
  transactions: { table: 'transactions', columns: TRANSACTION_COLUMNS, key: ['transaction_id', 'type', 'status'] },
} as const;

export type EventTable = (typeof EVENT_TABLES)[keyof typeof EVENT_TABLES]['table'];
