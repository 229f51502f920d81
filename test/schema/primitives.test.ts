import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ISO_TIMESTAMP_PATTERN,
  OUT_OF_RANGE,
  TOO_MANY_DECIMALS,
  codePointLength,
  decimalToMinor,
  isDecimalText,
  isHttpUrl,
  isIdText,
  isIpAddress,
  occurredAtMs,
  parseIsoTimestamp,
  parsedProtocolIsHttp,
} from '../../src/schema/primitives.ts';
import { badTimestamps, formatIso } from '../validate/arbitraries.ts';

const ISO_RE = new RegExp(ISO_TIMESTAMP_PATTERN);

/** Reference conversion with BigInt, independent of the digit loop under test. */
function referenceMinor(amount: string | number, digits: number): number {
  const text = String(amount);
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!m) throw new Error(`unexpected amount text ${text}`);
  const mantissa = m[1]! + (m[2] ?? '');
  const exp = Number(m[3] ?? 0) - (m[2] ?? '').length; // value = mantissa × 10^exp
  if (-exp > digits) return TOO_MANY_DECIMALS;
  const minor = BigInt(mantissa) * 10n ** BigInt(exp + digits);
  return minor > BigInt(Number.MAX_SAFE_INTEGER) ? OUT_OF_RANGE : Number(minor);
}

describe('parseIsoTimestamp', () => {
  it('reads the v1 formats', () => {
    // Act + Assert
    expect(parseIsoTimestamp('2024-05-01T12:00:00Z')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseIsoTimestamp('2024-02-29T12:00:00.5+01:00')).toBe(Date.UTC(2024, 1, 29, 11, 0, 0, 500));
    expect(parseIsoTimestamp('2024-01-01T00:00:00.123999999-23:59')).toBe(Date.UTC(2024, 0, 1, 23, 59, 0, 123));
    expect(parseIsoTimestamp('0000-01-01T00:00:00Z')).toBe(Date.parse('0000-01-01T00:00:00Z'));
    expect(parseIsoTimestamp('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseIsoTimestamp('1970-01-01T00:00:00-00:00')).toBe(0);
    expect(Object.is(parseIsoTimestamp('1970-01-01T00:00:00Z'), 0)).toBe(true);
  });

  it('rejects what is not a real date and time in the v1 format', () => {
    for (const s of badTimestamps.filter((t): t is string => typeof t === 'string')) {
      // Act + Assert
      expect(parseIsoTimestamp(s), s).toBeNaN();
      expect(ISO_RE.test(s), s).toBe(false);
    }
  });

  it('round-trips generated timestamps with any offset and 0–9 fraction digits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('0000-01-02T00:00:00Z'), max: Date.parse('9999-12-30T00:00:00Z') }),
        fc.integer({ min: -1439, max: 1439 }),
        fc.integer({ min: 0, max: 9 }),
        (ms, offset, digits) => {
          // Prepare
          const s = formatIso(ms, offset, digits, '9');
          // Act + Assert: fractions are truncated to whole milliseconds
          expect(parseIsoTimestamp(s)).toBe(digits >= 3 ? ms : Math.floor(ms / 10 ** (3 - digits)) * 10 ** (3 - digits));
          expect(ISO_RE.test(s)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly what ISO_TIMESTAMP_PATTERN (the JSON Schema pattern) accepts', () => {
    // Prepare: valid timestamps with one character replaced, inserted or removed
    const chars = [...'0123456789-:T.Z+ zt'];
    const near = fc
      .tuple(
        fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }),
        fc.integer({ min: -1439, max: 1439 }),
        fc.integer({ min: 0, max: 10 }),
        fc.nat(40),
        fc.constantFrom(...chars),
        fc.constantFrom('replace', 'insert', 'delete', 'none'),
      )
      .map(([ms, off, digits, at, c, op]) => {
        const s = formatIso(ms, off, Math.min(digits, 9));
        const i = at % (s.length + 1);
        if (op === 'replace') return s.slice(0, i) + c + s.slice(i + 1);
        if (op === 'insert') return s.slice(0, i) + c + s.slice(i);
        if (op === 'delete') return s.slice(0, i) + s.slice(i + 1);
        return s;
      });
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ maxLength: 40 })), (s) => {
        // Act + Assert
        expect(!Number.isNaN(parseIsoTimestamp(s))).toBe(ISO_RE.test(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees with Date.parse on every valid string with millisecond precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }), fc.integer({ min: -1439, max: 1439 }), (ms, off) => {
        // Prepare
        const s = formatIso(ms, off, 3);
        // Act + Assert
        expect(parseIsoTimestamp(s)).toBe(Date.parse(s));
      }),
    );
  });
});

describe('occurredAtMs', () => {
  it('takes non-negative safe integers of epoch ms and nothing else', () => {
    // Act + Assert
    expect(occurredAtMs(0)).toBe(0);
    expect(Object.is(occurredAtMs(-0), 0)).toBe(true);
    expect(occurredAtMs(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(occurredAtMs(bad)).toBeNaN();
    }
  });
});

describe('decimalToMinor', () => {
  it('converts exactly, counting decimals as written', () => {
    // Act + Assert
    expect(decimalToMinor('19.99', 2)).toBe(1999);
    expect(decimalToMinor(19.99, 2)).toBe(1999);
    expect(decimalToMinor('007.50', 2)).toBe(750);
    expect(decimalToMinor('1', 3)).toBe(1000);
    expect(decimalToMinor('1.5', 0)).toBe(TOO_MANY_DECIMALS);
    expect(decimalToMinor('19.990', 2)).toBe(TOO_MANY_DECIMALS);
    expect(decimalToMinor(0.30000000000000004, 2)).toBe(TOO_MANY_DECIMALS);
    expect(decimalToMinor(1.005, 3)).toBe(1005); // 1.005 * 1000 is 1004.9999999999999 in floats
  });

  it('reads exponent forms of String(n) exactly', () => {
    // Act + Assert
    expect(decimalToMinor(1e21, 0)).toBe(OUT_OF_RANGE);
    expect(decimalToMinor(1e-7, 2)).toBe(TOO_MANY_DECIMALS);
    expect(decimalToMinor(1e-7, 7)).toBe(1);
    expect(decimalToMinor(1.5e-7, 8)).toBe(15);
  });

  it('keeps minor units within Number.MAX_SAFE_INTEGER', () => {
    // Act + Assert
    expect(decimalToMinor('90071992547409.91', 2)).toBe(Number.MAX_SAFE_INTEGER);
    expect(decimalToMinor('90071992547409.92', 2)).toBe(OUT_OF_RANGE);
    expect(decimalToMinor(Number.MAX_SAFE_INTEGER, 0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(decimalToMinor(Number.MAX_SAFE_INTEGER, 2)).toBe(OUT_OF_RANGE);
    expect(decimalToMinor(`${'0'.repeat(500)}1.00`, 2)).toBe(100);
    expect(decimalToMinor('9'.repeat(400), 2)).toBe(OUT_OF_RANGE);
    expect(decimalToMinor(Number.MAX_VALUE, 2)).toBe(OUT_OF_RANGE);
  });

  it('matches a BigInt reference on decimal strings and on any non-negative double', () => {
    const decimalString = fc
      .tuple(fc.stringMatching(/^[0-9]{1,20}$/), fc.option(fc.stringMatching(/^[0-9]{1,6}$/)))
      .map(([i, f]) => (f === null ? i : `${i}.${f}`));
    const double = fc.double({ min: 0, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(fc.oneof(decimalString, double, fc.nat()), fc.constantFrom(0, 2, 3, 4), (amount, digits) => {
        // Act + Assert
        expect(decimalToMinor(amount, digits)).toBe(referenceMinor(amount, digits));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('isDecimalText / isIdText / codePointLength', () => {
  it('follows digits[.digits]', () => {
    // Act + Assert
    for (const ok of ['0', '00', '19.99', '007.50']) expect(isDecimalText(ok), ok).toBe(true);
    for (const bad of ['', '.5', '5.', '-1', '1e5', '1,00', ' 1', '１', '1.2.3', '+1']) expect(isDecimalText(bad), bad).toBe(false);
  });

  it('follows [A-Za-z0-9_-]{1,max}', () => {
    // Act + Assert
    expect(isIdText('a', 64)).toBe(true);
    expect(isIdText('A-z_9'.repeat(12) + 'abcd', 64)).toBe(true);
    expect(isIdText('a'.repeat(65), 64)).toBe(false);
    expect(isIdText('', 64)).toBe(false);
    expect(isIdText('a b', 64)).toBe(false);
    expect(isIdText('é', 64)).toBe(false);
    expect(isIdText('a\n', 64)).toBe(false);
  });

  it('agrees with a character-by-character reading of [A-Za-z0-9_-]{1,max} on arbitrary strings', () => {
    const allowed = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-');
    const unit = fc.oneof(fc.constantFrom(...allowed, ' ', '\n', '.', 'é', '\u0130', '\u212a', '😀', '\ud800'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 70 }), fc.integer({ min: 0, max: 66 }), (s, max) => {
        // Act + Assert
        const expected = s.length >= 1 && s.length <= max && [...s].every((c) => allowed.has(c));
        expect(isIdText(s, max)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('counts code points like zod 4', () => {
    // Act + Assert
    expect(codePointLength('a😀')).toBe(2);
    expect(codePointLength('\ud83d')).toBe(1);
    expect(codePointLength('\ude00\ud83d')).toBe(2);
  });
});

describe('isHttpUrl', () => {
  it('accepts absolute http(s) URLs as the WHATWG parser reads them', () => {
    // Act + Assert
    for (const ok of [
      'https://shop.example.com/cart',
      'HTTPS://Shop.Example.com:443/Cart/?x=1#top',
      'http://[::1]:8080/',
      'https://192.168.0.1/',
      'https:example.com',
      ' https://example.com ',
      'https://xn--mnchen-3ya.de/',
      'https://bücher.example/',
    ]) {
      expect(isHttpUrl(ok), ok).toBe(true);
    }
    for (const bad of ['ftp://example.com/', '/relative', 'example.com', 'https://', 'https://a b.com/', 'https://1.2.3.999/', 'https://xn--a.com/', 'mailto:a@b.c', '']) {
      expect(isHttpUrl(bad), bad).toBe(false);
    }
  });

  it('the pre-check never accepts what new URL rejects', () => {
    // Prepare: URL-like strings around the pre-check's edges
    const piece = fc.constantFrom('http://', 'https://', 'HTTP://', 'http:/', 'ftp://', 'a', 'Z', '0', '9', '-', '.', 'xn--', 'XN--', ':', '80', '99999', '/', '?', '#', '@', ' ', '\t', '\\', '[', ']', 'é', '%', '0x1');
    const urlish = fc.tuple(fc.constantFrom('http://', 'https://'), fc.array(piece, { maxLength: 8 })).map(([p, a]) => p + a.join(''));
    fc.assert(
      fc.property(fc.oneof(urlish, fc.array(piece, { maxLength: 8 }).map((a) => a.join(''))), (s) => {
        // Act + Assert
        expect(isHttpUrl(s)).toBe(parsedProtocolIsHttp(s));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('isIpAddress', () => {
  it('accepts IPv4 and IPv6 only', () => {
    // Act + Assert
    for (const ok of ['203.0.113.7', '0.0.0.0', '2001:db8::1', '::1', '::ffff:1.2.3.4']) expect(isIpAddress(ok), ok).toBe(true);
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', 'localhost', '', '1.2.3.4 ']) expect(isIpAddress(bad), bad).toBe(false);
  });
});
