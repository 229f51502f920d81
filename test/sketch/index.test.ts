import { describe, expect, it } from 'vitest';
import { DDSketch, HyperLogLog, mergeSketchBytes, sketchQuantiles, sketchValue } from '../../src/sketch/index.ts';

const hll = (...ids: string[]): Uint8Array => {
  const h = HyperLogLog.empty();
  for (const id of ids) h.add(id);
  return h.toBytes();
};
const dd = (...values: number[]): Uint8Array => {
  const s = DDSketch.empty();
  for (const v of values) s.add(v);
  return s.toBytes();
};

describe('mergeSketchBytes', () => {
  it('returns the union of two serialised sketches of each kind', () => {
    // Act
    const visitors = mergeSketchBytes('hll', hll('a', 'b'), hll('b', 'c'));
    const amounts = mergeSketchBytes('ddsketch', dd(100, 200), dd(300));
    // Assert
    expect(sketchValue('hll', visitors)).toBe(3);
    expect(Buffer.from(amounts).equals(dd(300, 100, 200))).toBe(true);
  });

  it('with no stored value gives the new sketch itself', () => {
    // Prepare
    const b = hll('x');
    // Act / Assert
    expect(Buffer.from(mergeSketchBytes('hll', undefined, b)).equals(b)).toBe(true);
    expect(Buffer.from(mergeSketchBytes('ddsketch', undefined, dd(5))).equals(dd(5))).toBe(true);
  });

  it('refuses bytes of the other kind with a RangeError', () => {
    // Act / Assert
    expect(() => mergeSketchBytes('hll', undefined, dd(1))).toThrow(RangeError);
    expect(() => mergeSketchBytes('ddsketch', dd(1), hll('a'))).toThrow(RangeError);
  });
});

describe('sketchValue', () => {
  it('is the rounded distinct count', () => {
    // Act / Assert
    expect(sketchValue('hll', hll())).toBe(0);
    expect(sketchValue('hll', hll('a', 'a', 'b'))).toBe(2);
  });
});

describe('sketchQuantiles', () => {
  it('gives p50, p90 and p99 in minor units, zeros when empty', () => {
    // Prepare: 1..100 × 100
    const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 100);
    // Act
    const q = sketchQuantiles(dd(...values));
    // Assert: ranks ⌊q·99⌋ → 50th, 90th, 99th values (4,900 / 8,100 / 9,900 ... within 1%)
    expect(Math.abs(q.p50 - 5000) / 5000).toBeLessThanOrEqual(0.01);
    expect(Math.abs(q.p90 - 9000) / 9000).toBeLessThanOrEqual(0.01);
    expect(Math.abs(q.p99 - 9900) / 9900).toBeLessThanOrEqual(0.01);
    expect(sketchQuantiles(dd())).toEqual({ p50: 0, p90: 0, p99: 0 });
    expect(sketchQuantiles(dd(1999))).toEqual({ p50: 1999, p90: 1999, p99: 1999 });
  });
});
