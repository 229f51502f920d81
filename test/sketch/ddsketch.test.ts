import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DDSketch, DDSKETCH_MAX_BUCKETS, mergeSketchBytes } from '../../src/sketch/index.ts';
import { chunks, normal, seeded } from './support.ts';
import { PG_URL } from '../local/redshift-data/support.ts';

const build = (values: Iterable<number>): DDSketch => {
  const s = DDSketch.empty();
  for (const v of values) s.add(v);
  return s;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const QS = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];
/** The quantile on exact data, as PERCENTILE_CONT and numpy define it: linear interpolation at h = q·(n−1) */
const exactQuantile = (sorted: readonly number[], q: number): number => {
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  return lo + 1 < sorted.length ? sorted[lo]! + (h - lo) * (sorted[lo + 1]! - sorted[lo]!) : sorted[lo]!;
};
/** amounts in minor units: mostly realistic, sometimes zero, sometimes huge */
const amount = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 500_000 }) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 99 }) },
  { weight: 1, arbitrary: fc.maxSafeNat() },
);
const amounts = fc.array(amount, { maxLength: 300 });

/**
 * asserts the sketch's quantiles against the exact ones: ≤ 1% relative (plus the rounding to
 * hundredths), exact (to the hundredth) when both elements around the rank are below 100
 */
function expectAccurate(s: DDSketch, values: readonly number[], label: string): number {
  const sorted = [...values].sort((a, b) => a - b);
  let worst = 0;
  for (const q of QS) {
    const want = exactQuantile(sorted, q);
    const got = s.quantile(q);
    const h = q * (sorted.length - 1);
    const around = [sorted[Math.floor(h)]!, sorted[Math.min(Math.floor(h) + 1, sorted.length - 1)]!];
    if (Math.max(...around) < 100) expect(Math.abs(got - want), `${label} q=${q}: got ${got}, want ${want}`).toBeLessThanOrEqual(0.005 + 1e-9);
    else {
      const rel = Math.abs(got - want) / want;
      worst = Math.max(worst, rel);
      expect(Math.abs(got - want), `${label} q=${q}: got ${got}, want ${want}`).toBeLessThanOrEqual(0.01 * want + 0.005);
    }
  }
  return worst;
}

describe('DDSketch.quantile', () => {
  it('is within 1% of the exact rank quantile on typical distributions', () => {
    // Prepare
    const rnd = seeded(42);
    const dists: Record<string, number[]> = {
      uniform: Array.from({ length: 20_000 }, () => 1 + Math.floor(rnd() * 1_000_000)),
      'log-normal': Array.from({ length: 20_000 }, () => Math.round(Math.exp(8 + 1.5 * normal(rnd)))),
      'huge outliers': [...Array.from({ length: 5000 }, () => 500 + Math.floor(rnd() * 20_000)), 9e15, 4e14, 1e12],
      'all equal': Array.from({ length: 1000 }, () => 4999),
      single: [123_456],
      zeros: [...Array.from({ length: 300 }, () => 0), ...Array.from({ length: 700 }, () => Math.floor(rnd() * 10_000))],
      'only zeros': [0, 0, 0],
      'small integers': Array.from({ length: 1000 }, () => Math.floor(rnd() * 100)),
    };
    for (const [name, values] of Object.entries(dists)) {
      // Act
      const s = build(values);
      // Assert
      const worst = expectAccurate(s, values, name);
      console.log(`DDSketch ${name}: worst relative error ${(worst * 100).toFixed(3)}% over q ∈ {${QS.join(', ')}}, ${s.toBytes().length} bytes`);
      expect(s.count()).toBe(values.length);
    }
  });

  it('is within 1% for arbitrary amounts, whole or merged from partials', () => {
    fc.assert(
      fc.property(amounts, fc.array(fc.nat(300), { maxLength: 4 }), (values, cuts) => {
        // Prepare
        const merged = DDSketch.empty();
        for (const part of chunks(values, cuts)) merged.merge(build(part));
        // Act / Assert
        if (values.length === 0) expect(merged.quantile(0.5)).toBeNaN();
        else expectAccurate(merged, values, 'merged');
      }),
      { numRuns: 300 },
    );
  });

  it('interpolates between the two elements around the rank, as PERCENTILE_CONT does', () => {
    // Prepare (first and last elements are exact, so are values below 100)
    const two = build([1000, 2050]);
    const tail = build([50, 700]);
    const four = build([500, 1000, 2050, 9900]);
    // Act / Assert
    expect(two.quantile(0.5)).toBe(1525);
    expect(tail.quantile(0.99)).toBe(693.5);
    // inner elements are estimates (within 1%); the first and last are exact
    expect(Math.abs(four.quantile(0.5) - 1525)).toBeLessThanOrEqual(15.25);
    expect(Math.abs(four.quantile(0.9) - 7545)).toBeLessThanOrEqual(75.45);
    expect(build([1, 2, 4]).quantile(0.25)).toBe(1.5);
  });

  it('agrees with PostgreSQL\'s percentile_cont within 1% on random amounts', async () => {
    // Prepare: the local PostgreSQL, the Redshift stand-in, computes the exact answer
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const rnd = seeded(7);
    try {
      for (const n of [1, 2, 3, 7, 50, 1000]) {
        const values = Array.from({ length: n }, () => (rnd() < 0.1 ? Math.floor(rnd() * 100) : Math.round(Math.exp(6 + 2 * normal(rnd)))));
        const s = build(values);
        // Act
        const { rows } = await client.query<{ p50: number; p90: number; p99: number }>(
          'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p90, percentile_cont(0.99) WITHIN GROUP (ORDER BY v) AS p99 FROM unnest($1::bigint[]) AS v',
          [values],
        );
        // Assert
        for (const [q, want] of [[0.5, rows[0]!.p50], [0.9, rows[0]!.p90], [0.99, rows[0]!.p99]] as const) {
          expect(Math.abs(s.quantile(q) - want), `n=${n} q=${q}: got ${s.quantile(q)}, PostgreSQL ${want}`).toBeLessThanOrEqual(0.01 * want + 0.005);
        }
      }
    } finally {
      await client.end();
    }
  });

  it('returns exact min and max at q = 0 and q = 1 and rejects q outside [0, 1]', () => {
    // Prepare
    const s = build([1234, 5, 99_999_999]);
    // Act / Assert
    expect(s.quantile(0)).toBe(5);
    expect(s.quantile(1)).toBe(99_999_999);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
    expect(() => s.quantile(Number.NaN)).toThrow(RangeError);
    expect(DDSketch.empty().quantile(0.5)).toBeNaN();
  });
});

describe('DDSketch.add', () => {
  it('rejects negative, fractional, unsafe and non-finite values and counts', () => {
    // Prepare
    const s = DDSketch.empty();
    // Act / Assert
    for (const v of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) expect(() => s.add(v), String(v)).toThrow(RangeError);
    for (const c of [-1, 0.5, Number.NaN]) expect(() => s.add(10, c), `count ${c}`).toThrow(RangeError);
    s.add(10, 0);
    expect(s.count()).toBe(0);
  });

  it('counts repeated values with count', () => {
    // Prepare / Act
    const a = DDSketch.empty();
    a.add(250, 3);
    a.add(0, 2);
    // Assert
    expect(hex(a.toBytes())).toBe(hex(build([250, 0, 250, 0, 250]).toBytes()));
  });
});

describe('DDSketch bytes', () => {
  it('depend on the multiset only, not on insertion order', () => {
    fc.assert(
      fc.property(amounts, fc.nat(), (values, seed) => {
        // Prepare
        const rnd = seeded(seed);
        const shuffled = [...values].sort(() => rnd() - 0.5);
        // Act / Assert
        expect(hex(build(shuffled).toBytes())).toBe(hex(build(values).toBytes()));
      }),
      { numRuns: 200 },
    );
  });

  it('merge is commutative and associative on bytes, and equals the sketch built once', () => {
    fc.assert(
      fc.property(amounts, amounts, amounts, (x, y, z) => {
        // Prepare
        const [a, b, c] = [x, y, z].map((v) => build(v).toBytes()) as [Uint8Array, Uint8Array, Uint8Array];
        // Act
        const ab = mergeSketchBytes('ddsketch', a, b);
        const abC = mergeSketchBytes('ddsketch', ab, c);
        const aBc = mergeSketchBytes('ddsketch', a, mergeSketchBytes('ddsketch', b, c));
        // Assert
        expect(hex(ab)).toBe(hex(mergeSketchBytes('ddsketch', b, a)));
        expect(hex(abC)).toBe(hex(aBc));
        expect(hex(abC)).toBe(hex(build([...x, ...y, ...z]).toBytes()));
      }),
      { numRuns: 200 },
    );
  });

  it('round-trip through fromBytes unchanged', () => {
    fc.assert(
      fc.property(amounts, (values) => {
        // Prepare
        const s = build(values);
        const bytes = s.toBytes();
        // Act
        const back = DDSketch.fromBytes(bytes);
        // Assert
        expect(hex(back.toBytes())).toBe(hex(bytes));
        expect(back.count()).toBe(values.length);
        for (const q of QS) if (values.length > 0) expect(back.quantile(q)).toBe(s.quantile(q));
      }),
      { numRuns: 200 },
    );
  });

  it('stay accurate and bounded over the whole range 1..2^53−1 (no collapsing)', () => {
    // Prepare: log-uniform values over 15 decades, split in two partials by size
    const rnd = seeded(3);
    const values = Array.from({ length: 20_000 }, () => Math.max(1, Math.round(Math.exp(rnd() * Math.log(Number.MAX_SAFE_INTEGER)))));
    const [lo, hi] = [values.filter((v) => v < 1e6), values.filter((v) => v >= 1e6)];
    // worst case: one value in every bucket, each with a huge count
    const worst = DDSketch.empty();
    for (let v = 1; v <= Number.MAX_SAFE_INTEGER; v = Math.ceil(v * 1.004)) worst.add(Math.min(v, Number.MAX_SAFE_INTEGER), 2 ** 40);
    // Act
    const once = build(values);
    const merged = mergeSketchBytes('ddsketch', build(hi).toBytes(), build(lo).toBytes());
    const worstBytes = worst.toBytes();
    // Assert
    expect(hex(merged)).toBe(hex(once.toBytes()));
    expectAccurate(once, values, 'log-uniform 1..2^53');
    // bucket count: the varint after version, tag and the (one-byte, zero) zero count
    const buckets = (worstBytes[3]! & 0x7f) + (worstBytes[4]! << 7);
    expect(buckets).toBeGreaterThan(3000);
    expect(buckets).toBeLessThanOrEqual(DDSKETCH_MAX_BUCKETS);
    expect(DDSketch.fromBytes(worstBytes).count()).toBe(worst.count());
    expect(Buffer.from(worstBytes).toString('base64').length).toBeLessThan(65_535);
    console.log(`DDSketch over 1..2^53: ${once.toBytes().length} bytes for 20k values; worst case (every bucket, counts 2^40): ${worstBytes.length} bytes, base64 ${Buffer.from(worstBytes).toString('base64').length} chars, ≤ ${DDSKETCH_MAX_BUCKETS} buckets`);
  });

  it('are small for small windows (sizes reported)', () => {
    // Prepare / Act
    const rnd = seeded(8);
    const sizes = [0, 1, 10, 100, 1000].map((n) => [n, build(Array.from({ length: n }, () => Math.round(Math.exp(8 + normal(rnd))))).toBytes().length] as const);
    console.log(`DDSketch bytes by values (log-normal amounts): ${sizes.map(([n, s]) => `${n}→${s}`).join(', ')}`);
    // Assert
    expect(sizes[0]![1]).toBe(4);
    expect(sizes[2]![1]).toBeLessThan(60);
    expect(sizes[4]![1]).toBeLessThan(2000);
  });
});

describe('DDSketch.fromBytes', () => {
  const valid = [build([]), build([0]), build([1999, 2500, 0, 7]), build(Array.from({ length: 500 }, (_, i) => i * 37))].map((s) => s.toBytes());

  it('rejects corrupt or inconsistent input with a RangeError', () => {
    // Prepare: hand-made bytes: 01 03 zero n [min max] (key-delta count)*
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['version 0', Uint8Array.of(0, 3, 0, 0)],
      ['HLL tag', Uint8Array.of(1, 1, 0)],
      ['truncated', valid[2]!.subarray(0, valid[2]!.length - 1)],
      ['trailing', Uint8Array.of(...valid[2]!, 1)],
      ['huge bucket count', Uint8Array.of(1, 3, 0, 0xff, 0xff, 0xff, 0x7f)],
      ['empty bucket', Uint8Array.of(1, 3, 0, 1, 1, 1, 0, 0)],
      ['unsorted buckets', Uint8Array.of(1, 3, 0, 2, 1, 1, 0, 1, 0, 1)],
      ['min above max', Uint8Array.of(1, 3, 0, 1, 5, 1, 0, 1)],
      ['max not in last bucket', Uint8Array.of(1, 3, 0, 1, 1, 100, 0, 1)],
      ['min without zeros but 0', Uint8Array.of(1, 3, 0, 1, 0, 1, 0, 1)],
      ['zeros but min > 0', Uint8Array.of(1, 3, 1, 0, 5, 5)],
      ['over-long varint', Uint8Array.of(1, 3, 0x80, 0x00, 0)],
      ['key out of range', Uint8Array.of(1, 3, 0, 1, 1, 1, 0xff, 0xff, 0x03, 1)],
      ['count above 2^53', Uint8Array.of(1, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0)],
    ];
    for (const [name, bytes] of cases) {
      // Act / Assert
      expect(() => DDSketch.fromBytes(bytes), name).toThrow(RangeError);
    }
  });

  it('never throws anything but a RangeError on mutated bytes, and what it accepts works', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(), (bytes, edits, cut) => {
        // Prepare
        const b = Uint8Array.from(bytes);
        for (const [at, v] of edits) b[at % b.length] = v;
        const input = cut % 5 === 0 ? b.subarray(0, cut % (b.length + 1)) : b;
        // Act
        let s: DDSketch | undefined;
        try {
          s = DDSketch.fromBytes(input);
        } catch (e) {
          // Assert
          expect(e).toBeInstanceOf(RangeError);
          return;
        }
        if (s.count() > 0) expect(Number.isFinite(s.quantile(0.5))).toBe(true);
        expect(hex(DDSketch.fromBytes(s.toBytes()).toBytes())).toBe(hex(s.toBytes()));
      }),
      { numRuns: 500 },
    );
  });
});
