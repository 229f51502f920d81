/**
 * Aggregation: classified records → metric deltas per storage item (SPEC §4).
 *
 * Pure and deterministic: the same records give the same deltas, byte for byte, which is
 * what lets a sink re-derive "the contributions after position P" when a replay meets an
 * item that already holds part of a batch (`recomputeCounter`, `recomputeSketch`).
 */
import { DDSketch, HyperLogLog } from '../sketch/index.ts';
import { sampleHash } from '../clean/memo.ts';
import { hashOut, murmur3Utf8 } from '../sketch/murmur3.ts';
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

/**
 * A cell of one accumulator: its name and bucket, and `id`, its number in that accumulator,
 * which indexes the per-window tables (see `WindowAcc`) so that adding to a cell is array
 * reads and writes instead of looking its name up in the item's map.
 */
type CellRef = { cell: string; bucket: number; id: number };

/**
 * The sketch hashes of recent visitor and session ids, direct-mapped by `sampleHash`:
 * cleaning hands every record of a session the same id string (its memo), so a slot hit is
 * one pointer comparison instead of UTF-8 encoding and MurmurHash3 — twice per record.
 * A hash depends on the string alone, so any slot content is a correct answer for its key.
 */
const HASH_SLOTS = 4096;
const hashKeys: (string | undefined)[] = new Array<string | undefined>(HASH_SLOTS).fill(undefined);
const hashHi = new Uint32Array(HASH_SLOTS);
const hashLo = new Uint32Array(HASH_SLOTS);
/**
 * Per slot, the sketch its hash was last added to, for each of the three visitor and
 * session sketches: a visitor's events of one minute go to the same sketches, and adding a
 * hash a sketch already holds changes nothing (a sketch is a set of hashes), so only the
 * first add of a run is made. Cleared with the slot.
 */
const addedToVisitors: (Sketch | undefined)[] = new Array<Sketch | undefined>(HASH_SLOTS).fill(undefined);
const addedToCountry: (Sketch | undefined)[] = new Array<Sketch | undefined>(HASH_SLOTS).fill(undefined);
const addedToSessions: (Sketch | undefined)[] = new Array<Sketch | undefined>(HASH_SLOTS).fill(undefined);

/** The slot that holds the first 64 bits of `murmur3Utf8(s)` in `hashHi`/`hashLo`. */
function hashSlot(s: string): number {
  const slot = sampleHash(s) & (HASH_SLOTS - 1);
  if (hashKeys[slot] !== s) {
    murmur3Utf8(s);
    hashKeys[slot] = s;
    addedToVisitors[slot] = addedToCountry[slot] = addedToSessions[slot] = undefined;
    hashHi[slot] = hashOut[0]!;
    hashLo[slot] = hashOut[1]!;
  }
  return slot;
}

/**
 * Everything one window accumulates: counter items by group and bucket, sketch cells by group.
 * Counter values are summed in `values` (one slot per cell the window touched, in the order
 * first touched) and written into the items' `cells` maps by `output`: a record adds to
 * about six cells, and a map lookup and update per add cost ~15 % of the aggregation.
 * Each map then gets its cells in the order they were first added, as when every add went
 * straight to it, so the output is the same, map order included.
 */
interface WindowAcc {
  counters: Map<GroupName, (CounterItemDelta | undefined)[]>;
  sketches: Map<GroupName, SketchAcc>;
  /** per cell id: 1 + its slot in `touched`/`values`, 0 when the window has not touched it */
  slotOf: Int32Array;
  /** the cells touched, in order, with their item */
  touched: CellRef[];
  touchedItems: CounterItemDelta[];
  values: number[];
  /** per cell id: the window's sketch of that cell, once looked up (see `sketch`) */
  sketchOf: (Sketch | undefined)[];
}

/** Cells of one `(metric, dimension)` by dimension value. */
type CellCache = Map<string, CellRef>;

/**
 * Per-call accumulator: one instance per `aggregate` call keeps the function re-entrant.
 * This runs several times per record, so it builds no string per record: cell names (and
 * their buckets) are cached per dimension value in one map per `(metric, dimension)`, and
 * items are found through nested maps keyed by window number and group rather than by a
 * composed string. Records of a batch mostly share their minute: the last window is kept.
 */
class Accumulator {
  private readonly windows = new Map<number, WindowAcc>();
  // The last two windows used: a record's `records` count goes to its arrival minute and its
  // metrics to its event minute, so one remembered window would change twice per record.
  private lastWindowStart = Number.NaN;
  private lastWindow: WindowAcc | null = null;
  private otherWindowStart = Number.NaN;
  private otherWindow: WindowAcc | null = null;
  private readonly fixed = new Map<string, CellRef>();
  private readonly eventsByType: CellCache = new Map();
  private readonly pageViewsByCountry: CellCache = new Map();
  private readonly pageViewsByDevice: CellCache = new Map();
  private readonly pageViewsByPage: CellCache = new Map();
  private readonly visitorsByCountry: CellCache = new Map();
  private readonly ordersByCurrency: CellCache = new Map();
  private readonly ordersByCountry: CellCache = new Map();
  private readonly ordersByPayment: CellCache = new Map();
  private readonly revenueByCurrency: CellCache = new Map();
  private readonly revenueByCurrencyCountry = new Map<string, CellCache>();
  private readonly orderValueByCurrency: CellCache = new Map();
  private readonly unitsBySku: CellCache = new Map();
  private readonly refundsByCurrency: CellCache = new Map();
  private readonly refundAmountByCurrency: CellCache = new Map();
  /** `records` cells by outcome, then reason (`-` for none) */
  private readonly qualityCells = new Map<string, CellCache>();

  /** Number of cells made (`CellRef.id`). */
  private cellCount = 0;

  private ref(group: GroupName, cell: string): CellRef {
    return { cell, bucket: bucketOf(group, cell), id: this.cellCount++ };
  }

  /** Cached cell of a metric with no dimension. */
  cell0(group: GroupName, cell: string): CellRef {
    let r = this.fixed.get(cell);
    if (!r) this.fixed.set(cell, (r = this.ref(group, cell)));
    return r;
  }

  /** Cached cell of a one-dimension metric. */
  cell1(cache: CellCache, group: GroupName, metric: string, dim: string, value: string): CellRef {
    let r = cache.get(value);
    if (!r) cache.set(value, (r = this.ref(group, encodeCell(metric, [dim], [value]))));
    return r;
  }

  private window(windowStart: number): WindowAcc {
    if (windowStart === this.lastWindowStart) return this.lastWindow!;
    let w: WindowAcc | undefined;
    if (windowStart === this.otherWindowStart) w = this.otherWindow!;
    else {
      w = this.windows.get(windowStart);
      if (!w) this.windows.set(windowStart, (w = { counters: new Map(), sketches: new Map(), slotOf: new Int32Array(64), touched: [], touchedItems: [], values: [], sketchOf: [] }));
    }
    this.otherWindowStart = this.lastWindowStart;
    this.otherWindow = this.lastWindow;
    this.lastWindowStart = windowStart;
    this.lastWindow = w;
    return w;
  }

  add(group: GroupName, windowStart: number, ref: CellRef, n: number, pos: string): void {
    const w = this.window(windowStart);
    let buckets = w.counters.get(group);
    if (!buckets) w.counters.set(group, (buckets = new Array(GROUPS[group].buckets).fill(undefined)));
    let item = buckets[ref.bucket];
    if (!item) buckets[ref.bucket] = item = { group, bucket: ref.bucket, windowStart, cells: new Map(), firstPos: pos, lastPos: pos };
    item.lastPos = pos;
    const id = ref.id;
    if (id >= w.slotOf.length) {
      const grown = new Int32Array(Math.max(id + 1, w.slotOf.length * 2));
      grown.set(w.slotOf);
      w.slotOf = grown;
    }
    const slot = w.slotOf[id]! - 1;
    if (slot >= 0) w.values[slot] = w.values[slot]! + n;
    else {
      w.slotOf[id] = w.touched.push(ref);
      w.touchedItems.push(item);
      // `0 + n`, as the sum started from 0 when the map was added to directly (-0 becomes 0)
      w.values.push(0 + n);
    }
  }

  sketch(group: GroupName, windowStart: number, ref: CellRef, kind: SketchKind, pos: string): Sketch {
    const w = this.window(windowStart);
    let item = w.sketches.get(group);
    if (!item) w.sketches.set(group, (item = { group, windowStart, cells: new Map(), firstPos: pos, lastPos: pos }));
    item.lastPos = pos;
    // Three sketches per click: found by cell number after the first time, not by name.
    let s = w.sketchOf[ref.id];
    if (s === undefined) {
      s = item.cells.get(ref.cell);
      if (!s) {
        s = kind === 'hll' ? HyperLogLog.empty() : DDSketch.empty();
        item.cells.set(ref.cell, s);
      }
      w.sketchOf[ref.id] = s;
    }
    return s;
  }

  click(c: CleanClick, pos: string): void {
    const w = minuteOf(c.occurredAtMs);
    this.add('cs', w, this.cell1(this.eventsByType, 'cs', 'events', 'type', c.type), 1, pos);
    if (c.type === 'page_view') {
      this.add('cs', w, this.cell0('cs', C.pageViews), 1, pos);
      this.add('cs', w, this.cell1(this.pageViewsByCountry, 'cs', 'page_views', 'country', c.country), 1, pos);
      this.add('cs', w, this.cell1(this.pageViewsByDevice, 'cs', 'page_views', 'device', c.device), 1, pos);
      this.add('cs_page', w, this.cell1(this.pageViewsByPage, 'cs_page', 'page_views', 'page', c.page), 1, pos);
    } else if (c.type === 'add_to_cart') {
      this.add('cs', w, this.cell0('cs', C.addToCart), 1, pos);
    } else if (c.type === 'checkout_started') {
      this.add('cs', w, this.cell0('cs', C.checkoutStarted), 1, pos);
    }
    // One hash of the visitor for both visitor sketches (remembered: see `hashSlot`).
    // Every record still goes through `sketch` (it moves the item's last position).
    const visitor = hashSlot(c.anonymousId);
    const visitors = this.sketch('cs_sk', w, this.cell0('cs_sk', C.uniqueVisitors), 'hll', pos) as HyperLogLog;
    if (addedToVisitors[visitor] !== visitors) {
      visitors.addHash(hashHi[visitor]!, hashLo[visitor]!);
      addedToVisitors[visitor] = visitors;
    }
    const byCountry = this.sketch('cs_sk', w, this.cell1(this.visitorsByCountry, 'cs_sk', 'unique_visitors', 'country', c.country), 'hll', pos) as HyperLogLog;
    if (addedToCountry[visitor] !== byCountry) {
      byCountry.addHash(hashHi[visitor]!, hashLo[visitor]!);
      addedToCountry[visitor] = byCountry;
    }
    const session = hashSlot(c.sessionId);
    const sessions = this.sketch('cs_sk', w, this.cell0('cs_sk', C.sessions), 'hll', pos) as HyperLogLog;
    if (addedToSessions[session] !== sessions) {
      sessions.addHash(hashHi[session]!, hashLo[session]!);
      addedToSessions[session] = sessions;
    }
  }

  transaction(t: CleanTransaction, pos: string): void {
    if (t.status === 'pending') return;
    const w = minuteOf(t.occurredAtMs);
    if (t.type === 'purchase' && t.status === 'failed') {
      this.add('tx', w, this.cell0('tx', C.failedPayments), 1, pos);
      return;
    }
    if (t.status !== 'completed') return;
    if (t.type === 'purchase') {
      this.add('tx', w, this.cell0('tx', C.orders), 1, pos);
      this.add('tx', w, this.cell1(this.ordersByCurrency, 'tx', 'orders', 'currency', t.currency), 1, pos);
      this.add('tx', w, this.cell1(this.ordersByCountry, 'tx', 'orders', 'country', t.country), 1, pos);
      this.add('tx', w, this.cell1(this.ordersByPayment, 'tx', 'orders', 'payment_method', t.paymentMethod), 1, pos);
      this.add('tx', w, this.cell1(this.revenueByCurrency, 'tx', 'revenue', 'currency', t.currency), t.amountMinor, pos);
      this.add('tx', w, this.revenueCell(t.currency, t.country), t.amountMinor, pos);
      (this.sketch('tx_sk', w, this.cell1(this.orderValueByCurrency, 'tx_sk', 'order_value', 'currency', t.currency), 'ddsketch', pos) as DDSketch).add(t.amountMinor);
      for (const item of t.items) this.add('tx_sku', w, this.cell1(this.unitsBySku, 'tx_sku', 'units_sold', 'sku', item.sku), item.quantity, pos);
    } else {
      this.add('tx', w, this.cell1(this.refundsByCurrency, 'tx', 'refunds', 'currency', t.currency), 1, pos);
      this.add('tx', w, this.cell1(this.refundAmountByCurrency, 'tx', 'refund_amount', 'currency', t.currency), t.amountMinor, pos);
    }
  }

  private revenueCell(currency: string, country: string): CellRef {
    let byCountry = this.revenueByCurrencyCountry.get(currency);
    if (!byCountry) this.revenueByCurrencyCountry.set(currency, (byCountry = new Map()));
    let r = byCountry.get(country);
    if (!r) byCountry.set(country, (r = this.ref('tx', encodeCell('revenue', ['currency', 'country'], [currency, country]))));
    return r;
  }

  // The last record's arrival minute and `records` cell: most records of a batch share both.
  private lastArrivalMs = Number.NaN;
  private lastArrivalWindow = 0;
  private lastOutcome: string | null = null;
  private lastReason: string | null = null;
  private lastQualityRef: CellRef | null = null;

  quality(r: ClassifiedRecord, streamName: string): void {
    let ws = this.lastArrivalWindow;
    if (r.arrivalMs !== this.lastArrivalMs) {
      ws = this.lastArrivalWindow = minuteOf(r.arrivalMs);
      this.lastArrivalMs = r.arrivalMs;
    }
    let ref = this.lastQualityRef;
    if (ref === null || r.outcome !== this.lastOutcome || r.reason !== this.lastReason) {
      ref = this.lastQualityRef = this.qualityRef(streamName, r.outcome, r.reason);
      this.lastOutcome = r.outcome;
      this.lastReason = r.reason;
    }
    this.add('dq', ws, ref, 1, r.posKey);
    if (r.replaces) {
      // A replayed bad record moves from its old outcome to its new one: the four outcomes
      // still add up to the records written to the stream.
      this.add('dq', ws, this.qualityRef(streamName, r.replaces.outcome, r.replaces.reason), -1, r.posKey);
    }
  }

  private qualityRef(streamName: string, outcome: string, reason: string | null): CellRef {
    let byReason = this.qualityCells.get(outcome);
    if (!byReason) this.qualityCells.set(outcome, (byReason = new Map()));
    const why = reason ?? '-';
    let r = byReason.get(why);
    if (!r) byReason.set(why, (r = this.ref('dq', encodeCell('records', ['stream', 'outcome', 'reason'], [streamName, outcome, why]))));
    return r;
  }

  output(): AggregateOutput {
    const counters: CounterItemDelta[] = [];
    const sketches: SketchItemDelta[] = [];
    for (const w of this.windows.values()) {
      for (let k = 0; k < w.touched.length; k++) w.touchedItems[k]!.cells.set(w.touched[k]!.cell, w.values[k]!);
      for (const buckets of w.counters.values()) for (const item of buckets) if (item) counters.push(item);
      for (const s of w.sketches.values()) {
        const cells = new Map<string, { kind: SketchKind; bytes: Uint8Array }>();
        for (const [cell, sk] of s.cells) cells.set(cell, { kind: sk instanceof HyperLogLog ? 'hll' : 'ddsketch', bytes: sk.toBytes() });
        sketches.push({ group: s.group, windowStart: s.windowStart, cells, firstPos: s.firstPos, lastPos: s.lastPos });
      }
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
