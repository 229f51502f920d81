import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClickstreamGenerator, createTransactionGenerator, type GeneratedRecord, type GeneratorOptions } from '../../src/generate/index.ts';
import { Rng, Weighted, Zipf } from '../../src/generate/random.ts';

const START = Date.parse('2026-03-01T12:00:00Z');
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
// SPEC §2's bot rule, written independently of src/filter
const BOT = /bot\b|bot\/|crawl|spider|slurp|headless|phantomjs|puppeteer|playwright|wget\/|python-requests|python-urllib|aiohttp|go-http-client|okhttp|axios\/|node-fetch|libwww-perl|httpclient|^curl\/|^java\//i;
const DIGITS: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, JPY: 0, BHD: 3 };
/** Decimal text with at most `digits` decimals. */
const moneyText = (digits: number): RegExp => (digits === 0 ? /^\d+$/ : new RegExp(`^\\d+(\\.\\d{1,${digits}})?$`));

function take(gen: { next(): GeneratedRecord }, n: number): GeneratedRecord[] {
  return Array.from({ length: n }, () => gen.next());
}

function eventMs(v: unknown): number {
  return typeof v === 'number' ? v : Date.parse(v as string);
}

/** A light SPEC §1.1 check: the problems of one clickstream value (empty when valid). */
function clickProblems(e: Record<string, unknown>): string[] {
  const p: string[] = [];
  if (typeof e.eventId !== 'string' || !ID.test(e.eventId)) p.push('eventId');
  if (!['page_view', 'click', 'add_to_cart', 'remove_from_cart', 'checkout_started', 'search'].includes(e.type as string)) p.push('type');
  if (!(typeof e.occurredAt === 'number' ? Number.isSafeInteger(e.occurredAt) : ISO.test(String(e.occurredAt)) && !Number.isNaN(eventMs(e.occurredAt)))) p.push('occurredAt');
  for (const k of ['sessionId', 'anonymousId']) if (typeof e[k] !== 'string' || (e[k] as string).length < 1 || (e[k] as string).length > 128) p.push(k);
  const page = e.page as { url?: unknown } | undefined;
  let protocol = '';
  try {
    protocol = new URL(String(page?.url)).protocol;
  } catch {
    /* not a URL */
  }
  if (protocol !== 'http:' && protocol !== 'https:') p.push('page.url');
  if (e.type === 'add_to_cart' || e.type === 'remove_from_cart') {
    const pr = e.product as { sku?: unknown; quantity?: unknown; price?: unknown; currency?: unknown } | undefined;
    const digits = DIGITS[String(pr?.currency)];
    if (!pr || typeof pr.sku !== 'string' || !Number.isInteger(pr.quantity) || digits === undefined || !moneyText(digits).test(String(pr.price))) p.push('product');
  }
  if (e.type === 'search' && typeof (e.search as { query?: unknown } | undefined)?.query !== 'string') p.push('search');
  if (e.ip !== undefined && isIP(String(e.ip)) === 0) p.push('ip');
  return p;
}

/** A light SPEC §1.2 check: the problems of one transaction value (empty when valid). */
function transactionProblems(e: Record<string, unknown>): string[] {
  const p: string[] = [];
  if (typeof e.transactionId !== 'string' || !ID.test(e.transactionId)) p.push('transactionId');
  if (!['purchase', 'refund'].includes(e.type as string)) p.push('type');
  if (!['pending', 'completed', 'failed'].includes(e.status as string)) p.push('status');
  if (!(typeof e.occurredAt === 'number' || ISO.test(String(e.occurredAt)))) p.push('occurredAt');
  if (typeof e.customerId !== 'string' || e.customerId.length === 0) p.push('customerId');
  const digits = DIGITS[String(e.currency).toUpperCase()];
  if (digits === undefined) p.push('currency');
  const money = moneyText(digits ?? 0);
  if (!money.test(String(e.amount)) || (typeof e.amount !== 'string' && typeof e.amount !== 'number')) p.push('amount');
  for (const it of (e.items as { sku: string; quantity: number; unitPrice?: unknown }[] | undefined) ?? []) {
    if (!it.sku || !Number.isInteger(it.quantity) || it.quantity < 1 || (it.unitPrice !== undefined && !money.test(String(it.unitPrice)))) p.push('items');
  }
  return p;
}

function parse(r: GeneratedRecord): Record<string, unknown> | undefined {
  try {
    return JSON.parse(r.data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe('Rng', () => {
  it('is deterministic and uniform enough', () => {
    // Prepare
    const a = new Rng(42);
    const b = new Rng(42);
    // Act
    const xs = Array.from({ length: 10_000 }, () => a.next());
    const ys = Array.from({ length: 10_000 }, () => b.next());
    // Assert
    expect(xs).toEqual(ys);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(new Rng(1).next()).not.toBe(new Rng(2).next());
  });

  it('samples Zipf and weighted choices with the expected skew', () => {
    // Prepare
    const rng = new Rng(7);
    const zipf = new Zipf(100, 1);
    const weighted = new Weighted([['a', 3], ['b', 1]] as const);
    // Act
    const z = Array.from({ length: 20_000 }, () => zipf.sample(rng));
    const w = Array.from({ length: 20_000 }, () => weighted.sample(rng));
    // Assert
    const first = z.filter((i) => i === 0).length / z.length; // 1 / H(100) ≈ 0.193
    expect(first).toBeGreaterThan(0.17);
    expect(first).toBeLessThan(0.22);
    expect(z.every((i) => i >= 0 && i < 100)).toBe(true);
    expect(w.filter((x) => x === 'a').length / w.length).toBeCloseTo(0.75, 1);
  });
});

describe.each([
  ['clickstream', createClickstreamGenerator, clickProblems],
  ['transactions', createTransactionGenerator, transactionProblems],
] as const)('%s generator', (stream, create, problems) => {
  const N = 20_000;
  const records = take(create({ seed: 11, startMs: START }), N);

  it('is deterministic for a seed and start time', () => {
    // Act
    const again = take(create({ seed: 11, startMs: START }), 500);
    const other = take(create({ seed: 12, startMs: START }), 500);
    // Assert
    expect(again).toEqual(records.slice(0, 500));
    expect(other).not.toEqual(records.slice(0, 500));
  });

  it('keeps the mix proportions roughly', () => {
    // Prepare
    const counts: Record<string, number> = {};
    // Act
    for (const r of records) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    // Assert: defaults duplicate 1%, bad 1%, bot 2% (clickstream only), test 0.5%, late 1%
    const share = (k: string): number => (counts[k] ?? 0) / N;
    expect(share('duplicate')).toBeGreaterThan(0.007);
    expect(share('duplicate')).toBeLessThan(0.013);
    expect(share('bad')).toBeGreaterThan(0.007);
    expect(share('bad')).toBeLessThan(0.013);
    expect(share('late')).toBeGreaterThan(0.007);
    expect(share('late')).toBeLessThan(0.013);
    expect(share('test')).toBeGreaterThan(0.003);
    expect(share('test')).toBeLessThan(0.007);
    if (stream === 'clickstream') expect(share('bot')).toBeGreaterThan(0.015);
    else expect(counts.bot).toBeUndefined();
  });

  it('honours a custom mix', () => {
    // Act
    const mixed = take(create({ seed: 3, startMs: START, mix: { bad: 0.3, duplicate: 0, late: 0, test: 0.1, bot: 0 } }), 5_000);
    // Assert
    const bad = mixed.filter((r) => r.kind === 'bad').length / mixed.length;
    expect(bad).toBeGreaterThan(0.26);
    expect(bad).toBeLessThan(0.34);
    expect(mixed.some((r) => r.kind === 'duplicate' || r.kind === 'late' || r.kind === 'bot')).toBe(false);
    expect(() => create({ seed: 1, mix: { bad: 0.9, test: 0.2 } })).toThrow(RangeError);
  });

  it('makes every record but the bad ones valid, and the bad ones invalid', () => {
    // Prepare
    const wrong: string[] = [];
    for (const r of records) {
      // Act
      const v = parse(r);
      const found = v === undefined ? ['json'] : problems(v);
      const future = v !== undefined && eventMs(v.occurredAt) > START + N * 5 + 300_000;
      if (r.kind === 'bad' ? found.length === 0 && !future : found.length > 0) wrong.push(`${r.kind} ${found.join(',')}: ${r.data}`);
    }
    // Assert
    expect(wrong).toEqual([]);
  });

  it('labels filtered and late records truthfully', () => {
    // Prepare
    const wrong: string[] = [];
    for (const r of records) {
      const v = parse(r);
      if (v === undefined || r.kind === 'bad') continue;
      // Act
      const ms = eventMs(v.occurredAt);
      const isBot = typeof v.userAgent === 'string' && BOT.test(v.userAgent);
      const ok =
        isBot === (r.kind === 'bot') &&
        (r.kind === 'duplicate' || (v.test === true) === (r.kind === 'test')) &&
        (r.kind === 'late' ? ms <= START + N * 5 - 3_600_000 : r.kind === 'duplicate' || ms >= START - 3_000) &&
        ms <= START + N * 5;
      if (!ok) wrong.push(`${r.kind}: ${r.data}`);
    }
    // Assert
    expect(wrong).toEqual([]);
  });

  it('re-sends earlier valid records as duplicates, with the same partition key', () => {
    // Prepare
    const seen = new Map<string, GeneratedRecord>();
    let checked = 0;
    for (const r of records) {
      // Act + Assert
      if (r.kind === 'duplicate') {
        const first = seen.get(r.data);
        expect(first?.kind).toBe('valid');
        expect(first?.partitionKey).toBe(r.partitionKey);
        checked++;
      } else if (!seen.has(r.data)) {
        seen.set(r.data, r);
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('follows the wall clock without a start time', () => {
    // Act
    const before = Date.now();
    const live = take(create({ seed: 5 }), 200).filter((r) => r.kind === 'valid');
    // Assert
    for (const r of live) expect(Math.abs(eventMs(parse(r)!.occurredAt) - before)).toBeLessThan(60_000);
  });
});

describe('clickstream generator realism', () => {
  const records = take(createClickstreamGenerator({ seed: 21, startMs: START }), 20_000);
  const values = records.filter((r) => r.kind === 'valid').map((r) => JSON.parse(r.data) as Record<string, unknown>);

  it('averages about 500 bytes per record', () => {
    // Act
    const avg = records.reduce((s, r) => s + Buffer.byteLength(r.data), 0) / records.length;
    // Assert
    expect(avg).toBeGreaterThan(420);
    expect(avg).toBeLessThan(600);
  });

  it('has sessions of several events, every event type, both IP versions, messy countries', () => {
    // Act
    const perSession = new Map<string, number>();
    for (const v of values) perSession.set(v.sessionId as string, (perSession.get(v.sessionId as string) ?? 0) + 1);
    const types = new Set(values.map((v) => v.type));
    const ips = values.map((v) => isIP(String(v.ip)));
    const countries = values.map((v) => v.country);
    // Assert
    expect(values.length / perSession.size).toBeGreaterThan(3);
    expect([...types].sort()).toEqual(['add_to_cart', 'checkout_started', 'click', 'page_view', 'remove_from_cart', 'search']);
    expect(ips.filter((x) => x === 4).length).toBeGreaterThan(values.length * 0.6);
    expect(ips.filter((x) => x === 6).length).toBeGreaterThan(values.length * 0.15);
    expect(countries.some((c) => c === undefined)).toBe(true);
    expect(countries.some((c) => typeof c === 'string' && c !== c.toUpperCase())).toBe(true);
    expect(values.some((v) => String((v.page as { url: string }).url).includes('utm_source='))).toBe(true);
  });

  it('gives pages a power-law popularity', () => {
    // Act
    const hits = new Map<string, number>();
    for (const v of values) {
      if (v.type !== 'page_view') continue;
      const u = new URL((v.page as { url: string }).url);
      hits.set(u.pathname.replace(/\/$/, '') || '/', (hits.get(u.pathname.replace(/\/$/, '') || '/') ?? 0) + 1);
    }
    const sorted = [...hits.values()].sort((a, b) => b - a);
    const total = sorted.reduce((s, x) => s + x, 0);
    // Assert: the top 10 pages take a large share, and there is a long tail
    expect(sorted.slice(0, 10).reduce((s, x) => s + x, 0) / total).toBeGreaterThan(0.3);
    expect(sorted.length).toBeGreaterThan(150);
  });
});

describe('transaction generator realism', () => {
  const records = take(createTransactionGenerator({ seed: 31, startMs: START }), 20_000);
  const values = records.filter((r) => r.kind === 'valid').map((r) => JSON.parse(r.data) as Record<string, unknown>);

  it('settles pending purchases later and refunds earlier completed ones', () => {
    // Prepare
    const statusById = new Map<string, string[]>();
    const completedPurchases = new Set<string>();
    let refunds = 0;
    for (const v of values) {
      // Act
      if (v.type === 'purchase') statusById.set(v.transactionId as string, [...(statusById.get(v.transactionId as string) ?? []), v.status as string]);
      if (v.type === 'purchase' && v.status === 'completed') completedPurchases.add(v.transactionId as string);
      if (v.type === 'refund') {
        // Assert
        expect(completedPurchases.has(v.originalTransactionId as string)).toBe(true);
        refunds++;
      }
    }
    const settled = [...statusById.values()].filter((s) => s[0] === 'pending' && s.length === 2);
    expect(settled.length).toBeGreaterThan(500);
    expect(settled.every((s) => s[1] === 'completed' || s[1] === 'failed')).toBe(true);
    expect(refunds).toBeGreaterThan(300);
    expect([...statusById.values()].filter((s) => s[0] === 'failed').length).toBeGreaterThan(300);
  });

  it('uses every currency, amounts as strings and numbers, matching their items', () => {
    // Act
    const currencies = new Set(values.map((v) => String(v.currency).toUpperCase()));
    const kinds = new Set(values.map((v) => typeof v.amount));
    // Assert
    expect([...currencies].sort()).toEqual(['BHD', 'EUR', 'GBP', 'JPY', 'USD']);
    expect([...kinds].sort()).toEqual(['number', 'string']);
    for (const v of values.filter((x) => x.type === 'purchase')) {
      const scale = 10 ** DIGITS[String(v.currency).toUpperCase()]!;
      const items = v.items as { quantity: number; unitPrice: string | number }[];
      const sum = items.reduce((s, i) => s + i.quantity * Math.round(Number(i.unitPrice) * scale), 0);
      expect(Math.round(Number(v.amount) * scale)).toBe(sum);
    }
  });

  it('spoils bad records in the ways the spec rejects', () => {
    // Act
    const bad = take(createTransactionGenerator({ seed: 2, startMs: START, mix: { bad: 1, duplicate: 0, test: 0, late: 0 } }), 400).map((r) => r.data);
    // Assert
    expect(bad.some((d) => /"currency":"(BTC|ZZZ|US\$|EURO)"/.test(d))).toBe(true);
    expect(bad.some((d) => /"amount":"?(19\.999|0\.001|1500\.5|12\.3456)"?/.test(d))).toBe(true);
    expect(bad.some((d) => parse({ data: d, partitionKey: '', kind: 'bad' }) === undefined)).toBe(true);
  });
});

describe('generator speed', () => {
  it.each([
    ['clickstream', createClickstreamGenerator],
    ['transactions', createTransactionGenerator],
  ] as const)('%s is not pathologically slow', (_name, create) => {
    // Prepare
    const gen = create({ seed: 1, startMs: START } satisfies GeneratorOptions);
    take(gen, 5_000); // warm up
    // Act: best of three, since the machine is shared (unloaded it does ~90k records/s)
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      take(gen, 10_000);
      best = Math.max(best, 10_000 / ((performance.now() - t0) / 1000));
    }
    // Assert: a loose bound that only catches an accidental quadratic step
    expect(best).toBeGreaterThan(5_000);
  });
});
