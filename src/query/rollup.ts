/**
 * Query planning and roll-up (SPEC §4, §7): which stored dimension combination answers a
 * `--by`, and how minute cells become rows at a grain (or one row per dims for the range).
 * Pure: the sources (DynamoDB, Redshift) feed it cells.
 */
import { UsageError } from '../errors.ts';
import { findMetric, METRICS, type Dimension, type MetricDefinition } from '../metrics/catalog.ts';
import { DDSketch, HyperLogLog } from '../sketch/index.ts';
import { DERIVED_METRICS } from './derived.ts';

export type Grain = '1m' | '5m' | '1h' | '1d';
export const GRAIN_MS: Record<Grain, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

export interface QueryRequest {
  metric: string;
  fromMs: number;
  toMs: number;
  by: string[];
  grain?: Grain;
  top?: number;
}

export interface QueryPlan {
  def: MetricDefinition;
  /** the stored combination read */
  combo: Dimension[];
  /** the dimensions of the output rows (the request's, plus `currency` for money) */
  dims: Dimension[];
}

export type QueryValue = number | { p50: number; p90: number; p99: number };

export interface QueryRow {
  metric: string;
  windowStart: string;
  dims: Record<string, string>;
  value: QueryValue;
}

/** One stored cell: a counter value or a sketch. */
export interface StoredCell {
  windowStart: number;
  dims: Record<string, string>;
  value?: number;
  sketch?: Uint8Array;
}

/**
 * The dimensions of a query's rows: `--by` trimmed and without repeats, and `currency`
 * first for a money metric when `--by` leaves it out.
 *
 * @example
 * requestedDims(['country'], true); // ['currency', 'country']
 */
export function requestedDims(by: readonly string[], money: boolean | undefined): Dimension[] {
  const want = [...new Set(by.map((d) => d.trim()).filter(Boolean))] as Dimension[];
  // Money is never summed across currencies: the currency is always a dimension.
  if (money && !want.includes('currency')) want.unshift('currency');
  return want;
}

/** UTF-16 code unit → a key in code-point order (surrogates above every other BMP unit). */
const cpKey = (u: number) => (u < 0xd800 ? u : u >= 0xe000 ? u - 0x800 : u + 0x2000);

/**
 * Compares two rows' dimension values one dimension at a time, in `names` order, by Unicode
 * code point (the order of UTF-8 bytes, of SQL's `C` collation and of Python's `sorted`):
 * the `--top` tie-break. Never the locale's collation, which would make the kept rows depend
 * on the machine (`a,b` before `Cart`, `_x` before `%C3%A9`).
 *
 * @example
 * compareDims({ page: 'Cart' }, { page: 'about' }, ['page']); // < 0
 */
export function compareDims(a: Record<string, string>, b: Record<string, string>, names: readonly string[]): number {
  for (const d of names) {
    const x = a[d] ?? '';
    const y = b[d] ?? '';
    if (x === y) continue;
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const cx = x.charCodeAt(i);
      const cy = y.charCodeAt(i);
      if (cx !== cy) return cpKey(cx) - cpKey(cy);
    }
    return x.length - y.length;
  }
  return 0;
}

/**
 * Plans a query: validates the metric and dimensions, picks the stored combination.
 * Throws `UsageError` with a message that says what is possible.
 *
 * @example
 * planQuery({ metric: 'revenue', by: [], fromMs, toMs }).dims // → ['currency']
 */
export function planQuery(req: QueryRequest): QueryPlan {
  const def = findMetric(req.metric);
  if (!def) throw new UsageError(`unknown metric "${req.metric}"; known metrics: ${[...METRICS.map((m) => m.name), ...DERIVED_METRICS.map((d) => d.name)].join(', ')}`);
  const want = requestedDims(req.by, def.money);
  const candidates = def.combos.filter((c) => want.every((d) => c.includes(d)));
  if (candidates.length === 0) {
    const avail = def.combos.map((c) => (c.length ? c.join(',') : '(none)')).join('; ');
    throw new UsageError(`metric "${def.name}" cannot be broken down by ${requestedDims(req.by, false).join(',')}; stored breakdowns: ${avail}`);
  }
  // The smallest superset: a sketch cannot be summed over a dimension, so sketches need an
  // exact match.
  candidates.sort((a, b) => a.length - b.length);
  const combo = candidates[0]!;
  if (def.kind !== 'counter' && combo.length !== want.length) {
    throw new UsageError(`metric "${def.name}" is a sketch and can only be broken down by ${def.combos.map((c) => (c.length ? c.join(',') : '(none)')).join('; ')}`);
  }
  return { def, combo, dims: want };
}

/**
 * Rolls stored minute cells up into rows: grouped by grain window (or the whole range) and
 * the requested dimensions; counters summed, sketches merged; `top` keeps the N largest
 * rows per window.
 *
 * @example
 * const rows = rollup(plan, req, cells);
 */
export function rollup(plan: QueryPlan, req: QueryRequest, cells: Iterable<StoredCell>): QueryRow[] {
  const groups = new Map<string, { windowStart: number; dims: Record<string, string>; sum: number; sketch?: HyperLogLog | DDSketch }>();
  const grainMs = req.grain ? GRAIN_MS[req.grain] : 0;
  for (const c of cells) {
    if (c.windowStart < req.fromMs || c.windowStart >= req.toMs) continue;
    const ws = grainMs ? Math.floor(c.windowStart / grainMs) * grainMs : req.fromMs;
    const dims: Record<string, string> = {};
    for (const d of plan.dims) dims[d] = c.dims[d] ?? '';
    const key = `${ws}\u0000${plan.dims.map((d) => dims[d]).join('\u0000')}`;
    let g = groups.get(key);
    if (!g) {
      g = { windowStart: ws, dims, sum: 0 };
      groups.set(key, g);
    }
    if (plan.def.kind === 'counter') g.sum += c.value ?? 0;
    else if (c.sketch) {
      const s = plan.def.kind === 'hll' ? HyperLogLog.fromBytes(c.sketch) : DDSketch.fromBytes(c.sketch);
      if (!g.sketch) g.sketch = s;
      else (g.sketch as HyperLogLog & DDSketch).merge(s as HyperLogLog & DDSketch);
    }
  }
  const rows: (QueryRow & { sortValue: number; ws: number })[] = [];
  for (const g of groups.values()) {
    let value: QueryValue;
    let sortValue: number;
    if (plan.def.kind === 'counter') {
      // A `records` cell can sum to 0 only when counts moved away from it (a replayed bad
      // record leaves `rejected`): no row, as if nothing had ever been counted there. Other
      // counters only ever add, so a 0 is a real answer (`revenue` of orders of "0.00").
      if (g.sum === 0 && plan.def.name === 'records') continue;
      value = g.sum;
      sortValue = g.sum;
    } else if (plan.def.kind === 'hll') {
      value = g.sketch ? Math.round((g.sketch as HyperLogLog).estimate()) : 0;
      sortValue = value;
    } else {
      const s = g.sketch as DDSketch | undefined;
      value = s && s.count() > 0 ? { p50: s.quantile(0.5), p90: s.quantile(0.9), p99: s.quantile(0.99) } : { p50: 0, p90: 0, p99: 0 };
      sortValue = s ? s.count() : 0;
    }
    rows.push({ metric: plan.def.name, windowStart: new Date(g.windowStart).toISOString(), dims: g.dims, value, sortValue, ws: g.windowStart });
  }
  rows.sort((a, b) => a.ws - b.ws || b.sortValue - a.sortValue || compareDims(a.dims, b.dims, plan.dims));
  let out = rows;
  if (req.top !== undefined) {
    const perWindow = new Map<number, number>();
    out = rows.filter((r) => {
      const n = (perWindow.get(r.ws) ?? 0) + 1;
      perWindow.set(r.ws, n);
      return n <= req.top!;
    });
  }
  return out.map(({ metric, windowStart, dims, value }) => ({ metric, windowStart, dims, value }));
}
