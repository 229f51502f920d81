import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/dedupe/key-index.ts';

/** A model: numbers in insertion order from a Map. */
function check(keys: string[], index: KeyIndex): void {
  const model = new Map<string, number>();
  for (const key of keys) {
    // Act
    const n = index.add(key.split('').join('')); // an equal string, not the same object
    // Assert
    if (!model.has(key)) model.set(key, model.size);
    expect(n).toBe(model.get(key));
    expect(index.size).toBe(model.size);
  }
  for (const [key, n] of model) expect(index.find(key)).toBe(n);
  expect(index.find('\u0000not-added')).toBe(-1);
  expect(index.keys).toEqual([...model.keys()]);
}

describe('KeyIndex', () => {
  it('numbers keys in insertion order and finds them, as a Map would', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4 }), { maxLength: 300 }), fc.nat({ max: 64 }), (keys, expected) => {
        // Prepare
        const index = new KeyIndex(expected);
        // Act + Assert
        check(keys, index);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same answers after falling back to a Map (probe flood guard)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 200 }), (keys) => {
        // Prepare: a guard of zero probes falls back at the first collision
        const index = new KeyIndex(4, 0);
        // Act + Assert
        check(keys, index);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps 20,000 distinct keys through several growths', () => {
    // Prepare
    const index = new KeyIndex(16);
    const keys = Array.from({ length: 20_000 }, (_, i) => `evt_${i.toString(36)}`);
    // Act
    for (const k of keys) index.add(k);
    // Assert
    expect(index.size).toBe(20_000);
    expect(index.find('evt_0')).toBe(0);
    expect(index.find(keys[19_999]!)).toBe(19_999);
  });
});
