import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp, sqlIdentifier, sqlNumber, sqlString, sqlTimestamp, truncateUtf8 } from '../../../src/sinks/redshift/sql-literal.ts';

describe('sqlString', () => {
  it('doubles quotes and backslashes for Redshift, where \\ escapes inside literals', () => {
    // Act / Assert
    expect(sqlString("O'Brien", 'redshift')).toBe("'O''Brien'");
    expect(sqlString('a\\b', 'redshift')).toBe("'a\\\\b'");
    expect(sqlString("\\'", 'redshift')).toBe("'\\\\'''");
  });

  it('writes an escape string for PostgreSQL, independent of standard_conforming_strings', () => {
    expect(sqlString("O'Brien", 'postgres')).toBe("E'O''Brien'");
    expect(sqlString('a\\b', 'postgres')).toBe("E'a\\\\b'");
  });

  it('removes NUL, which no VARCHAR can hold', () => {
    expect(sqlString('a\u0000b', 'redshift')).toBe("'ab'");
  });

  it('rejects non-strings', () => {
    expect(() => sqlString(1 as unknown as string, 'redshift')).toThrow(TypeError);
  });
});

describe('sqlNumber', () => {
  it('writes finite numbers and bigints, and refuses NaN and infinities', () => {
    expect(sqlNumber(42)).toBe('42');
    expect(sqlNumber(-3)).toBe('-3');
    expect(sqlNumber(2n ** 70n)).toBe('1180591620717411303424');
    expect(() => sqlNumber(Number.NaN)).toThrow(RangeError);
    expect(() => sqlNumber(Infinity)).toThrow(RangeError);
  });
});

describe('timestamps', () => {
  it('formats UTC without a zone and parses what the databases print', () => {
    // Prepare
    const ms = Date.UTC(2026, 10, 23, 20, 49, 12, 345);
    // Act / Assert
    expect(formatTimestamp(ms)).toBe('2026-11-23 20:49:12.345');
    expect(sqlTimestamp(ms)).toBe("TIMESTAMP '2026-11-23 20:49:12.345'");
    expect(parseTimestamp('2026-11-23 20:49:12.345')).toBe(ms);
    expect(parseTimestamp('2026-11-23 20:49:12.345678')).toBe(ms + 1);
    expect(parseTimestamp('2026-11-23T20:49:12Z')).toBe(ms - 345);
    expect(parseTimestamp('2026-11-23 22:49:12.345+02')).toBe(ms);
    expect(() => parseTimestamp("2026-11-23'; --")).toThrow(RangeError);
  });
});

describe('truncateUtf8', () => {
  it('cuts at a character boundary within the byte limit', () => {
    expect(truncateUtf8('héllo', 2)).toBe('h');
    expect(truncateUtf8('😀😀', 5)).toBe('😀');
    expect(truncateUtf8('abc', 10)).toBe('abc');
  });
});

describe('sqlIdentifier', () => {
  it('quotes safe names and refuses anything else', () => {
    expect(sqlIdentifier('metric_counters')).toBe('"metric_counters"');
    expect(() => sqlIdentifier('x"; DROP TABLE y; --')).toThrow(RangeError);
  });
});

describe('formatTimestamp against Date#toISOString', () => {
  it('writes what the ISO string says, whatever came before it (its per-second cache)', () => {
    const reference = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    const near = fc.integer({ min: -5_000, max: 5_000 });
    const base = fc.oneof(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), fc.constant(0), fc.constant(Date.UTC(2026, 0, 1)));
    fc.assert(
      fc.property(base, fc.array(fc.oneof(near, near.map((d) => d + 0.5)), { maxLength: 20 }), (t, deltas) => {
        // Act / Assert: a run of nearby times, whole and fractional, as a batch has
        for (const d of deltas) {
          const ms = Math.min(253_402_300_799_999, Math.max(-62_135_596_800_000, t + d));
          expect(formatTimestamp(ms)).toBe(reference(ms));
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
