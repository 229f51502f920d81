/**
 * SQL literals for the statements that cannot carry parameters. `BatchExecuteStatement`
 * takes no parameters at all, so the metric mirror writes its rows as literals: every value
 * goes through one of these functions, never through string concatenation of raw input.
 *
 * The two dialects disagree on backslashes:
 * - Amazon Redshift treats `\` inside an ordinary `'…'` literal as an escape character
 *   (its own `QUOTE_LITERAL` doubles both quotes and backslashes), so `\` must be doubled.
 * - PostgreSQL (and PGlite) with `standard_conforming_strings = on` (the default since 9.1)
 *   keeps `\` literally in `'…'`. Rather than depend on that setting, the postgres dialect
 *   writes an escape string `E'…'`, in which `\` is an escape whatever the setting is, and
 *   doubles the backslashes there too.
 * NUL cannot be stored in a VARCHAR by either database, and is removed (cleaning already
 * strips control characters, so this only ever affects hostile input).
 */

export type SqlDialect = 'redshift' | 'postgres';

/**
 * Quotes a string as an SQL literal for the dialect.
 *
 * @example
 * sqlString("O'Brien \\ co", 'redshift') // → 'O''Brien \\\\ co' (as SQL text: 'O''Brien \\ co')
 * sqlString("O'Brien", 'postgres')       // → E'O''Brien'
 */
export function sqlString(value: string, dialect: SqlDialect): string {
  if (typeof value !== 'string') throw new TypeError(`sqlString: not a string: ${typeof value}`);
  // eslint-disable-next-line no-control-regex
  const body = value.replace(/\u0000/g, '').replace(/\\/g, '\\\\').replace(/'/g, "''");
  return dialect === 'postgres' ? `E'${body}'` : `'${body}'`;
}

/**
 * Writes a finite number (or a bigint) as an SQL numeric literal; anything else throws,
 * so that `NaN` or `Infinity` can never become SQL text.
 *
 * @example
 * sqlNumber(42) // → '42'
 * sqlNumber(-1.5) // → '-1.5'
 */
export function sqlNumber(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`sqlNumber: not a finite number: ${String(value)}`);
  // String(1e21) is '1e+21', which both databases read as a numeric literal anyway; only
  // integers are expected here (counters, versions), so keep the plain form when exact.
  return Number.isSafeInteger(value) ? value.toFixed(0) : String(value);
}

/**
 * Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS.mmm` (UTC, no zone): the text both
 * Redshift and PostgreSQL read as a `timestamp` (without time zone), and what Redshift's
 * COPY `timeformat 'auto'` accepts.
 *
 * @example
 * formatTimestamp(0) // → '1970-01-01 00:00:00.000'
 */
export function formatTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a timestamp: ${ms}`);
  // Every cleaned event writes two of these, and a batch's times share a few seconds: the
  // text up to the second is kept for the last two seconds seen (a Date and an ISO string
  // per call were ~2 % of a sandbox's CPU in bench:e2e).
  const whole = Number.isInteger(ms);
  const second = Math.floor(ms / 1000);
  if (whole && (second === cachedSeconds[0] || second === cachedSeconds[1])) {
    const millis = String(ms - second * 1000).padStart(3, '0');
    return `${cachedPrefixes[second === cachedSeconds[0] ? 0 : 1]}.${millis}`;
  }
  const iso = new Date(ms).toISOString();
  if (!/^\d{4}-/.test(iso)) throw new RangeError(`timestamp out of range: ${ms}`);
  const prefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  if (whole) {
    cachedSeconds[1] = cachedSeconds[0]!;
    cachedPrefixes[1] = cachedPrefixes[0]!;
    cachedSeconds[0] = second;
    cachedPrefixes[0] = prefix;
  }
  return `${prefix}.${iso.slice(20, 23)}`;
}
const cachedSeconds: number[] = [Number.NaN, Number.NaN];
const cachedPrefixes: string[] = ['', ''];

/**
 * Writes epoch milliseconds as a `TIMESTAMP '…'` literal (UTC).
 *
 * @example
 * sqlTimestamp(Date.UTC(2026, 0, 1)) // → "TIMESTAMP '2026-01-01 00:00:00.000'"
 */
export function sqlTimestamp(ms: number): string {
  return `TIMESTAMP '${formatTimestamp(ms)}'`;
}

/**
 * Parses a timestamp as the databases print it (`2026-01-01 00:00:00[.fff]`, optionally
 * with `T`, a zone suffix or fewer fraction digits) back to epoch milliseconds, reading it
 * as UTC. Throws on anything else.
 *
 * @example
 * parseTimestamp('2026-01-01 00:01:00') // → 1767225660000
 */
export function parseTimestamp(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (!m) throw new RangeError(`not a timestamp: ${JSON.stringify(text)}`);
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  let ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + Math.round(frac);
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const offset = (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60_000;
    ms -= z[1] === '+' ? offset : -offset;
  }
  return ms;
}

/** Quotes an identifier (a schema or table name given by configuration). */
export function sqlIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,126}$/.test(name)) throw new RangeError(`not a safe SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/**
 * Truncates a string to at most `maxBytes` bytes of UTF-8 without splitting a character
 * (Redshift measures VARCHAR lengths in bytes, PostgreSQL in characters: bytes is the
 * stricter of the two).
 *
 * @example
 * truncateUtf8('héllo', 2) // → 'h'
 */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (value.length * 3 <= maxBytes) return value;
  const buf = Buffer.from(value, 'utf8');
  if (buf.length <= maxBytes) return value;
  let end = maxBytes;
  // step back over continuation bytes (10xxxxxx) to a character boundary
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
