/**
 * Schema migrations of the Redshift side: metric tables, event tables and analysts' views.
 *
 * The SQL is the portable subset that Amazon Redshift and PostgreSQL (PGlite, the local
 * stand-in) both accept. What only Redshift understands — distribution and sort keys — is
 * kept in `REDSHIFT_TABLE_OPTIONS` and appended only when the dialect is `redshift`
 * (PostgreSQL rejects it). Every statement is idempotent on its own (`IF NOT EXISTS`,
 * `CREATE OR REPLACE VIEW`), so a migration interrupted half way can simply be run again;
 * `schema_migrations` records what was applied so that `migrate()` twice is a no-op.
 *
 * Redshift does not enforce keys: uniqueness of the metric rows comes from the mirror's
 * load protocol (`metric-mirror.ts`), and duplicate events from Firehose's at-least-once
 * delivery are hidden by the `*_unique` views and removed by `dedupeEventsSql()`.
 */
import { sqlTimestamp, type SqlDialect } from './sql-literal.ts';
import { EVENT_TABLES, METRIC_COUNTER_COLUMNS, METRIC_SKETCH_COLUMNS, type ColumnDef } from './tables.ts';

export interface Migration {
  /** sortable id, recorded in `schema_migrations` */
  id: string;
  description: string;
  /** the statements, in order, for a dialect */
  statements(dialect: SqlDialect): string[];
}

/** Redshift-only table options (PostgreSQL rejects them): distribution and sort keys. */
export const REDSHIFT_TABLE_OPTIONS: Record<string, string> = {
  // Loads and reads filter by metric and time; the key columns co-locate a metric's rows.
  metric_counters: 'DISTSTYLE KEY DISTKEY (metric) COMPOUND SORTKEY (metric, window_start)',
  metric_sketches: 'DISTSTYLE KEY DISTKEY (metric) COMPOUND SORTKEY (metric, window_start)',
  // Events are joined and de-duplicated by id and scanned by time.
  clickstream_events: 'DISTSTYLE KEY DISTKEY (event_id) SORTKEY (occurred_at)',
  transactions: 'DISTSTYLE KEY DISTKEY (transaction_id) SORTKEY (occurred_at)',
  schema_migrations: 'DISTSTYLE ALL',
};

function createTable(name: string, columns: readonly ColumnDef[], dialect: SqlDialect): string {
  const cols = columns.map((c) => `  ${c.name} ${c.type}`).join(',\n');
  const options = dialect === 'redshift' && REDSHIFT_TABLE_OPTIONS[name] ? `\n${REDSHIFT_TABLE_OPTIONS[name]}` : '';
  return `CREATE TABLE IF NOT EXISTS ${name} (\n${cols}\n)${options}`;
}

const SCHEMA_MIGRATIONS_COLUMNS: readonly ColumnDef[] = [
  { name: 'id', type: 'VARCHAR(128) NOT NULL' },
  { name: 'description', type: 'VARCHAR(1024)' },
  { name: 'applied_at', type: 'TIMESTAMP' },
];

/** Rolls the per-minute counters up by a `date_trunc` unit. */
const rollupView = (name: string, unit: 'hour' | 'day') => `CREATE OR REPLACE VIEW ${name} AS
SELECT metric, dims, dim1_name, dim1_value, dim2_name, dim2_value,
       date_trunc('${unit}', window_start) AS window_start,
       SUM(value) AS value,
       MAX(loaded_at) AS loaded_at
FROM metric_counters
GROUP BY metric, dims, dim1_name, dim1_value, dim2_name, dim2_value, date_trunc('${unit}', window_start)`;

/**
 * One row per key among the events: Firehose may deliver a record more than once, and a
 * producer retry may be written twice; the earliest arrival wins.
 */
const uniqueView = (stream: keyof typeof EVENT_TABLES) => {
  const t = EVENT_TABLES[stream];
  const cols = t.columns.map((c) => c.name).join(', ');
  return `CREATE OR REPLACE VIEW ${t.table}_unique AS
SELECT ${cols}
FROM (
  SELECT ${cols},
         ROW_NUMBER() OVER (PARTITION BY ${t.key.join(', ')} ORDER BY arrived_at, shard_id, LENGTH(sequence_number), sequence_number, sub_sequence) AS row_rank
  FROM ${t.table}
) ranked
WHERE row_rank = 1`;
};

const FUNNEL_DAILY = `CREATE OR REPLACE VIEW funnel_daily AS
SELECT day, page_views, add_to_cart, checkout_started, orders,
       CAST(add_to_cart AS DOUBLE PRECISION) / NULLIF(page_views, 0) AS view_to_cart_rate,
       CAST(checkout_started AS DOUBLE PRECISION) / NULLIF(add_to_cart, 0) AS cart_to_checkout_rate,
       CAST(orders AS DOUBLE PRECISION) / NULLIF(checkout_started, 0) AS checkout_to_order_rate
FROM (
  SELECT date_trunc('day', window_start) AS day,
         SUM(CASE WHEN metric = 'page_views' THEN value ELSE 0 END) AS page_views,
         SUM(CASE WHEN metric = 'add_to_cart' THEN value ELSE 0 END) AS add_to_cart,
         SUM(CASE WHEN metric = 'checkout_started' THEN value ELSE 0 END) AS checkout_started,
         SUM(CASE WHEN metric = 'orders' THEN value ELSE 0 END) AS orders
  FROM metric_counters
  WHERE dims = '{}' AND metric IN ('page_views', 'add_to_cart', 'checkout_started', 'orders')
  GROUP BY date_trunc('day', window_start)
) daily`;

// Money stays per currency: every row is one currency, and nothing sums across them.
const REVENUE_BY_CURRENCY_DAILY = `CREATE OR REPLACE VIEW revenue_by_currency_daily AS
SELECT day, currency, revenue_minor, orders, refunds, refund_amount_minor,
       CAST(revenue_minor AS DOUBLE PRECISION) / NULLIF(orders, 0) AS average_order_value_minor
FROM (
  SELECT date_trunc('day', window_start) AS day,
         dim1_value AS currency,
         SUM(CASE WHEN metric = 'revenue' THEN value ELSE 0 END) AS revenue_minor,
         SUM(CASE WHEN metric = 'orders' THEN value ELSE 0 END) AS orders,
         SUM(CASE WHEN metric = 'refunds' THEN value ELSE 0 END) AS refunds,
         SUM(CASE WHEN metric = 'refund_amount' THEN value ELSE 0 END) AS refund_amount_minor
  FROM metric_counters
  WHERE dim1_name = 'currency' AND dim2_name IS NULL
    AND metric IN ('revenue', 'orders', 'refunds', 'refund_amount')
  GROUP BY date_trunc('day', window_start), dim1_value
) daily`;

/** Every migration, in order. Append only: never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: '0001_metric_tables',
    description: 'metric_counters and metric_sketches (the idempotent mirror of the DynamoDB metric store)',
    statements: (d) => [createTable('metric_counters', METRIC_COUNTER_COLUMNS, d), createTable('metric_sketches', METRIC_SKETCH_COLUMNS, d)],
  },
  {
    id: '0002_event_tables',
    description: 'clickstream_events and transactions (cleaned events delivered by Firehose)',
    statements: (d) => [
      createTable(EVENT_TABLES.clickstream.table, EVENT_TABLES.clickstream.columns, d),
      createTable(EVENT_TABLES.transactions.table, EVENT_TABLES.transactions.columns, d),
      uniqueView('clickstream'),
      uniqueView('transactions'),
    ],
  },
  {
    id: '0003_analyst_views',
    description: 'metrics_hourly, metrics_daily, funnel_daily, revenue_by_currency_daily',
    statements: () => [rollupView('metrics_hourly', 'hour'), rollupView('metrics_daily', 'day'), FUNNEL_DAILY, REVENUE_BY_CURRENCY_DAILY],
  },
  {
    id: '0004_postgres_key_indexes',
    description: 'indexes on the metric tables\' keys (PostgreSQL only: Redshift has no indexes, its sort keys do this)',
    // Every mirror load joins its stage table to the target on the key (metric-mirror.ts).
    // Without an index PostgreSQL scans the whole table per load, so loads slow down as the
    // table grows; Redshift needs nothing here (sort keys and zone maps).
    statements: (d) =>
      d === 'redshift'
        ? []
        : [
            'CREATE INDEX IF NOT EXISTS metric_counters_key ON metric_counters (metric, dims, window_start)',
            'CREATE INDEX IF NOT EXISTS metric_sketches_key ON metric_sketches (metric, dims, window_start, shard_id)',
          ],
  },
];

/** The statement that creates the bookkeeping table (run before anything else). */
export function schemaMigrationsDdl(dialect: SqlDialect): string {
  return createTable('schema_migrations', SCHEMA_MIGRATIONS_COLUMNS, dialect);
}

/** Executes one SQL statement; a result with `rows` (arrays or objects) is read for `SELECT`s. */
export type SqlExec = (sql: string) => Promise<unknown>;

function firstColumn(result: unknown): unknown[] {
  const rows = (result as { rows?: unknown })?.rows;
  if (!Array.isArray(rows)) throw new TypeError('migrate: exec must resolve to an object with `rows` for a SELECT');
  return rows.map((r) => (Array.isArray(r) ? r[0] : r && typeof r === 'object' ? Object.values(r)[0] : r));
}

// Migration ids and descriptions are our own constants, never input, and hold no
// backslashes: plain quote doubling is enough for both dialects.
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Records a migration as applied. The time comes from the caller's clock: Redshift has
 * deprecated `CURRENT_TIMESTAMP` (leader-node only) and `GETDATE()` is not PostgreSQL.
 */
const recordSql = (m: Migration, nowMs: number) =>
  `INSERT INTO schema_migrations (id, description, applied_at) SELECT ${literal(m.id)}, ${literal(m.description)}, ${sqlTimestamp(nowMs)} WHERE NOT EXISTS (SELECT 1 FROM schema_migrations WHERE id = ${literal(m.id)})`;

/**
 * Applies the migrations not applied yet, in order, and records each in
 * `schema_migrations`. Running it again does nothing. `exec` may be `DataApi.execute`, a
 * `pg` client's `query` or PGlite's `query` (bound).
 *
 * @example
 * const applied = await migrate((sql) => api.execute(sql), 'redshift'); // → ['0001_metric_tables', …]
 * await migrate((sql) => pgClient.query(sql), 'postgres');             // → [] the second time
 */
export async function migrate(exec: SqlExec, dialect: SqlDialect): Promise<string[]> {
  await exec(schemaMigrationsDdl(dialect));
  const done = new Set(firstColumn(await exec('SELECT id FROM schema_migrations')).map(String));
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.id)) continue;
    for (const sql of m.statements(dialect)) await exec(sql);
    await exec(recordSql(m, Date.now()));
    applied.push(m.id);
  }
  return applied;
}

/**
 * All statements of every migration, with their bookkeeping, for runners that cannot read
 * results (the CDK custom resource sends them through the Data API one by one; each is
 * idempotent).
 *
 * @example
 * for (const sql of migrationScript('redshift')) await api.execute(sql);
 */
export function migrationScript(dialect: SqlDialect, nowMs = Date.now()): string[] {
  const out = [schemaMigrationsDdl(dialect)];
  for (const m of MIGRATIONS) {
    out.push(...m.statements(dialect));
    out.push(recordSql(m, nowMs));
  }
  return out;
}

/**
 * The maintenance statements that physically remove duplicate events (same key) from an
 * event table, keeping the earliest arrival. Redshift has no row identity to tell two
 * identical rows apart, so the survivors are copied aside, every copy of a duplicated key
 * deleted, and the survivors put back, in one transaction (`DataApi.batch`).
 *
 * @example
 * await api.batch(dedupeEventsSql('clickstream_events'));
 */
export function dedupeEventsSql(table: 'clickstream_events' | 'transactions'): string[] {
  const t = table === 'clickstream_events' ? EVENT_TABLES.clickstream : EVENT_TABLES.transactions;
  const cols = t.columns.map((c) => c.name).join(', ');
  const key = t.key.join(', ');
  const on = t.key.map((k) => `${table}.${k} = dup_keys.${k}`).join(' AND ');
  const keysOn = t.key.map((k) => `r.${k} = k.${k}`).join(' AND ');
  return [
    `CREATE TEMP TABLE dup_keys AS SELECT ${key} FROM ${table} GROUP BY ${key} HAVING COUNT(*) > 1`,
    `CREATE TEMP TABLE dup_keep AS SELECT ${cols} FROM (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY ${t.key.map((k) => `r.${k}`).join(', ')} ORDER BY r.arrived_at, r.shard_id, LENGTH(r.sequence_number), r.sequence_number, r.sub_sequence) AS row_rank FROM ${table} r JOIN dup_keys k ON ${keysOn}) ranked WHERE row_rank = 1`,
    `DELETE FROM ${table} USING dup_keys WHERE ${on}`,
    `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM dup_keep`,
    'DROP TABLE dup_keys',
    'DROP TABLE dup_keep',
  ];
}
