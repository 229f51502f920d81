import { GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { SinkError } from '../../../src/errors.ts';
import { createSinks } from '../../../src/sinks/create-sinks.ts';
import { positionKey } from '../../../src/position.ts';
import { DDSketch, HyperLogLog, mergeSketchBytes } from '../../../src/sketch/index.ts';
import { DynamoMetricStore, type AppliedCounters } from '../../../src/sinks/dynamodb/metric-store.ts';
import { ensureTables } from '../../../src/sinks/dynamodb/tables.ts';
import type { CounterItemDelta, SketchItemDelta, SketchKind } from '../../../src/types.ts';
import { BACKENDS, injectThrottling, tableNames, useBackend } from './backends.ts';

// ---------------------------------------------------------------------------------------
// A tiny model of what the pipeline hands the store: records at positions, each adding to
// counter cells of items (group, bucket, window) and to sketch cells. Deltas and
// `recompute` are derived from it the way the aggregation step derives them.
// ---------------------------------------------------------------------------------------

interface Contribution {
  group: string;
  bucket: number;
  ws: number;
  cell: string;
  n: number;
}
interface SketchContribution {
  group: string;
  ws: number;
  cell: string;
  kind: SketchKind;
  value: string | number;
}
interface Rec {
  pos: string;
  counters: Contribution[];
  sketches: SketchContribution[];
}

/** 23:58 UTC: the windows of the tests straddle a day boundary (two partitions). */
// 23:58 UTC two days ago: windows cross midnight, and the items' TTL (window + 35 days) is
// in the future — DynamoDB Local deletes expired items (expired less than five years ago)
// at moments of its own choosing.
const TODAY = new Date();
const T0 = Date.UTC(TODAY.getUTCFullYear(), TODAY.getUTCMonth(), TODAY.getUTCDate() - 2, 23, 58);
const T0_DAY = new Date(T0).toISOString().slice(0, 10);
const MIN = 60_000;

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function makeRecords(count: number, seed: number, seqBase = 1000): Rec[] {
  const rnd = prng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const recs: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const ws = T0 + Math.floor(rnd() * 4) * MIN;
    const counters: Contribution[] = [
      { group: 'events', bucket: 0, ws, cell: `events|type=${pick(['click', 'page_view', 'search'])}`, n: 1 },
      { group: 'pages', bucket: Math.floor(rnd() * 3), ws, cell: `page_views|page=shop.example.com/${pick(['a', 'b', 'c', 'd', 'e'])}`, n: 1 },
    ];
    if (rnd() < 0.4) counters.push({ group: 'revenue', bucket: 0, ws, cell: `revenue|currency=${pick(['USD', 'EUR'])}`, n: 1 + Math.floor(rnd() * 100_000) });
    const sketches: SketchContribution[] = [
      { group: 'visitors', ws, cell: 'unique_visitors', kind: 'hll', value: `anon-${Math.floor(rnd() * 50)}` },
      { group: 'order_value', ws, cell: 'order_value|currency=USD', kind: 'ddsketch', value: 1 + Math.floor(rnd() * 50_000) },
    ];
    recs.push({ pos: positionKey(String(seqBase + i * 7)), counters, sketches });
  }
  return recs;
}

const itemId = (group: string, bucket: number, ws: number) => `${group}|${bucket}|${ws}`;

function counterDeltas(recs: readonly Rec[]): CounterItemDelta[] {
  const byItem = new Map<string, CounterItemDelta>();
  for (const r of recs) {
    for (const c of r.counters) {
      const id = itemId(c.group, c.bucket, c.ws);
      let d = byItem.get(id);
      if (!d) {
        d = { group: c.group, bucket: c.bucket, windowStart: c.ws, cells: new Map(), firstPos: r.pos, lastPos: r.pos };
        byItem.set(id, d);
      }
      d.cells.set(c.cell, (d.cells.get(c.cell) ?? 0) + c.n);
      if (r.pos < d.firstPos) d.firstPos = r.pos;
      if (r.pos > d.lastPos) d.lastPos = r.pos;
    }
  }
  return [...byItem.values()];
}

function recomputeCounters(recs: readonly Rec[]) {
  return (delta: CounterItemDelta, after: string): CounterItemDelta | null =>
    counterDeltas(recs.filter((r) => r.pos > after)).find((d) => d.group === delta.group && d.bucket === delta.bucket && d.windowStart === delta.windowStart) ?? null;
}

function buildSketch(kind: SketchKind, values: (string | number)[]): Uint8Array {
  if (kind === 'hll') {
    const h = HyperLogLog.empty();
    for (const v of values) h.add(String(v));
    return h.toBytes();
  }
  const s = DDSketch.empty();
  for (const v of values) s.add(Number(v));
  return s.toBytes();
}

function sketchDeltas(recs: readonly Rec[]): SketchItemDelta[] {
  const byItem = new Map<string, { group: string; ws: number; cells: Map<string, { kind: SketchKind; values: (string | number)[] }>; firstPos: string; lastPos: string }>();
  for (const r of recs) {
    for (const s of r.sketches) {
      const id = `${s.group}|${s.ws}`;
      let d = byItem.get(id);
      if (!d) {
        d = { group: s.group, ws: s.ws, cells: new Map(), firstPos: r.pos, lastPos: r.pos };
        byItem.set(id, d);
      }
      const cell = d.cells.get(s.cell) ?? { kind: s.kind, values: [] };
      cell.values.push(s.value);
      d.cells.set(s.cell, cell);
      if (r.pos < d.firstPos) d.firstPos = r.pos;
      if (r.pos > d.lastPos) d.lastPos = r.pos;
    }
  }
  return [...byItem.values()].map((d) => ({
    group: d.group,
    windowStart: d.ws,
    cells: new Map([...d.cells].map(([cell, { kind, values }]) => [cell, { kind, bytes: buildSketch(kind, values) }])),
    firstPos: d.firstPos,
    lastPos: d.lastPos,
  }));
}

function recomputeSketches(recs: readonly Rec[]) {
  return (delta: SketchItemDelta, after: string): SketchItemDelta | null =>
    sketchDeltas(recs.filter((r) => r.pos > after)).find((d) => d.group === delta.group && d.windowStart === delta.windowStart) ?? null;
}

/** The expected counter cells, computed once over the unique records of all shards. */
function expectedCounters(...shards: Rec[][]): Map<string, number> {
  const out = new Map<string, number>();
  for (const recs of shards) {
    for (const r of recs) {
      for (const c of r.counters) {
        const k = `${itemId(c.group, c.bucket, c.ws)}|${c.cell}`;
        out.set(k, (out.get(k) ?? 0) + c.n);
      }
    }
  }
  return out;
}

const GROUPS = ['events', 'pages', 'revenue'];

async function storedCounters(store: DynamoMetricStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const group of GROUPS) {
    for await (const item of store.readCounters(group, T0 - 10 * MIN, T0 + 10 * MIN)) {
      for (const [cell, v] of item.cells) out.set(`${itemId(group, item.bucket, item.windowStart)}|${cell}`, v);
    }
  }
  return out;
}

function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Sketch partials as stored, keyed `group|ws|shard|cell` → base64. */
async function storedSketches(store: DynamoMetricStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const group of ['visitors', 'order_value']) {
    for await (const p of store.readSketches(group, T0 - 10 * MIN, T0 + 10 * MIN)) {
      for (const [cell, b] of p.cells) out.set(`${group}|${p.windowStart}|${p.shardId}|${cell}`, Buffer.from(b).toString('base64'));
    }
  }
  return out;
}

/** The same sketches built once from the unique records of one shard. */
function expectedSketches(shard: string, recs: Rec[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of sketchDeltas(recs)) {
    for (const [cell, { bytes }] of d.cells) out.set(`${d.group}|${d.windowStart}|${shard}|${cell}`, Buffer.from(bytes).toString('base64'));
  }
  return out;
}

const noSleep = { attempts: 30, baseMs: 0, capMs: 0, sleep: async () => {} };

/**
 * A Lambda-like consumer of one shard: batches from a checkpoint; a failed batch is
 * retried whole, bisected, or retried from the failed position; some invocations crash
 * after writing only some items; committed batches are sometimes delivered again.
 */
async function consumeShard(store: DynamoMetricStore, shard: string, recs: Rec[], rnd: () => number, withSketches: boolean): Promise<void> {
  let checkpoint = 0;
  let guard = 0;
  const process = async (batch: Rec[]): Promise<string | null> => {
    if (guard++ > 500) throw new Error('consumer does not make progress');
    let deltas = counterDeltas(batch);
    let sketches = withSketches ? sketchDeltas(batch) : [];
    const crash = rnd() < 0.25;
    if (crash) {
      // The function dies after some of the item writes landed.
      deltas = deltas.filter(() => rnd() < 0.5);
      sketches = sketches.filter(() => rnd() < 0.5);
    }
    const c = await store.applyCounters(shard, deltas, recomputeCounters(batch));
    const s = await store.applySketches(shard, sketches, recomputeSketches(batch));
    const failed = [...c.failed.map((f) => f.delta.firstPos), ...s.failed.map((f) => f.delta.firstPos)].sort();
    if (crash) return batch[0]!.pos;
    return failed[0] ?? null;
  };
  /** Processes `batch` until it commits (true) or reports a partial failure (false: the checkpoint moved). */
  const run = async (batch: Rec[]): Promise<boolean> => {
    for (;;) {
      const failedAt = await process(batch);
      if (failedAt === null) {
        if (rnd() < 0.3) await process(batch); // the commit was lost: the same batch again
        checkpoint = recs.indexOf(batch[batch.length - 1]!) + 1;
        return true;
      }
      const choice = rnd();
      if (choice < 0.35 && batch.length > 1) {
        // Bisect: the halves in order; the second only once the first has committed.
        const mid = Math.ceil(batch.length / 2);
        return (await run(batch.slice(0, mid))) && (await run(batch.slice(mid)));
      }
      if (choice < 0.7) {
        // Partial failure reported: checkpoint before the failed record, new batch from there.
        checkpoint = recs.findIndex((r) => r.pos >= failedAt);
        return false;
      }
      // Otherwise: retry the same batch.
    }
  };
  while (checkpoint < recs.length) {
    const size = 1 + Math.floor(rnd() * 25);
    await run(recs.slice(checkpoint, checkpoint + size));
  }
}

describe.each(BACKENDS)('DynamoMetricStore on %s', (backendName) => {
  const env = useBackend(backendName);

  async function freshStore(c: DynamoDBClient = env.client, options: ConstructorParameters<typeof DynamoMetricStore>[2] = {}) {
    const names = tableNames('metrics');
    await ensureTables(env.client, names);
    return new DynamoMetricStore(c, names.metrics, { retry: noSleep, ...options });
  }

  it('applies a batch once, and a replay of the committed batch changes nothing', async () => {
    // Prepare
    const store = await freshStore();
    const recs = makeRecords(40, 1);
    const deltas = counterDeltas(recs);

    // Act
    const first = await store.applyCounters('s1', deltas, recomputeCounters(recs));
    const statsAfterFirst = { ...store.stats };
    const replay = await store.applyCounters('s1', counterDeltas(recs), recomputeCounters(recs));

    // Assert
    expect(first.failed).toEqual([]);
    expect(replay.failed).toEqual([]);
    expect(sorted(await storedCounters(store))).toEqual(sorted(expectedCounters(recs)));
    const byItem = (xs: AppliedCounters[]) => new Map(xs.map((a) => [itemId(a.delta.group, a.delta.bucket, a.delta.windowStart), { v: a.version, values: sorted(a.values) }]));
    // The replay reports the same absolute values and versions (for the Redshift mirror).
    expect(byItem(replay.applied)).toEqual(byItem(first.applied));
    expect(statsAfterFirst).toMatchObject({ requests: deltas.length, conditionalFailures: 0 });
    expect(store.stats.conditionalFailures).toBe(deltas.length);
    expect(store.stats.requests).toBe(2 * deltas.length);
  });

  it('applies bisected retries (halves after the whole) and a crash after half the items exactly once', async () => {
    // Prepare
    const store = await freshStore();
    const recs = makeRecords(40, 2);
    const deltas = counterDeltas(recs);

    // Act: a crash after half of the items, then the bisect halves, then the whole again
    await store.applyCounters('s1', deltas.filter((_, i) => i % 2 === 0), recomputeCounters(recs));
    for (const half of [recs.slice(0, 20), recs.slice(20)]) await store.applyCounters('s1', counterDeltas(half), recomputeCounters(half));
    const again = await store.applyCounters('s1', counterDeltas(recs), recomputeCounters(recs));

    // Assert
    expect(again.failed).toEqual([]);
    expect(sorted(await storedCounters(store))).toEqual(sorted(expectedCounters(recs)));
  });

  it('retries from a failed position: items that succeeded are skipped up to their mark, the rest applied', async () => {
    // Prepare: every write to the `revenue` items fails with a 500 until switched off
    const faulty = env.backend.client();
    let failRevenue = true;
    faulty.middlewareStack.add(
      (next) => async (args) => {
        const input = (args as { input: { Key?: { pk?: { S?: string } }; UpdateExpression?: string } }).input;
        if (failRevenue && input.UpdateExpression && input.Key?.pk?.S?.startsWith('C#revenue#')) {
          throw Object.assign(new Error('injected internal error'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const store = await freshStore(faulty, { retry: { ...noSleep, attempts: 3 } });
    const recs = makeRecords(60, 3);
    const batch = recs.slice(0, 40);

    // Act
    const first = await store.applyCounters('s1', counterDeltas(batch), recomputeCounters(batch));
    const failedAt = first.failed.map((f) => f.delta.firstPos).sort()[0]!;
    failRevenue = false;
    // Lambda re-reads from the failed record on; the new batch also reaches past the old one.
    const retry = recs.filter((r) => r.pos >= failedAt);
    const second = await store.applyCounters('s1', counterDeltas(retry), recomputeCounters(retry));

    // Assert
    expect(first.failed.length).toBeGreaterThan(0);
    expect(first.failed.every((f) => f.delta.group === 'revenue' && f.error instanceof SinkError)).toBe(true);
    expect(second.failed).toEqual([]);
    expect(sorted(await storedCounters(store))).toEqual(sorted(expectedCounters(recs)));
    faulty.destroy();
  });

  it('survives a throttling storm (before and after the write lands) with every record applied once', async () => {
    // Prepare: 40% of calls throttled, half of them after DynamoDB applied the write
    const stormy = env.backend.client();
    const storm = injectThrottling(stormy, { rate: 0.4, where: 'both', random: prng(42) });
    const store = await freshStore(stormy);
    const recs = makeRecords(60, 4);

    // Act: two batches, each delivered twice
    for (const batch of [recs.slice(0, 30), recs.slice(30)]) {
      for (let i = 0; i < 2; i++) {
        const out = await store.applyCounters('s1', counterDeltas(batch), recomputeCounters(batch));
        expect(out.failed).toEqual([]);
      }
    }

    // Assert
    expect(storm.injected).toBeGreaterThan(20);
    expect(sorted(await storedCounters(store))).toEqual(sorted(expectedCounters(recs)));
    stormy.destroy();
  });

  it('lets concurrent shards (and a zombie invocation of one shard) write the same items', async () => {
    // Prepare
    const store = await freshStore();
    const a = makeRecords(40, 5);
    const b = makeRecords(40, 6);

    // Act: shards a and b at once; shard a's batch also by a zombie, at the same time
    await Promise.all([
      store.applyCounters('shard-a', counterDeltas(a), recomputeCounters(a)),
      store.applyCounters('shard-b', counterDeltas(b), recomputeCounters(b)),
      store.applyCounters('shard-a', counterDeltas(a), recomputeCounters(a)),
    ]);

    // Assert
    expect(sorted(await storedCounters(store))).toEqual(sorted(expectedCounters(a, b)));
  });

  it('returns absolute values and version from one snapshot when only part of a batch is left', async () => {
    // Prepare: records 0..9 applied, then the batch 0..19 (the rest: 10..19)
    const store = await freshStore();
    const recs = makeRecords(20, 7).map((r) => ({ ...r, counters: r.counters.filter((c) => c.group === 'events') }));
    await store.applyCounters('s1', counterDeltas(recs.slice(0, 10)), recomputeCounters(recs.slice(0, 10)));

    // Act
    const out = await store.applyCounters('s1', counterDeltas(recs), recomputeCounters(recs));

    // Assert: every cell of the delta is reported at the item's new version, equal to what is stored
    const stored = await storedCounters(store);
    for (const a of out.applied) {
      for (const [cell, value] of a.values) expect(value).toBe(stored.get(`${itemId(a.delta.group, a.delta.bucket, a.delta.windowStart)}|${cell}`));
      expect(a.values.size).toBe(a.delta.cells.size);
    }
    expect(Math.max(...out.applied.map((a) => a.version))).toBe(2);
  });

  it('reports an update too large for one expression or item as a SinkError that says the batch will be bisected', async () => {
    // Prepare
    const store = await freshStore();
    const many = new Map(Array.from({ length: 600 }, (_, i) => [`page_views|page=shop.example.com/p${i}`, 1]));
    const long = new Map(Array.from({ length: 250 }, (_, i) => [`page_views|page=${'x'.repeat(2000)}${i}`, 1]));
    const ok = new Map([['events|type=click', 3]]);
    const pos = positionKey('5');
    const delta = (cells: Map<string, number>, bucket: number): CounterItemDelta => ({ group: 'pages', bucket, windowStart: T0, cells, firstPos: pos, lastPos: pos });

    // Act
    const out = await store.applyCounters('s1', [delta(many, 0), delta(long, 1), delta(ok, 2)], () => null);

    // Assert: the two big ones failed with the message, the small one went through
    expect(out.applied.map((a) => a.delta.bucket)).toEqual([2]);
    expect(out.failed).toHaveLength(2);
    for (const f of out.failed) {
      expect(f.error).toBeInstanceOf(SinkError);
      expect((f.error as SinkError).message).toMatch(/will be bisected/);
      expect((f.error as SinkError).firstPosKey).toBe(pos);
    }
  });

  it('reads counter windows with fromMs <= ws < toMs across the day boundary', async () => {
    // Prepare
    const store = await freshStore();
    const pos = positionKey('9');
    const deltas: CounterItemDelta[] = [0, 1, 2, 3].map((m) => ({ group: 'events', bucket: 0, windowStart: T0 + m * MIN, cells: new Map([['events|type=click', m + 1]]), firstPos: pos, lastPos: pos }));
    await store.applyCounters('s1', deltas, () => null);
    const windows = async (from: number, to: number) => {
      const out: number[] = [];
      for await (const item of store.readCounters('events', from, to)) out.push((item.windowStart - T0) / MIN);
      return out.sort();
    };

    // Act / Assert
    expect(await windows(T0, T0 + 4 * MIN)).toEqual([0, 1, 2, 3]);
    expect(await windows(T0 + MIN, T0 + 3 * MIN)).toEqual([1, 2]); // crosses midnight (23:59 → 00:00)
    expect(await windows(T0 + 1, T0 + 2 * MIN + 1)).toEqual([1, 2]); // unaligned ends
    expect(await windows(T0 + 2 * MIN, T0 + 2 * MIN)).toEqual([]);
  });

  it('applies sketch partials exactly once: partial + replay equals the sketch built once, byte for byte', async () => {
    // Prepare
    const store = await freshStore();
    const recs = makeRecords(40, 8);

    // Act: a crash after half the items of the first 25 records, the first 25, then all 40 twice
    const head = recs.slice(0, 25);
    await store.applySketches('s1', sketchDeltas(head).filter((_, i) => i % 2 === 0), recomputeSketches(head));
    await store.applySketches('s1', sketchDeltas(head), recomputeSketches(head));
    const whole = await store.applySketches('s1', sketchDeltas(recs), recomputeSketches(recs));
    const replay = await store.applySketches('s1', sketchDeltas(recs), recomputeSketches(recs));

    // Assert
    expect(whole.failed).toEqual([]);
    expect(replay.failed).toEqual([]);
    expect(await storedSketches(store)).toEqual(expectedSketches('s1', recs));
    // The replay reports the stored partials at the stored version.
    for (const a of replay.applied) {
      const w = whole.applied.find((x) => x.delta.group === a.delta.group && x.delta.windowStart === a.delta.windowStart)!;
      expect(a.version).toBe(w.version);
      expect([...a.values].map(([c, b]) => [c, Buffer.from(b).toString('base64')])).toEqual([...w.values].map(([c, b]) => [c, Buffer.from(b).toString('base64')]));
    }
  });

  it('keeps sketch partials per shard; merging them on read equals one sketch over all records', async () => {
    // Prepare
    const stormy = env.backend.client();
    injectThrottling(stormy, { rate: 0.3, where: 'both', random: prng(7) });
    const store = await freshStore(stormy);
    const a = makeRecords(30, 9);
    const b = makeRecords(30, 10);

    // Act
    await Promise.all([
      store.applySketches('shard-a', sketchDeltas(a), recomputeSketches(a)),
      store.applySketches('shard-b', sketchDeltas(b), recomputeSketches(b)),
      store.applySketches('shard-a', sketchDeltas(a), recomputeSketches(a)),
    ]);

    // Assert
    const merged = new Map<string, Uint8Array>();
    for await (const p of store.readSketches('order_value', T0 - MIN, T0 + 10 * MIN)) {
      const cell = p.cells.get('order_value|currency=USD')!;
      merged.set(String(p.windowStart), mergeSketchBytes('ddsketch', merged.get(String(p.windowStart)), cell));
    }
    const once = new Map(sketchDeltas([...a, ...b].sort((x, y) => (x.pos < y.pos ? -1 : 1))).filter((d) => d.group === 'order_value').map((d) => [String(d.windowStart), d.cells.get('order_value|currency=USD')!.bytes]));
    expect([...merged.keys()].sort()).toEqual([...once.keys()].sort());
    for (const [ws, bytes] of once) expect(Buffer.from(merged.get(ws)!).equals(Buffer.from(bytes))).toBe(true);
    stormy.destroy();
  });

  it('property: random batching, crashes, bisects, partial retries, redeliveries and throttling on two shards apply every record once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), async (seed) => {
        // Prepare
        const stormy = env.backend.client();
        injectThrottling(stormy, { rate: 0.15, where: 'both', random: prng(seed + 1) });
        const store = await freshStore(stormy, { retry: { ...noSleep, attempts: 4 } });
        const a = makeRecords(50, seed);
        const b = makeRecords(50, seed + 2);

        // Act
        await Promise.all([consumeShard(store, 'shard-a', a, prng(seed + 3), true), consumeShard(store, 'shard-b', b, prng(seed + 4), true)]);

        // Assert: read through an unthrottled client. The storm is for the writers: with 4
        // attempts a read gives up about once in 2,000 queries, which is not what this checks.
        const reader = new DynamoMetricStore(env.client, (store as unknown as { tableName: string }).tableName, { retry: noSleep });
        expect(sorted(await storedCounters(reader))).toEqual(sorted(expectedCounters(a, b)));
        expect(await storedSketches(reader)).toEqual(new Map([...expectedSketches('shard-a', a), ...expectedSketches('shard-b', b)]));
        stormy.destroy();
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 3) },
    );
  });

  it('records requests and write units, and stores the documented item layout', async () => {
    // Prepare
    const store = await freshStore();
    const recs = makeRecords(100, 11);
    const deltas = counterDeltas(recs);

    // Act
    await store.applyCounters('clickstream/shardId-000000000000', deltas, recomputeCounters(recs));
    await store.applySketches('clickstream/shardId-000000000000', sketchDeltas(recs), recomputeSketches(recs));
    const item = await env.client.send(new GetItemCommand({ TableName: (store as unknown as { tableName: string }).tableName, Key: { pk: { S: `C#events#${T0_DAY}` }, sk: { S: `${T0_DAY}T23:58#00` } } }));

    // Assert
    expect(store.stats.requests).toBe(deltas.length + sketchDeltas(recs).length);
    expect(store.stats.wcu).toBeGreaterThanOrEqual(store.stats.requests);
    console.log(`[${backendName}] 100 records → ${deltas.length} counter + ${sketchDeltas(recs).length} sketch items: ${store.stats.requests} write requests, ${store.stats.wcu} WCU`);
    expect(Object.keys(item.Item ?? {}).sort()).toEqual(expect.arrayContaining(['pk', 'sk', 'ws', 'ver', 'ttl', 'hw|clickstream/shardId-000000000000']));
    expect(item.Item?.ttl?.N).toBe(String(T0 / 1000 + 35 * 86_400));
    expect(Object.keys(item.Item ?? {}).some((k) => k.startsWith('c|events|type='))).toBe(true);
  });
  it('METRIC_TTL_DAYS reaches the ttl of every minute item: environment → loadConfig → createSinks → DynamoDB', async () => {
    // Prepare: a worker's environment with a 3-day TTL (not the 35-day default); the SDK
    // reads the endpoint from AWS_ENDPOINT_URL_DYNAMODB, as in a deployed worker
    const names = tableNames('ttl');
    await ensureTables(env.client, names);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', env.backend.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
    const config = loadConfig({ METRIC_TTL_DAYS: '3', METRICS_TABLE: names.metrics, DEDUPE_TABLE: names.dedupe, BAD_RECORDS_TABLE: names.badRecords });
    const recs = makeRecords(40, 17);
    const worker = createSinks(config, 'clickstream');

    try {
      // Act: counter items (UpdateItem) and sketch items (PutItem) take different paths
      await worker.metricStore.applyCounters('clickstream/shardId-000000000000', counterDeltas(recs), recomputeCounters(recs));
      await worker.metricStore.applySketches('clickstream/shardId-000000000000', sketchDeltas(recs), recomputeSketches(recs));
      const items = (await env.client.send(new ScanCommand({ TableName: names.metrics }))).Items ?? [];

      // Assert: window start (s) + 3 days, on every item of both kinds
      expect(config.metricTtlDays).toBe(3);
      expect(items.filter((i) => i.pk?.S?.startsWith('C#')).length).toBe(counterDeltas(recs).length);
      expect(items.filter((i) => i.pk?.S?.startsWith('S#')).length).toBe(sketchDeltas(recs).length);
      for (const item of items) expect([item.pk?.S, item.ttl?.N]).toEqual([item.pk?.S, String(Number(item.ws?.N) / 1000 + 3 * 86_400)]);
    } finally {
      for (const c of Object.values(worker.clients)) c.destroy();
      vi.unstubAllEnvs();
    }
  });
});
