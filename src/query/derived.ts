/**
 * The metrics SPEC §4 derives at query time: average order value (`revenue / orders`),
 * cart-to-checkout rate (`checkout_started / add_to_cart`) and conversion
 * (`orders / sessions`). Each is the quotient of two stored metrics queried over the same
 * range, grain and dimensions, row by row; nothing derived is stored, so nothing derived
 * can drift from what it is derived from. Pure: the caller runs the two queries.
 *
 * A row exists where the denominator is positive (a rate of nothing is no answer); a
 * missing numerator there counts as 0 (carts but no checkout: a rate of 0).
 */
import { UsageError } from '../errors.ts';
import type { Dimension } from '../metrics/catalog.ts';
import { compareDims, requestedDims, type QueryRequest, type QueryRow } from './rollup.ts';

export interface DerivedMetric {
  name: string;
  /** other names accepted by `query` */
  aliases: string[];
  description: string;
  numerator: string;
  denominator: string;
  /** the breakdowns both parts store (money keeps `currency`, as its parts do) */
  combos: Dimension[][];
  money?: boolean;
}

/** The derived metrics, in catalog order. */
export const DERIVED_METRICS: readonly DerivedMetric[] = [
  {
    name: 'average_order_value',
    aliases: ['aov', 'avg_order_value'],
    description: 'revenue / orders, per currency, minor units (derived at query time)',
    numerator: 'revenue',
    denominator: 'orders',
    combos: [['currency']],
    money: true,
  },
  {
    name: 'cart_to_checkout_rate',
    aliases: ['cart_to_checkout'],
    description: 'checkout_started / add_to_cart (derived at query time)',
    numerator: 'checkout_started',
    denominator: 'add_to_cart',
    combos: [[]],
  },
  {
    name: 'conversion',
    aliases: ['conversion_rate'],
    description: 'orders / sessions (derived at query time; sessions are a ≤ 2 % estimate)',
    numerator: 'orders',
    denominator: 'sessions',
    combos: [[]],
  },
];

/**
 * The derived metric a name (or alias) stands for, or undefined.
 *
 * @example
 * findDerived('aov')?.name; // 'average_order_value'
 */
export function findDerived(name: string): DerivedMetric | undefined {
  return DERIVED_METRICS.find((d) => d.name === name || d.aliases.includes(name));
}

/**
 * The two stored-metric queries a derived query needs; throws `UsageError` for a breakdown
 * the derived metric does not have.
 *
 * @example
 * planDerived(findDerived('conversion')!, { metric: 'conversion', by: [], fromMs, toMs, grain: '1h' });
 * // → { numerator: { metric: 'orders', … }, denominator: { metric: 'sessions', … } }
 */
export function planDerived(def: DerivedMetric, req: QueryRequest): { numerator: QueryRequest; denominator: QueryRequest; dims: Dimension[] } {
  const want = requestedDims(req.by, def.money);
  const combo = def.combos.find((c) => c.length === want.length && want.every((d) => c.includes(d)));
  if (!combo) {
    const avail = def.combos.map((c) => (c.length ? c.join(',') : '(none)')).join('; ');
    throw new UsageError(`metric "${def.name}" cannot be broken down by ${requestedDims(req.by, false).join(',')}; breakdowns: ${avail}`);
  }
  const part = (metric: string): QueryRequest => ({ metric, fromMs: req.fromMs, toMs: req.toMs, by: [...combo], ...(req.grain ? { grain: req.grain } : {}) });
  return { numerator: part(def.numerator), denominator: part(def.denominator), dims: [...combo] };
}

/**
 * Divides the numerator's rows by the denominator's, matched by window and dimensions;
 * `top` keeps the N largest quotients per window.
 *
 * @example
 * deriveRows(findDerived('conversion')!, { top: undefined }, orders, sessions);
 * // → [{ metric: 'conversion', windowStart, dims: {}, value: 0.031 }]
 */
export function deriveRows(def: DerivedMetric, req: Pick<QueryRequest, 'top'>, numerator: readonly QueryRow[], denominator: readonly QueryRow[]): QueryRow[] {
  const key = (r: QueryRow) => `${r.windowStart}\u0000${JSON.stringify(Object.entries(r.dims).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
  const num = new Map(numerator.map((r) => [key(r), typeof r.value === 'number' ? r.value : 0]));
  const rows: QueryRow[] = [];
  for (const d of denominator) {
    if (typeof d.value !== 'number' || d.value <= 0) continue;
    rows.push({ metric: def.name, windowStart: d.windowStart, dims: d.dims, value: (num.get(key(d)) ?? 0) / d.value });
  }
  rows.sort((a, b) => (a.windowStart < b.windowStart ? -1 : a.windowStart > b.windowStart ? 1 : (b.value as number) - (a.value as number) || compareDims(a.dims, b.dims, Object.keys(a.dims))));
  if (req.top === undefined) return rows;
  const perWindow = new Map<string, number>();
  return rows.filter((r) => {
    const n = (perWindow.get(r.windowStart) ?? 0) + 1;
    perWindow.set(r.windowStart, n);
    return n <= req.top!;
  });
}
