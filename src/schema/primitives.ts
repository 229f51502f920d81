/**
 * The value rules shared by the zod schemas (`clickstream.ts`, `transaction.ts`) and the
 * hand-written fast validators (`src/validate/`): one implementation of each rule, so the
 * two paths cannot drift. Every function here is allocation-free on the common path
 * because the fast validators run it on every record.
 */
import { isIP } from 'node:net';

/** Largest number of minor units we accept: beyond it sums stop being exact. */
export const MAX_MINOR = Number.MAX_SAFE_INTEGER;

/** `eventId` / `transactionId` characters (SPEC §1): 1–64 of `[A-Za-z0-9_-]`. */
export const ID_PATTERN = '^[A-Za-z0-9_-]+$';

/** Decimal text of an amount given as a string: `digits[.digits]`, ASCII digits only. */
export const DECIMAL_PATTERN = '^[0-9]+(?:\\.[0-9]+)?$';

/** Max fraction digits of an `occurredAt` string (nanoseconds); see {@link parseIsoTimestamp}. */
export const MAX_FRACTION_DIGITS = 9;

// Leap years of the proleptic Gregorian calendar: YY divisible by 4 (YY ≠ 00), or CC
// divisible by 4 with YY = 00. Written out so that a JSON Schema `pattern` (which cannot
// call code) rejects 2023-02-29 exactly as the code does.
const LEAP_FEB_29 = '(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29';
const COMMON_DATE =
  '[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))';
const TIME = `T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,${MAX_FRACTION_DIGITS}})?`;
const OFFSET = '(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])';

/**
 * `occurredAt` as a string (SPEC §1.1): `YYYY-MM-DDThh:mm:ss[.fraction]` then `Z` or
 * `±hh:mm`, with a real calendar date (leap years included), hours 00–23 (no `24:00`),
 * no leap second `:60`, offsets up to ±23:59, 1–9 fraction digits, upper-case `T`/`Z`.
 * Exactly the strings {@link parseIsoTimestamp} accepts (a property test proves it).
 */
export const ISO_TIMESTAMP_PATTERN = `^(?:${LEAP_FEB_29}|${COMMON_DATE})${TIME}${OFFSET}$`;

const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Two ASCII digits at `i`, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Parses an `occurredAt` string ({@link ISO_TIMESTAMP_PATTERN}) into UTC epoch
 * milliseconds with a char loop (no regex, no `Date`: `Date.parse` is lenient and maps years
 * 0–99 to 19xx). Fraction digits beyond milliseconds are truncated (floored), so
 * `…:00.9999Z` is `…:00.999Z`: an event never moves into the next millisecond.
 * Returns `NaN` when the string is not a valid timestamp.
 *
 * @example
 * parseIsoTimestamp('2024-02-29T12:00:00.5+01:00'); // 1709204400500
 * parseIsoTimestamp('2023-02-29T00:00:00Z');        // NaN
 */
export function parseIsoTimestamp(s: string): number {
  const n = s.length;
  if (n < 20) return NaN;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  if (y1 < 0 || y2 < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const year = y1 * 100 + y2;
  const month = two(s, 5);
  const day = two(s, 8);
  const hour = two(s, 11);
  const minute = two(s, 14);
  const second = two(s, 17);
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  if (second < 0 || second > 59) return NaN;
  const dim = month === 2 ? (isLeap(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  if (day > dim) return NaN;
  let i = 19;
  let fracMs = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    let scale = 100;
    while (i < n) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      // digits past the third are sub-millisecond: validated, then dropped (truncation)
      fracMs += c * scale;
      scale = scale === 1 ? 0 : scale / 10;
      i++;
    }
    const count = i - start;
    if (count < 1 || count > MAX_FRACTION_DIGITS) return NaN;
  }
  let offsetMin = 0;
  const c = s.charCodeAt(i);
  if (c === 90) {
    if (i + 1 !== n) return NaN;
  } else if (c === 43 || c === 45) {
    if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return NaN;
    const oh = two(s, i + 1);
    const om = two(s, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMin = (c === 43 ? 1 : -1) * (oh * 60 + om);
  } else {
    return NaN;
  }
  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + fracMs;
  return ms - offsetMin * 60_000 + 0; // `+ 0` turns -0 into 0
}

/**
 * `occurredAt` → epoch ms, or `NaN` when it is a string or number that is not a valid
 * timestamp (a number must be a non-negative safe integer of epoch milliseconds).
 *
 * @example
 * occurredAtMs(1700000000000);          // 1700000000000
 * occurredAtMs('2024-01-01T00:00:00Z'); // 1704067200000
 * occurredAtMs(-1);                     // NaN
 */
export function occurredAtMs(value: string | number): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value + 0 : NaN;
  return parseIsoTimestamp(value);
}

/**
 * Length in Unicode code points, as zod 4 and JSON Schema's `minLength`/`maxLength` count
 * (a surrogate pair is one; a lone surrogate counts as one too).
 *
 * @example
 * codePointLength('a😀'); // 2 ('a😀'.length is 3)
 */
export function codePointLength(s: string): number {
  const units = s.length;
  let count = units;
  for (let i = 0; i < units - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

/**
 * True when `s` has `min`…`max` code points. Cheap in the common case: UTF-16 units bound
 * the code-point count from above (and from below by half), so most strings need no count.
 *
 * @example
 * hasLength('😀'.repeat(64), 1, 64); // true (128 UTF-16 units)
 */
export function hasLength(s: string, min: number, max: number): boolean {
  const units = s.length;
  if (units < min) return false;
  if (units <= max && units >= min * 2) return true;
  const n = codePointLength(s);
  return n >= min && n <= max;
}

const ID_TEXT = /^[A-Za-z0-9_-]+$/;

/**
 * True for `[A-Za-z0-9_-]{1,max}`. A compiled regular expression: on the 20–40 character
 * event ids of the pipeline about twice as fast as a `charCodeAt` loop with range checks
 * (~60 vs ~130 ns per id, Node 22).
 *
 * @example
 * isIdText('evt_PZz2eJc69lTZsW5cXlMA', 64); // true
 * isIdText('evt 1', 64);                    // false
 */
export function isIdText(s: string, max: number): boolean {
  const n = s.length;
  return n >= 1 && n <= max && ID_TEXT.test(s);
}

/** True for {@link DECIMAL_PATTERN}: `digits[.digits]`. */
export function isDecimalText(s: string): boolean {
  const n = s.length;
  let i = 0;
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === 0) return false;
  if (i === n) return true;
  if (s.charCodeAt(i) !== 46) return false;
  const start = ++i;
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  return i === n && i > start;
}

function isHostChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45;
}

/**
 * Conservative pre-check: true only for URLs the WHATWG parser certainly accepts as
 * http(s): lower-case `http://`/`https://`, a host of non-empty `[A-Za-z0-9-]` labels whose
 * last label starts with a letter (so the parser's IPv4 rules cannot apply) and none
 * starting with `xn--` (punycode is validated by the parser), an optional port of 1–5
 * digits ≤ 65535, then nothing or `/`, `?`, `#` (path, query and fragment never fail).
 * Anything else falls back to `new URL`.
 */
function isSurelyHttpUrl(s: string): boolean {
  const n = s.length;
  let i: number;
  if (s.startsWith('https://')) i = 8;
  else if (s.startsWith('http://')) i = 7;
  else return false;
  let labelStart = i;
  let lastLabelStart = i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (i === labelStart) return false;
      labelStart = i + 1;
      lastLabelStart = labelStart;
      continue;
    }
    if (!isHostChar(c)) break;
    // `xn--` (any case) at a label start
    if (i === labelStart + 3 && c === 45 && s.charCodeAt(i - 1) === 45 && (s.charCodeAt(i - 2) | 32) === 110 && (s.charCodeAt(i - 3) | 32) === 120) {
      return false;
    }
  }
  if (i === labelStart) return false; // empty host or trailing dot
  const first = s.charCodeAt(lastLabelStart) | 32;
  if (first < 97 || first > 122) return false;
  if (i < n && s.charCodeAt(i) === 58) {
    const start = ++i;
    let port = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      port = port * 10 + d;
    }
    if (i === start || i - start > 5 || port > 65535) return false;
  }
  if (i === n) return true;
  const c = s.charCodeAt(i);
  return c === 47 || c === 63 || c === 35;
}

/**
 * True when the WHATWG URL parser reads `s` as an absolute URL with scheme `http` or
 * `https` (SPEC §1.1 `page.url`; the length limit is checked separately). A cheap
 * pre-check accepts the ordinary cases without `new URL`; everything else is parsed.
 *
 * @example
 * isHttpUrl('https://shop.example.com/cart'); // true
 * isHttpUrl('ftp://example.com/');            // false
 * isHttpUrl('/relative/path');                // false
 */
export function isHttpUrl(s: string): boolean {
  if (isSurelyHttpUrl(s)) return true;
  return parsedProtocolIsHttp(s);
}

/** The reference rule, without the pre-check (exported for the equivalence tests). */
export function parsedProtocolIsHttp(s: string): boolean {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return url.protocol === 'http:' || url.protocol === 'https:';
}

/**
 * True for an IPv4 or IPv6 address as `node:net` `isIP` reads it (dotted quad without
 * leading zeros; IPv6 in any RFC 4291 form, zone ids allowed).
 *
 * @example
 * isIpAddress('203.0.113.7'); // true
 * isIpAddress('2001:db8::1'); // true
 * isIpAddress('localhost');   // false
 */
export function isIpAddress(s: string): boolean {
  return isIP(s) !== 0;
}

/** {@link decimalToMinor} result: more decimals than the currency allows. */
export const TOO_MANY_DECIMALS = -1;
/** {@link decimalToMinor} result: minor units beyond `Number.MAX_SAFE_INTEGER`. */
export const OUT_OF_RANGE = -2;

/**
 * Converts a money amount to integer minor units with digit arithmetic, never floating
 * point. `amount` is a string already known to read `digits[.digits]`, or a finite
 * non-negative number, which is read as its shortest decimal text `String(n)` (SPEC §2):
 * `19.99` → `"19.99"`, `0.30000000000000004` has 17 decimals. Exponent forms that
 * `String` produces are read exactly: `1e21` is 1 followed by 21 zeros (so
 * {@link OUT_OF_RANGE}), `1e-7` has 7 decimals. Decimals are counted as written:
 * `"19.990"` has 3 (so USD rejects it: the producer's text is what we judge).
 *
 * Returns the minor units, or {@link TOO_MANY_DECIMALS}, or {@link OUT_OF_RANGE}
 * (checked in that order).
 *
 * @example
 * decimalToMinor('19.99', 2); // 1999
 * decimalToMinor(19.99, 2);   // 1999
 * decimalToMinor('1.5', 0);   // -1 (TOO_MANY_DECIMALS)
 * decimalToMinor(1e21, 2);    // -2 (OUT_OF_RANGE)
 */
export function decimalToMinor(amount: string | number, digits: number): number {
  if (typeof amount === 'number') {
    // Common case: a safe integer; its scaled value is exact while it stays ≤ MAX_MINOR.
    if (Number.isSafeInteger(amount)) {
      const scaled = amount * 10 ** digits;
      if (scaled <= MAX_MINOR) return scaled + 0;
    }
    return textToMinor(String(amount), digits);
  }
  return textToMinor(amount, digits);
}

/** `digits[.digits][e±digits]` → minor units (see {@link decimalToMinor}). */
function textToMinor(text: string, digits: number): number {
  const n = text.length;
  let intLen = -1;
  let mantissaLen = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) intLen = mantissaLen;
    else if (c === 101 || c === 69) break;
    else mantissaLen++;
  }
  if (intLen < 0) intLen = mantissaLen;
  // `e+21`, `e-7`: only `String(n)` of a number produces an exponent
  const exp = i < n ? Number(text.slice(i + 1)) : 0;
  const pointPos = intLen + exp;
  const decimals = Math.max(0, mantissaLen - pointPos);
  if (decimals > digits) return TOO_MANY_DECIMALS;
  let acc = 0;
  const limit = (MAX_MINOR - 9) / 10;
  for (let j = 0; j < i; j++) {
    const c = text.charCodeAt(j);
    if (c === 46) continue;
    if (acc > limit && acc * 10 + (c - 48) > MAX_MINOR) return OUT_OF_RANGE;
    acc = acc * 10 + (c - 48);
  }
  // The mantissa's digits are an integer; its value in minor units is that integer times
  // 10^(pointPos - mantissaLen + digits), an exponent ≥ 0 once `decimals ≤ digits`.
  for (let k = pointPos - mantissaLen + digits; k > 0 && acc !== 0; k--) {
    if (acc > MAX_MINOR / 10) return OUT_OF_RANGE;
    acc *= 10;
  }
  return acc;
}
