import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringMemo } from '../../src/clean/memo.ts';

describe('StringMemo', () => {
  it('answers like a Map with the same sets, whatever the slots hold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 6 }), fc.nat()), { maxLength: 200 }),
        fc.integer({ min: 1, max: 64 }),
        (ops, maxEntries) => {
          // Prepare: a memo small enough that slots collide and the map starts over
          const memo = new StringMemo<number>(maxEntries, 4);
          const model = new Map<string, number>();
          for (const [isSet, key, value] of ops) {
            if (isSet) {
              // Act
              memo.set(key, value);
              // the model of the bound: keys over the length limit are not kept, a full map starts over
              if (key.length <= 4) {
                if (model.size >= maxEntries) model.clear();
                model.set(key, value);
              }
            } else {
              // Assert: a fresh copy of the key (not the same string object) finds the same value
              const copy = key.split('').join('');
              expect(memo.get(copy)).toBe(model.get(key));
            }
          }
          expect(memo.size).toBe(model.size);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('finds a value set under an equal string that is another object', () => {
    // Prepare
    const memo = new StringMemo<string>(16, 256);
    const key = ['Mozilla/5.0 ', '(Windows NT 10.0)'].join('');
    memo.set(key, 'desktop');
    // Act
    const hit = memo.get(`Mozilla/5.0 (Windows NT 10.0)`);
    const miss = memo.get('Mozilla/5.0 (Windows NT 10.1)');
    // Assert
    expect(hit).toBe('desktop');
    expect(miss).toBeUndefined();
  });
});
