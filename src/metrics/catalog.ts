/**
 * The metric catalog of SPEC §4 and how each metric is stored.
 *
 * Storage packs many metric cells into one DynamoDB item per (group, bucket, 1-minute
 * window) so that one batch costs a handful of writes, not one per cell: a *cell* is one
 * metric with one combination of dimension values (`page_views` by `country` = `US`), and
 * a *group* is the set of cells that share an item. High-cardinality groups (pages, SKUs)
 * are spread over a fixed number of buckets by a hash of the cell name, so that an item
 * stays far below DynamoDB's 400 KB and 4 KB-expression limits. The bucket of a cell never
 * changes, which is what lets the per-item high-water marks make replays harmless.
 */
import type { SketchKind, StreamKind } from '../types.ts';

/** A dimension a metric can be broken down by. */
export type Dimension =
  | 'page'
  | 'country'
  | 'device'
  | 'type'
  | 'currency'
  | 'payment_method'
  | 'sku'
  | 'stream'
  | 'outcome'
  | 'reason';

export interface MetricDefinition {
  name: string;
  description: string;
  /** `counter`: summed; `hll`: distinct count sketch; `ddsketch`: quantile sketch */
  kind: 'counter' | SketchKind;
  /** the dimension combinations stored (each an ordered list; `[]` is the total) */
  combos: Dimension[][];
  /** money metrics are never summed across currencies: queries always keep `currency` */
  money?: boolean;
  /** windowed by arrival time instead of event time (`records`) */
  arrivalTime?: boolean;
  stream: StreamKind | 'any';
}

/** Every metric of SPEC §4, in catalog order. */
export const METRICS: readonly MetricDefinition[] = [
  { name: 'page_views', description: 'count of page_view events', kind: 'counter', combos: [[], ['page'], ['country'], ['device']], stream: 'clickstream' },
  { name: 'events', description: 'count of counted clickstream events', kind: 'counter', combos: [['type']], stream: 'clickstream' },
  { name: 'unique_visitors', description: 'distinct anonymousId (HyperLogLog p = 15, ≤ 2% error)', kind: 'hll', combos: [[], ['country']], stream: 'clickstream' },
  { name: 'sessions', description: 'distinct sessionId (HyperLogLog p = 15, ≤ 2% error)', kind: 'hll', combos: [[]], stream: 'clickstream' },
  { name: 'add_to_cart', description: 'count of add_to_cart events', kind: 'counter', combos: [[]], stream: 'clickstream' },
  { name: 'checkout_started', description: 'count of checkout_started events', kind: 'counter', combos: [[]], stream: 'clickstream' },
  { name: 'orders', description: 'count of completed purchases', kind: 'counter', combos: [[], ['currency'], ['country'], ['payment_method']], stream: 'transactions' },
  { name: 'revenue', description: 'sum of completed purchase amounts, minor units', kind: 'counter', combos: [['currency'], ['currency', 'country']], money: true, stream: 'transactions' },
  { name: 'refunds', description: 'count of completed refunds', kind: 'counter', combos: [['currency']], stream: 'transactions' },
  { name: 'refund_amount', description: 'sum of completed refund amounts, minor units', kind: 'counter', combos: [['currency']], money: true, stream: 'transactions' },
  { name: 'failed_payments', description: 'count of failed purchases', kind: 'counter', combos: [[]], stream: 'transactions' },
  { name: 'order_value', description: 'p50/p90/p99 of completed purchase amounts (DDSketch, ≤ 1% relative error), minor units', kind: 'ddsketch', combos: [['currency']], money: true, stream: 'transactions' },
  { name: 'units_sold', description: 'sum of item quantities in completed purchases', kind: 'counter', combos: [['sku']], stream: 'transactions' },
  { name: 'records', description: 'data quality: records by outcome, windowed by arrival time', kind: 'counter', combos: [['stream', 'outcome', 'reason']], arrivalTime: true, stream: 'any' },
];

const BY_NAME = new Map(METRICS.map((m) => [m.name, m]));

/** Looks a metric up by name. */
export function findMetric(name: string): MetricDefinition | undefined {
  return BY_NAME.get(name);
}

/** Storage groups: which cells share an item, and over how many buckets. */
export const GROUPS = {
  /** clickstream counters of low cardinality */
  cs: { buckets: 1, kind: 'counter' },
  /** page_views by page */
  cs_page: { buckets: 16, kind: 'counter' },
  /** transaction counters of low cardinality */
  tx: { buckets: 1, kind: 'counter' },
  /** units_sold by sku */
  tx_sku: { buckets: 8, kind: 'counter' },
  /** data quality (`records`), by arrival time */
  dq: { buckets: 1, kind: 'counter' },
  /** clickstream sketches (per-shard partials) */
  cs_sk: { buckets: 1, kind: 'sketch' },
  /** transaction sketches (per-shard partials) */
  tx_sk: { buckets: 1, kind: 'sketch' },
} as const;

export type GroupName = keyof typeof GROUPS;

/** The group that stores a metric's given dimension combination. */
export function groupOf(metric: string, dims: readonly Dimension[]): GroupName {
  switch (metric) {
    case 'page_views':
      return dims.length === 1 && dims[0] === 'page' ? 'cs_page' : 'cs';
    case 'events':
    case 'add_to_cart':
    case 'checkout_started':
      return 'cs';
    case 'unique_visitors':
    case 'sessions':
      return 'cs_sk';
    case 'order_value':
      return 'tx_sk';
    case 'units_sold':
      return 'tx_sku';
    case 'records':
      return 'dq';
    default:
      return 'tx';
  }
}

// Cell names: `<metric>|<dim,dim>|<value>|<value>`. Values escape `%` and `|` so that the
// name splits unambiguously whatever a producer put in a dimension.
const escapeValue = (v: string): string => (v.includes('%') || v.includes('|') ? v.replace(/%/g, '%25').replace(/\|/g, '%7C') : v);
const unescapeValue = (v: string): string => (v.includes('%') ? v.replace(/%7C/g, '|').replace(/%25/g, '%') : v);

/**
 * Encodes a cell name.
 *
 * @example
 * encodeCell('revenue', ['currency', 'country'], ['USD', 'FR']) // → 'revenue|currency,country|USD|FR'
 * encodeCell('page_views', [], [])                              // → 'page_views|'
 */
export function encodeCell(metric: string, dims: readonly string[], values: readonly string[]): string {
  let out = `${metric}|${dims.join(',')}`;
  for (const v of values) out += `|${escapeValue(v)}`;
  return out;
}

/** Decodes a cell name into its metric and dimension values. */
export function decodeCell(cell: string): { metric: string; dims: Record<string, string>; dimNames: string[] } {
  const parts = cell.split('|');
  const metric = parts[0] ?? '';
  const dimNames = parts[1] ? parts[1].split(',') : [];
  const dims: Record<string, string> = {};
  dimNames.forEach((d, i) => {
    dims[d] = unescapeValue(parts[i + 2] ?? '');
  });
  return { metric, dims, dimNames };
}

/** FNV-1a, 32 bits: a cheap, stable hash to pick a cell's bucket. */
export function bucketOf(group: GroupName, cell: string): number {
  const buckets = GROUPS[group].buckets;
  if (buckets === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < cell.length; i++) {
    h ^= cell.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

export const MINUTE_MS = 60_000;

/** Start of the UTC minute containing `ms`. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}
