import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, decodeCell, encodeCell, GROUPS, groupOf, METRICS } from '../../src/metrics/catalog.ts';

describe('encodeCell / decodeCell', () => {
  it('round-trips any dimension values, including the separators', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 0, maxLength: 3 }), (values) => {
        // Prepare
        const dims = ['a', 'b', 'c'].slice(0, values.length);
        // Act
        const decoded = decodeCell(encodeCell('m', dims, values));
        // Assert
        expect(decoded.metric).toBe('m');
        expect(decoded.dimNames).toEqual(dims);
        expect(Object.values(decoded.dims)).toEqual(values);
      }),
    );
  });

  it('encodes the SPEC examples readably', () => {
    expect(encodeCell('revenue', ['currency', 'country'], ['USD', 'FR'])).toBe('revenue|currency,country|USD|FR');
    expect(encodeCell('page_views', [], [])).toBe('page_views|');
  });
});

describe('groupOf / bucketOf', () => {
  it('gives every stored combination a group, and a stable bucket within range', () => {
    for (const m of METRICS) {
      for (const combo of m.combos) {
        // Act
        const g = groupOf(m.name, combo);
        // Assert
        expect(GROUPS[g]).toBeDefined();
        const cell = encodeCell(m.name, combo, combo.map(() => 'x'));
        expect(bucketOf(g, cell)).toBe(bucketOf(g, cell));
        expect(bucketOf(g, cell)).toBeLessThan(GROUPS[g].buckets);
      }
    }
  });

  it('puts sketches in sketch groups and counters in counter groups', () => {
    for (const m of METRICS) for (const combo of m.combos) expect(GROUPS[groupOf(m.name, combo)].kind).toBe(m.kind === 'counter' ? 'counter' : 'sketch');
  });
});
