/**
 * Random scenarios for exactly-once tests: records for several shards of both streams,
 * with producer duplicates (also across shards), bad records, filtered records, late
 * events and KPL aggregates; and a simulated event-source runner that replays, bisects and
 * retries from partial failures the way Lambda does.
 */
import { aggregate as kplAggregate } from '../../src/decode/kpl.ts';
import { recomputeCounter, recomputeSketch } from '../../src/metrics/aggregate.ts';
import { emit, type Sinks } from '../../src/pipeline/emit.ts';
import { processBatch } from '../../src/pipeline/process-batch.ts';
import { parsePositionKey } from '../../src/position.ts';
import type { BatchSource, DedupeStore, KinesisRecordInput, StreamKind } from '../../src/types.ts';
import { REF_OPTIONS, type RefRecord } from './reference.ts';

/** A small, seeded PRNG (mulberry32): scenarios must be reproducible from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
];
const TYPES = ['page_view', 'page_view', 'page_view', 'click', 'add_to_cart', 'checkout_started', 'search'] as const;
const CURRENCIES = [
  ['USD', 2],
  ['EUR', 2],
  ['JPY', 0],
  ['BHD', 3],
] as const;

export interface ScenarioOptions {
  seed: number;
  records: number;
  shards: number;
  startMs: number;
  /** share of records that are producer duplicates (default 0.08) */
  duplicates?: number;
  /**
   * prefix of every event and transaction id, and sequence numbers to start above: a later
   * scenario on the same shards (a soak round) neither reuses an id nor goes back in a shard
   */
  continueFrom?: { idPrefix: string; sequenceAbove: bigint };
}

/** Builds a scenario's records in arrival order (per shard: sequence numbers increase). */
export function buildScenario(o: ScenarioOptions): RefRecord[] {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const out: RefRecord[] = [];
  const seqs = new Map<string, bigint>();
  const dup = o.duplicates ?? 0.08;
  const id = o.continueFrom?.idPrefix ?? '';
  const seqBase = o.continueFrom?.sequenceAbove ?? 49_000_000_000_000_000_000n;
  const sent: { stream: StreamKind; json: string }[] = [];
  let arrival = o.startMs;
  const nextSeq = (shard: string) => {
    const s = (seqs.get(shard) ?? seqBase) + BigInt(1 + Math.floor(r() * 1000));
    seqs.set(shard, s);
    return s.toString();
  };
  for (let i = 0; i < o.records; i++) {
    arrival += Math.floor(r() * 400);
    const stream: StreamKind = r() < 0.7 ? 'clickstream' : 'transactions';
    const shardId = `shardId-${String(Math.floor(r() * o.shards)).padStart(12, '0')}`;
    let json: string;
    const roll = r();
    if (roll < dup && sent.length > 0) {
      // A producer duplicate: the same JSON again, maybe on another shard.
      const prev = pick(sent.filter((s) => s.stream === stream).concat(sent).slice(0, 50));
      if (prev.stream !== stream) continue;
      json = prev.json;
    } else if (roll < dup + 0.05) {
      json = pick(['{"eventId":', 'not json', '{"eventId":"x"}', '[]', '{"transactionId":"t","type":"purchase","status":"completed","occurredAt":0,"customerId":"c","amount":"1.005","currency":"USD"}']);
    } else {
      const late = r() < 0.05 ? 3_600_000 * (1 + Math.floor(r() * 30)) : 0;
      const occurredAt = arrival - Math.floor(r() * 120_000) - late;
      if (stream === 'clickstream') {
        const type = pick(TYPES);
        const ev: Record<string, unknown> = {
          eventId: `${id}e${Math.floor(r() * 1e9)}`,
          type,
          occurredAt: r() < 0.5 ? new Date(occurredAt).toISOString() : occurredAt,
          sessionId: `s${Math.floor(r() * 40)}`,
          anonymousId: `a${Math.floor(r() * 25)}`,
          page: { url: `https://Shop.example.com/p/${Math.floor(r() * 30)}${r() < 0.2 ? '/?utm_source=x#f' : ''}`, ...(r() < 0.3 ? { referrer: 'https://google.com/' } : {}) },
          userAgent: pick(UAS),
          ...(r() < 0.8 ? { country: pick(['us', 'DE', ' fr ', 'XX', 'JP']) } : {}),
          ...(r() < 0.05 ? { test: true } : {}),
        };
        if (type === 'add_to_cart') ev.product = { sku: `sku-${Math.floor(r() * 5)}`, quantity: 1 + Math.floor(r() * 3), price: '9.99', currency: 'USD' };
        if (type === 'search') ev.search = { query: 'shoes' };
        json = JSON.stringify(ev);
      } else {
        const [cur, digits] = pick(CURRENCIES);
        const minor = Math.floor(r() * 100_000);
        const amount = digits === 0 ? String(minor) : `${Math.floor(minor / 10 ** digits)}.${String(minor % 10 ** digits).padStart(digits, '0')}`;
        json = JSON.stringify({
          // Unique per transaction: ids shared by different content would make "which copy
          // counts" depend on the cross-shard interleaving. Producer duplicates below are
          // exact copies, as producer retries are.
          transactionId: `${id}t${i}`,
          type: r() < 0.85 ? 'purchase' : 'refund',
          status: pick(['completed', 'completed', 'completed', 'pending', 'failed']),
          occurredAt,
          customerId: `c${Math.floor(r() * 50)}`,
          amount: r() < 0.5 ? amount : Number(amount),
          currency: r() < 0.2 ? cur.toLowerCase() : cur,
          paymentMethod: pick(['card', 'paypal', 'wallet']),
          items: [{ sku: `sku-${Math.floor(r() * 5)}`, quantity: 1 + Math.floor(r() * 3) }],
          ...(r() < 0.5 ? { country: pick(['US', 'de', 'FR']) } : {}),
        });
      }
      sent.push({ stream, json });
    }
    // Some records arrive as KPL aggregates of several user records.
    let data: string;
    if (r() < 0.1) {
      const n = 1 + Math.floor(r() * 3);
      const users = [json];
      for (let k = 1; k < n; k++) users.push(JSON.stringify({ eventId: `${id}k${Math.floor(r() * 1e9)}`, type: 'page_view', occurredAt: arrival - 1000, sessionId: 's1', anonymousId: 'a1', page: { url: 'https://shop.example.com/kpl' } }));
      if (stream === 'transactions') users.length = 1;
      data = Buffer.from(kplAggregate(users.map((u) => ({ partitionKey: 'pk', data: u })))).toString('base64');
    } else data = Buffer.from(json).toString('base64');
    out.push({
      stream,
      streamName: stream,
      shardId,
      kinesis: { data, sequenceNumber: nextSeq(`${stream}/${shardId}`), partitionKey: 'pk', approximateArrivalTimestamp: arrival / 1000 },
    });
  }
  return out;
}

export interface RunFaults {
  /** probability of a crash between emit steps */
  crash: number;
  random: () => number;
  maxBatch: number;
}

/**
 * Runs every shard's records through processBatch + emit like the event source mapping:
 * random batch sizes, retry from `batchItemFailures`, whole-batch retry with bisection on a
 * crash. Shards are interleaved batch by batch.
 */
export async function runLikeLambda(records: readonly RefRecord[], sinks: Sinks, stores: Record<StreamKind, DedupeStore>, faults: RunFaults): Promise<{ invocations: number }> {
  const byShard = new Map<string, RefRecord[]>();
  for (const r of records) {
    const k = `${r.stream}/${r.shardId}`;
    byShard.set(k, [...(byShard.get(k) ?? []), r]);
  }
  const cursors = new Map([...byShard.keys()].map((k) => [k, 0]));
  let invocations = 0;
  const invoke = async (batch: RefRecord[]): Promise<{ failedSeq: string | null; crashed: boolean }> => {
    invocations++;
    const first = batch[0]!;
    const source: BatchSource = { stream: first.stream, streamName: first.streamName, shardId: first.shardId };
    const input: KinesisRecordInput[] = batch.map((b) => b.kinesis);
    try {
      const result = await processBatch(input, source, { validate: REF_OPTIONS.validate, internalCidrs: REF_OPTIONS.internalCidrs, maxRecordBytes: REF_OPTIONS.maxRecordBytes, dedupeStore: stores[first.stream] });
      const out = await emit(
        result,
        sinks,
        { counter: (d, a) => recomputeCounter(result.records, source, d, a), sketch: (d, a) => recomputeSketch(result.records, source, d, a) },
        {
          between: () => {
            if (faults.random() < faults.crash) throw new Error('crash');
          },
        },
      );
      return { failedSeq: out.failedFrom ? parsePositionKey(out.failedFrom).sequenceNumber : null, crashed: false };
    } catch {
      return { failedSeq: null, crashed: true };
    }
  };
  // Bisect like Lambda: a failed batch is split in halves, each retried on its own.
  const runBatch = async (batch: RefRecord[], depth = 0): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const { failedSeq, crashed } = await invoke(batch);
      if (!crashed && failedSeq === null) return;
      if (!crashed) {
        const idx = batch.findIndex((b) => b.kinesis.sequenceNumber === failedSeq);
        batch = batch.slice(Math.max(0, idx));
        continue;
      }
      if (batch.length > 1 && depth < 6 && attempt === 0) {
        const mid = Math.ceil(batch.length / 2);
        await runBatch(batch.slice(0, mid), depth + 1);
        await runBatch(batch.slice(mid), depth + 1);
        return;
      }
    }
  };
  for (let active = true; active; ) {
    active = false;
    for (const [k, list] of byShard) {
      const at = cursors.get(k)!;
      if (at >= list.length) continue;
      active = true;
      const size = 1 + Math.floor(faults.random() * faults.maxBatch);
      await runBatch(list.slice(at, at + size));
      cursors.set(k, at + size);
    }
  }
  return { invocations };
}
