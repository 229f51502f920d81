import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSequenceNumbers, parsePositionKey, positionKey } from '../src/position.ts';

describe('positionKey', () => {
  it('orders like (sequence number, sub-sequence) for any lengths', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 60n }), fc.nat(999_999), fc.bigInt({ min: 0n, max: 10n ** 60n }), fc.nat(999_999), (a, as, b, bs) => {
        // Act
        const ka = positionKey(a.toString(), as);
        const kb = positionKey(b.toString(), bs);
        // Assert
        const want = a < b ? -1 : a > b ? 1 : Math.sign(as - bs);
        expect(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0)).toBe(want);
      }),
    );
  });

  it('round-trips through parsePositionKey', () => {
    // Prepare
    const seq = '49590338271490256608559692538361571095921575989136588898';
    // Act
    const parsed = parsePositionKey(positionKey(seq, 7));
    // Assert
    expect(parsed).toEqual({ sequenceNumber: seq, subSequence: 7 });
  });

  it('rejects what is not a sequence number', () => {
    expect(() => positionKey('12a', 0)).toThrow(RangeError);
    expect(() => positionKey('1', -1)).toThrow(RangeError);
  });
});

describe('compareSequenceNumbers', () => {
  it('compares numerically, not as text', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers('10', '10')).toBe(0);
  });
});
