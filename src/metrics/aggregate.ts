/**
 * Aggregation: classified records → metric deltas per storage item (SPEC §4).
 *
 * Pure and deterministic: the same records give the same deltas, byte for byte, which is
 * what lets a sink re-derive "the contributions after position P" when a replay meets an
 * item that already holds part of a batch (`recomputeCounter`, `recomputeSketch`).
 */
import { DDSketch, HyperLogLog } from '../sketch/index.ts';
import type { BatchSource, ClassifiedRecord, CleanClick, CleanTransaction, CounterItemDelta, SketchItemDelta, SketchKind } from '../types.ts';
import { bucketOf, encodeCell, GROUPS, minuteOf, type GroupName } from './catalog.ts';

export interface AggregateOutput {
  counters: CounterItemDelta[];
  sketches: SketchItemDelta[];
}

type Sketch = HyperLogLog | DDSketch;

interface SketchAcc {
  group: GroupName;
  windowStart: number;
  cells: Map<string, Sketch>;
  firstPos: string;
  lastPos: string;
}

// Cell names that do not depend on the record are built once.
const C = {
  pageViews: encodeCell('page_views', [], []),
  addToCart: encodeCell('add_to_cart', [], []),
  checkoutStarted: encodeCell('checkout_started', [], []),
  orders: encodeCell('orders', [], []),
  failedPayments: encodeCell('failed_payments', [], []),
  uniqueVisitors: encodeCell('unique_visitors', [], []),
  sessions: encodeCell('sessions', [], []),
};

/** Per-call accumulator: one instance per `aggregate` call keeps the function re-entrant. */
class Accumulator {
  private readonly counters = new Map<string, CounterItemDelta>();
  private readonly sketches = new Map<string, SketchAcc>();
  private readonly cellCache = new Map<string, string>();

  /** Cached cell name for a one-dimension cell (most cells): avoids re-encoding per record. */
  cell1(metric: string, dim: string, value: string): string {
    const k = `${metric}\u0000${dim}\u0000${value}`;
    let c = this.cellCache.get(k);
    if (c === undefined) {
      c = encodeCell(metric, [dim], [value]);
      this.cellCache.set(k, c);
    }
    return c;
  }

  add(group: GroupName, windowStart: number, cell: string, n: number, pos: string): void {
    const bucket = bucketOf(group, cell);
    const key = `${group}#${bucket}#${windowStart}`;
    let item = this.counters.get(key);
    if (!item) {
      item = { group, bucket, windowStart, cells: new Map(), firstPos: pos, lastPos: pos };
      this.counters.set(key, item);
    }
    item.cells.set(cell, (item.cells.get(cell) ?? 0) + n);
    item.lastPos = pos;
  }

  sketch(group: GroupName, windowStart: number, cell: string, kind: SketchKind, pos: string): Sketch {
    const key = `${group}#${windowStart}`;
    let item = this.sketches.get(key);
    if (!item) {
      item = { group, windowStart, cells: new Map(), firstPos: pos, lastPos: pos };
      this.sketches.set(key, item);
    }
    item.lastPos = pos;
    let s = item.cells.get(cell);
    if (!s) {
      s = kind === 'hll' ? HyperLogLog.empty() : DDSketch.empty();
      item.cells.set(cell, s);
    }
    return s;
  }

  click(c: CleanClick, pos: string): void {
    const w = minuteOf(c.occurredAtMs);
    this.add('cs', w, this.cell1('events', 'type', c.type), 1, pos);
    if (c.type === 'page_view') {
      this.add('cs', w, C.pageViews, 1, pos);
      this.add('cs', w, this.cell1('page_views', 'country', c.country), 1, pos);
      this.add('cs', w, this.cell1('page_views', 'device', c.device), 1, pos);
      this.add('cs_page', w, this.cell1('page_views', 'page', c.page), 1, pos);
    } else if (c.type === 'add_to_cart') {
      this.add('cs', w, C.addToCart, 1, pos);
    } else if (c.type === 'checkout_started') {
      this.add('cs', w, C.checkoutStarted, 1, pos);
    }
    (this.sketch('cs_sk', w, C.uniqueVisitors, 'hll', pos) as HyperLogLog).add(c.anonymousId);
    (this.sketch('cs_sk', w, this.cell1('unique_visitors', 'country', c.country), 'hll', pos) as HyperLogLog).add(c.anonymousId);
    (this.sketch('cs_sk', w, C.sessions, 'hll', pos) as HyperLogLog).add(c.sessionId);
  }

  transaction(t: CleanTransaction, pos: string): void {
    if (t.status === 'pending') return;
    const w = minuteOf(t.occurredAtMs);
    if (t.type === 'purchase' && t.status === 'failed') {
      this.add('tx', w, C.failedPayments, 1, pos);
      return;
    }
    if (t.status !== 'completed') return;
    if (t.type === 'purchase') {
      this.add('tx', w, C.orders, 1, pos);
      this.add('tx', w, this.cell1('orders', 'currency', t.currency), 1, pos);
      this.add('tx', w, this.cell1('orders', 'country', t.country), 1, pos);
      this.add('tx', w, this.cell1('orders', 'payment_method', t.paymentMethod), 1, pos);
      this.add('tx', w, this.cell1('revenue', 'currency', t.currency), t.amountMinor, pos);
      this.add('tx', w, encodeCell('revenue', ['currency', 'country'], [t.currency, t.country]), t.amountMinor, pos);
      (this.sketch('tx_sk', w, this.cell1('order_value', 'currency', t.currency), 'ddsketch', pos) as DDSketch).add(t.amountMinor);
      for (const item of t.items) this.add('tx_sku', w, this.cell1('units_sold', 'sku', item.sku), item.quantity, pos);
    } else {
      this.add('tx', w, this.cell1('refunds', 'currency', t.currency), 1, pos);
      this.add('tx', w, this.cell1('refund_amount', 'currency', t.currency), t.amountMinor, pos);
    }
  }

  quality(r: ClassifiedRecord, streamName: string): void {
    const cell = encodeCell('records', ['stream', 'outcome', 'reason'], [streamName, r.outcome, r.reason ?? '-']);
    this.add('dq', minuteOf(r.arrivalMs), cell, 1, r.posKey);
    if (r.replaces) {
      // A replayed bad record moves from its old outcome to its new one: the four outcomes
      // still add up to the records written to the stream.
      const old = encodeCell('records', ['stream', 'outcome', 'reason'], [streamName, r.replaces.outcome, r.replaces.reason ?? '-']);
      this.add('dq', minuteOf(r.arrivalMs), old, -1, r.posKey);
    }
  }

  output(): AggregateOutput {
    const counters = [...this.counters.values()];
    const sketches: SketchItemDelta[] = [];
    for (const s of this.sketches.values()) {
      const cells = new Map<string, { kind: SketchKind; bytes: Uint8Array }>();
      for (const [cell, sk] of s.cells) cells.set(cell, { kind: sk instanceof HyperLogLog ? 'hll' : 'ddsketch', bytes: sk.toBytes() });
      sketches.push({ group: s.group, windowStart: s.windowStart, cells, firstPos: s.firstPos, lastPos: s.lastPos });
    }
    return { counters, sketches };
  }
}

/**
 * Aggregates one batch's classified records (in position order) into metric deltas:
 * counters per (group, bucket, window), sketches per (group, window), and the `records`
 * data-quality counter for every record whatever its outcome.
 *
 * @example
 * const { counters, sketches } = aggregate(result.records, { stream: 'clickstream', streamName: 'clickstream', shardId: 'shardId-000000000000' });
 */
export function aggregate(records: readonly ClassifiedRecord[], source: BatchSource): AggregateOutput {
  const acc = new Accumulator();
  for (const r of records) {
    acc.quality(r, source.streamName);
    if (r.outcome !== 'counted' || !r.clean) continue;
    if (r.clean.kind === 'clickstream') acc.click(r.clean, r.posKey);
    else acc.transaction(r.clean, r.posKey);
  }
  return acc.output();
}

/**
 * Re-derives a counter delta from only the records after `afterPosKey`: what a replay still
 * has to apply to an item whose high-water mark is `afterPosKey`. Null when nothing is left.
 */
export function recomputeCounter(records: readonly ClassifiedRecord[], source: BatchSource, delta: CounterItemDelta, afterPosKey: string): CounterItemDelta | null {
  const { counters } = aggregate(after(records, afterPosKey), source);
  return counters.find((c) => c.group === delta.group && c.bucket === delta.bucket && c.windowStart === delta.windowStart) ?? null;
}

/** Like `recomputeCounter`, for a sketch item. */
export function recomputeSketch(records: readonly ClassifiedRecord[], source: BatchSource, delta: SketchItemDelta, afterPosKey: string): SketchItemDelta | null {
  const { sketches } = aggregate(after(records, afterPosKey), source);
  return sketches.find((s) => s.group === delta.group && s.windowStart === delta.windowStart) ?? null;
}

function after(records: readonly ClassifiedRecord[], posKey: string): ClassifiedRecord[] {
  return records.filter((r) => r.posKey > posKey);
}

/** Number of buckets of a group (re-exported for sinks and queries). */
export function bucketsOf(group: GroupName): number {
  return GROUPS[group].buckets;
}
