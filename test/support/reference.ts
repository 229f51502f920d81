/**
 * The test oracle: the metrics of SPEC §4 computed once, by plain loops, over the
 * de-duplicated counted records. Independent of the aggregation code (no groups, buckets,
 * deltas, positions); shares only the per-record classification, which has tests of its own.
 */
import { classify } from '../../src/pipeline/classify.ts';
import { decodeBatch } from '../../src/decode/decode-batch.ts';
import { parseCidrList } from '../../src/filter/cidr.ts';
import { findMetric, minuteOf } from '../../src/metrics/catalog.ts';
import { planQuery, rollup, type QueryRequest, type QueryRow, type StoredCell } from '../../src/query/rollup.ts';
import { DDSketch, HyperLogLog } from '../../src/sketch/index.ts';
import type { ClassifiedRecord, CleanClick, CleanTransaction, KinesisRecordInput, StreamKind } from '../../src/types.ts';

export interface RefRecord {
  stream: StreamKind;
  streamName: string;
  shardId: string;
  kinesis: KinesisRecordInput;
}

export const REF_OPTIONS = {
  validate: { allowedLatenessMs: 7 * 86_400_000, futureToleranceMs: 300_000 },
  internalCidrs: parseCidrList(''),
  maxRecordBytes: 1_048_576,
  horizonsMs: { clickstream: 3_600_000, transactions: 86_400_000 },
};

/** Classifies every record once, in the given order, with exact de-duplication. */
export function classifyOnce(records: readonly RefRecord[]): (ClassifiedRecord & { streamName: string })[] {
  const firstSeen = new Map<string, number>();
  const out: (ClassifiedRecord & { streamName: string })[] = [];
  for (const r of records) {
    for (const d of decodeBatch([r.kinesis], r.shardId, { maxRecordBytes: REF_OPTIONS.maxRecordBytes })) {
      const c = classify(r.stream, d, { validate: REF_OPTIONS.validate, internalCidrs: REF_OPTIONS.internalCidrs });
      if (c.outcome === 'counted') {
        const key = `${r.stream}#${c.dedupeKey}`;
        const seen = firstSeen.get(key);
        if (seen !== undefined && c.arrivalMs - seen <= REF_OPTIONS.horizonsMs[r.stream]) {
          c.outcome = 'duplicate';
          c.reason = 'duplicate';
        } else firstSeen.set(key, c.arrivalMs);
      }
      out.push({ ...c, streamName: r.streamName });
    }
  }
  return out;
}

type Cells = Map<string, { windowStart: number; dims: Record<string, string>; value: number; hll?: HyperLogLog; dd?: DDSketch }>;

/** Exact per-minute cells of every metric and stored combination. */
export function referenceCells(classified: readonly (ClassifiedRecord & { streamName: string })[]): Map<string, Cells> {
  const byMetric = new Map<string, Cells>();
  const add = (metric: string, ws: number, dims: Record<string, string>, n: number) => {
    const combo = Object.keys(dims).join(',');
    const k = `${metric}|${combo}`;
    let cells = byMetric.get(k);
    if (!cells) byMetric.set(k, (cells = new Map()));
    const key = `${ws}|${JSON.stringify(dims)}`;
    const c = cells.get(key) ?? { windowStart: ws, dims, value: 0 };
    c.value += n;
    cells.set(key, c);
    return c;
  };
  const hll = (metric: string, ws: number, dims: Record<string, string>, v: string) => {
    const c = add(metric, ws, dims, 0);
    (c.hll ??= HyperLogLog.empty()).add(v);
  };
  for (const r of classified) {
    add('records', minuteOf(r.arrivalMs), { stream: r.streamName, outcome: r.outcome, reason: r.reason ?? '-' }, 1);
    if (r.outcome !== 'counted' || !r.clean) continue;
    const w = minuteOf(r.clean.occurredAtMs);
    if (r.clean.kind === 'clickstream') {
      const c: CleanClick = r.clean;
      add('events', w, { type: c.type }, 1);
      if (c.type === 'page_view') {
        add('page_views', w, {}, 1);
        add('page_views', w, { page: c.page }, 1);
        add('page_views', w, { country: c.country }, 1);
        add('page_views', w, { device: c.device }, 1);
      }
      if (c.type === 'add_to_cart') add('add_to_cart', w, {}, 1);
      if (c.type === 'checkout_started') add('checkout_started', w, {}, 1);
      hll('unique_visitors', w, {}, c.anonymousId);
      hll('unique_visitors', w, { country: c.country }, c.anonymousId);
      hll('sessions', w, {}, c.sessionId);
    } else {
      const t: CleanTransaction = r.clean;
      if (t.type === 'purchase' && t.status === 'failed') add('failed_payments', w, {}, 1);
      if (t.status !== 'completed') continue;
      if (t.type === 'purchase') {
        add('orders', w, {}, 1);
        add('orders', w, { currency: t.currency }, 1);
        add('orders', w, { country: t.country }, 1);
        add('orders', w, { payment_method: t.paymentMethod }, 1);
        add('revenue', w, { currency: t.currency }, t.amountMinor);
        add('revenue', w, { currency: t.currency, country: t.country }, t.amountMinor);
        const ov = add('order_value', w, { currency: t.currency }, 0);
        (ov.dd ??= DDSketch.empty()).add(t.amountMinor);
        for (const i of t.items) add('units_sold', w, { sku: i.sku }, i.quantity);
      } else {
        add('refunds', w, { currency: t.currency }, 1);
        add('refund_amount', w, { currency: t.currency }, t.amountMinor);
      }
    }
  }
  return byMetric;
}

/** Answers a query from the reference cells, through the same roll-up as the real query. */
export function referenceQuery(cells: Map<string, Cells>, req: QueryRequest): QueryRow[] {
  const plan = planQuery(req);
  const def = findMetric(req.metric)!;
  const stored = cells.get(`${def.name}|${plan.combo.join(',')}`) ?? new Map();
  const list: StoredCell[] = [...stored.values()].map((c) => ({
    windowStart: c.windowStart,
    dims: c.dims,
    value: c.value,
    ...(c.hll ? { sketch: c.hll.toBytes() } : {}),
    ...(c.dd ? { sketch: c.dd.toBytes() } : {}),
  }));
  return rollup(plan, req, list);
}
