/**
 * The `--from` / `--to` times of `stream-metrics query` (SPEC §7 "--from ISO"): ISO-8601
 * only, read strictly. `Date.parse` is not used: it reads `1` as the year 2001, accepts
 * `Dec 6 2026`, and takes a date and time without an offset as the machine's local time.
 */
import { parseIsoTimestamp } from '../schema/primitives.ts';

const QUERY_TIME = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * A query time in epoch milliseconds, or `NaN` when it is not one of `YYYY-MM-DD`,
 * `YYYY-MM-DDThh:mm[:ss[.fraction]]` optionally followed by `Z` or an offset (`±hh:mm`, or
 * ISO 8601's basic `±hhmm` and `±hh`), with a real calendar date and time; a space may stand
 * for the `T`, as RFC 3339 allows. A time without an offset is UTC (as the windows are),
 * never the machine's local time.
 *
 * @example
 * parseQueryTime('2026-11-23T10:00Z');      // 1795428000000
 * parseQueryTime('2026-11-23');             // 1795392000000 (midnight UTC)
 * parseQueryTime('2026-11-23T11:00+01:00'); // 1795428000000
 * parseQueryTime('2026-11-23 11:00:00+0100'); // 1795428000000
 * parseQueryTime('1');                      // NaN
 */
export function parseQueryTime(text: string): number {
  const m = QUERY_TIME.exec(text.trim());
  if (!m) return NaN;
  const [, date, hm, sec, zone] = m;
  // Offsets as parseIsoTimestamp reads them: `±hh:mm`.
  const offset = !zone || zone.length === 1 ? 'Z' : `${zone.slice(0, 3)}:${zone.length === 3 ? '00' : zone.slice(-2)}`;
  return parseIsoTimestamp(`${date}T${hm ?? '00:00'}${sec ?? ':00'}${offset}`);
}
