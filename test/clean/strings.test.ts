import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanText } from '../../src/clean/strings.ts';

/** C0, DEL, C1 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('cleanText', () => {
  it('trims, removes control characters, caps (SPEC §3)', () => {
    const cases: [string | null | undefined, number, string | null][] = [
      ['  Blue shoes  ', 64, 'Blue shoes'],
      ['Blue\u0000 shoes\u007f\u009b', 64, 'Blue shoes'],
      ['red\nshoes', 64, 'red shoes'], // line breaks and tabs separate words
      ['a\r\nb\tc\u0085d', 64, 'a  b c d'],
      ['\u0001\u0002 x \u0003', 64, 'x'],
      ['\u00a0\ufeffnbsp\u3000', 64, 'nbsp'], // String.prototype.trim's white space
      ['abcdef', 3, 'abc'],
      ['ab cd', 3, 'ab'], // no trailing blank after the cut
      ['abc😀', 4, 'abc'], // never half a surrogate pair
      ['abc😀', 5, 'abc😀'],
      ['😀😀', 3, '😀'],
      ['', 10, null],
      ['   ', 10, null],
      ['\u0000\u0007', 10, null],
      [null, 10, null],
      [undefined, 10, null],
      ['x', 0, null],
      ['héllo wörld — 日本語 ‍👩‍💻 \u200d', 64, 'héllo wörld — 日本語 ‍👩‍💻 \u200d'],
      ['lone \ud800 high', 64, 'lone \ufffd high'],
      ['lone \udc00 low', 64, 'lone \ufffd low'],
      ['\ud83d', 64, '\ufffd'],
    ];
    for (const [value, max, expected] of cases) {
      // Act + Assert
      expect(cleanText(value, max), JSON.stringify(value)).toBe(expected);
    }
  });

  it('returns an ordinary string itself (no copy)', () => {
    // Prepare
    const s = 'Running shoes for men';
    // Act + Assert
    expect(cleanText(s, 100)).toBe(s);
  });

  it('has no control characters, no lone surrogates, fits the cap, is trimmed (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\u0000', '\u0085', '😀', '\ud800', 'é') })), fc.integer({ min: 0, max: 40 }), (value, max) => {
        // Act
        const out = cleanText(value, max);
        // Assert
        if (out === null) return;
        expect(out.length).toBeGreaterThan(0);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(CONTROL.test(out)).toBe(false);
        expect(LONE_SURROGATE.test(out)).toBe(false);
        expect(out.trim()).toBe(out);
        expect(cleanText(out, max)).toBe(out); // idempotent
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps ordinary text (no controls, lone surrogates, outer blanks) unchanged within the cap (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (value) => {
        fc.pre(!CONTROL.test(value) && value.trim() === value && value.length > 0);
        // Act + Assert
        expect(cleanText(value, value.length)).toBe(value);
      }),
    );
  });
});
