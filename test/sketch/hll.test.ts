import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HyperLogLog, mergeSketchBytes } from '../../src/sketch/index.ts';
import { chunks, distinctIds, seeded } from './support.ts';

const build = (ids: Iterable<string>): HyperLogLog => {
  const h = HyperLogLog.empty();
  for (const id of ids) h.add(id);
  return h;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** a pool of ids and overlapping ranges of it: sets that share members, small and large */
const pool = distinctIds(30_000, 99);
const range = fc.tuple(fc.nat(pool.length), fc.oneof(fc.nat(60), fc.nat(4000))).map(([start, len]) => pool.slice(start, start + len));

describe('HyperLogLog bytes', () => {
  it('depend on the set only, not on insertion order or repeats', () => {
    fc.assert(
      fc.property(range, fc.nat(), (ids, seed) => {
        // Prepare: the same set, shuffled and with repeats
        const rnd = seeded(seed);
        const shuffled = [...ids, ...ids.slice(0, 10)].sort(() => rnd() - 0.5);
        // Act
        const a = build(ids).toBytes();
        const b = build(shuffled).toBytes();
        // Assert
        expect(hex(b)).toBe(hex(a));
      }),
      { numRuns: 60 },
    );
  });

  it('of merged partials equal the bytes of the sketch built once', () => {
    fc.assert(
      fc.property(range, fc.array(fc.nat(4000), { maxLength: 6 }), fc.nat(), (ids, cuts, seed) => {
        // Prepare: partials of consecutive chunks, merged in a random order
        const parts = chunks(ids, cuts).map((c) => build(c).toBytes());
        const rnd = seeded(seed);
        parts.sort(() => rnd() - 0.5);
        // Act: through bytes (as the sinks do) and in memory (as the query does)
        let viaBytes: Uint8Array | undefined;
        for (const p of parts) viaBytes = mergeSketchBytes('hll', viaBytes, p);
        const inMemory = HyperLogLog.empty();
        for (const p of parts) inMemory.merge(HyperLogLog.fromBytes(p));
        // Assert
        const once = hex(build(ids).toBytes());
        expect(hex(viaBytes!)).toBe(once);
        expect(hex(inMemory.toBytes())).toBe(once);
      }),
      { numRuns: 60 },
    );
  });

  it('merge is commutative, associative and idempotent on bytes', () => {
    fc.assert(
      fc.property(range, range, range, (x, y, z) => {
        // Prepare
        const [a, b, c] = [x, y, z].map((s) => build(s).toBytes()) as [Uint8Array, Uint8Array, Uint8Array];
        // Act
        const ab = mergeSketchBytes('hll', a, b);
        const ba = mergeSketchBytes('hll', b, a);
        const abC = mergeSketchBytes('hll', ab, c);
        const aBc = mergeSketchBytes('hll', a, mergeSketchBytes('hll', b, c));
        // Assert
        expect(hex(ab)).toBe(hex(ba));
        expect(hex(abC)).toBe(hex(aBc));
        expect(hex(mergeSketchBytes('hll', a, a))).toBe(hex(a));
        expect(hex(mergeSketchBytes('hll', ab, a))).toBe(hex(ab));
        expect(hex(abC)).toBe(hex(build([...x, ...y, ...z]).toBytes()));
      }),
      { numRuns: 40 },
    );
  });

  it('round-trip: fromBytes then toBytes gives the same bytes and estimate', () => {
    fc.assert(
      fc.property(range, (ids) => {
        // Prepare
        const h = build(ids);
        const bytes = h.toBytes();
        // Act
        const back = HyperLogLog.fromBytes(bytes);
        // Assert
        expect(hex(back.toBytes())).toBe(hex(bytes));
        expect(back.estimate()).toBe(h.estimate());
      }),
      { numRuns: 60 },
    );
  });

  it('stay sparse while shorter than dense, and a superset of a dense set is dense', () => {
    // Prepare: add ids one by one until the canonical form turns dense
    const h = HyperLogLog.empty();
    let lastSparse = 0;
    let n = 0;
    for (; n < pool.length; n++) {
      h.add(pool[n]!);
      // the canonical form of every size would be slow: look closely only near the switch
      if (n % (n < 15_000 ? 1000 : 10) !== 0) continue;
      const b = h.toBytes();
      if (b[1] === 5) break;
      lastSparse = b.length;
    }
    // Act: the same set in another order, and a superset built from the dense bytes
    const again = build(pool.slice(0, n + 1).reverse());
    const dense = HyperLogLog.fromBytes(h.toBytes());
    dense.merge(build(pool.slice(0, 10)));
    // Assert
    console.log(`HyperLogLog turns dense at ${n + 1} distinct values (last sparse size ${lastSparse} bytes, dense 24578 bytes)`);
    expect(n).toBeGreaterThan(15_000);
    expect(n).toBeLessThan(24_576);
    expect(lastSparse).toBeLessThan(24_578);
    expect(h.toBytes().length).toBe(24_578);
    expect(hex(again.toBytes())).toBe(hex(h.toBytes()));
    expect(dense.toBytes()[1]).toBe(5);
  });

  it('are small for small sets (sizes reported)', () => {
    // Prepare / Act
    const sizes = [0, 1, 10, 100, 1000].map((n) => [n, build(distinctIds(n, 5)).toBytes().length] as const);
    console.log(`HyperLogLog bytes by distinct values: ${sizes.map(([n, s]) => `${n}→${s}`).join(', ')} (dense: 24578)`);
    // Assert: ~2 bytes per entry while sparse
    expect(Object.fromEntries(sizes)).toEqual({ 0: 3, 1: expect.any(Number), 10: expect.any(Number), 100: expect.any(Number), 1000: expect.any(Number) });
    const bySize = new Map(sizes);
    expect(bySize.get(1)).toBeLessThanOrEqual(7);
    expect(bySize.get(10)).toBeLessThanOrEqual(35);
    expect(bySize.get(100)).toBeLessThanOrEqual(260);
    expect(bySize.get(1000)).toBeLessThanOrEqual(2100);
  });
});

describe('HyperLogLog.fromBytes', () => {
  const valid = [build([]), build(['a']), build(pool.slice(0, 300)), build(pool)].map((h) => h.toBytes());

  it('rejects corrupt input with a RangeError', () => {
    // Prepare
    const sparse = valid[2]!;
    const dense = valid[3]!;
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['version 2', Uint8Array.of(2, 1, 0)],
      ['unknown tag', Uint8Array.of(1, 9, 0)],
      ['precision 12, sparse (tag 1)', Uint8Array.of(1, 1, 0)],
      ['precision 12, dense (tag 2)', Uint8Array.of(1, 2, ...new Uint8Array(3072))],
      ['DDSketch tag', Uint8Array.of(1, 3, 0, 0)],
      ['truncated sparse', sparse.subarray(0, sparse.length - 1)],
      ['trailing byte', Uint8Array.of(...sparse, 0)],
      ['truncated dense', dense.subarray(0, 3000)],
      ['huge entry count', Uint8Array.of(1, 4, 0xff, 0xff, 0xff, 0xff, 0x0f)],
      ['over-long varint', Uint8Array.of(1, 4, 0x81, 0x00, 0x05)],
      ['repeated index', Uint8Array.of(1, 4, 2, 5, 0)],
      ['index beyond 2^20', Uint8Array.of(1, 4, 1, 0x81, 0x80, 0x40)],
      ['stored rho too small', Uint8Array.of(1, 4, 1, 0x80, 0x02, 5)],
      ['register above 50', Uint8Array.of(1, 5, 0xff, ...dense.subarray(3))],
    ];
    for (const [name, bytes] of cases) {
      // Act / Assert
      expect(() => HyperLogLog.fromBytes(bytes), name).toThrow(RangeError);
    }
  });

  it('never throws anything but a RangeError on mutated bytes, and what it accepts works', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(), (bytes, edits, cut) => {
        // Prepare: flip some bytes, maybe truncate
        const b = Uint8Array.from(bytes);
        for (const [at, v] of edits) b[at % b.length] = v;
        const input = cut % 5 === 0 ? b.subarray(0, cut % (b.length + 1)) : b;
        // Act
        let h: HyperLogLog | undefined;
        try {
          h = HyperLogLog.fromBytes(input);
        } catch (e) {
          // Assert
          expect(e).toBeInstanceOf(RangeError);
          return;
        }
        expect(Number.isFinite(h.estimate())).toBe(true);
        expect(hex(HyperLogLog.fromBytes(h.toBytes()).toBytes())).toBe(hex(h.toBytes()));
      }),
      { numRuns: 400 },
    );
  });
});

describe('HyperLogLog.estimate', () => {
  it('is 0 for the empty set and counts unicode values by their UTF-8 bytes', () => {
    // Prepare / Act
    const h = build(['é', 'e\u0301', '😀', '\ud800', '\ufffd']);
    // Assert: a lone surrogate encodes as U+FFFD, so those two are one value
    expect(HyperLogLog.empty().estimate()).toBe(0);
    expect(Math.round(h.estimate())).toBe(4);
  });

  it('is exact or within ±1 up to 1,000 distinct values', () => {
    for (const n of [1, 2, 10, 100, 1000]) {
      let worst = 0;
      let exact = 0;
      const trials = n <= 100 ? 200 : 30;
      for (let t = 0; t < trials; t++) {
        // Act
        const est = Math.round(build(distinctIds(n, 1000 * n + t)).estimate());
        // Assert (collected)
        worst = Math.max(worst, Math.abs(est - n));
        if (est === n) exact++;
      }
      console.log(`HyperLogLog n=${n}: ${exact}/${trials} exact, worst |error| ${worst}`);
      expect(worst, `n=${n}`).toBeLessThanOrEqual(n <= 100 ? 1 : 3);
    }
  });
});
