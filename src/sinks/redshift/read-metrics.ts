/**
 * Reads the mirrored metrics back (`stream-metrics query --source redshift`). Values reach
 * the SQL only as Data API parameters; times are sent as `YYYY-MM-DD HH:MM:SS.mmm` text and
 * cast in SQL, because the Data API's parameters are untyped strings.
 */
import type { CounterRow, SketchKind, SketchRow } from '../../types.ts';
import type { DataApi } from './data-api.ts';
import { formatTimestamp, parseTimestamp } from './sql-literal.ts';

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(String(v)));
const asMs = (v: unknown): number => (v instanceof Date ? v.getTime() : typeof v === 'number' ? v : parseTimestamp(String(v)));

function parseDims(text: unknown): Record<string, string> {
  const parsed: unknown = JSON.parse(String(text ?? '{}'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError(`dims is not a JSON object: ${String(text)}`);
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/**
 * The counter rows of a metric with `fromMs <= window_start < toMs`, every dimension
 * combination, ordered by window and dims.
 *
 * @example
 * const rows = await readCounters(api, 'revenue', Date.parse('2026-01-01'), Date.parse('2026-01-02'));
 */
export async function readCounters(api: Pick<DataApi, 'execute'>, metric: string, fromMs: number, toMs: number): Promise<CounterRow[]> {
  const { rows } = await api.execute(
    `SELECT metric, dims, window_start, value, version FROM metric_counters
     WHERE metric = :metric AND window_start >= CAST(:from_ts AS TIMESTAMP) AND window_start < CAST(:to_ts AS TIMESTAMP)
     ORDER BY window_start, dims`,
    { metric, from_ts: formatTimestamp(fromMs), to_ts: formatTimestamp(toMs) },
  );
  return rows.map((r) => ({ metric: String(r[0]), dims: parseDims(r[1]), windowStart: asMs(r[2]), value: toNumber(r[3]), version: toNumber(r[4]) }));
}

/**
 * The per-shard sketch partials of a metric with `fromMs <= window_start < toMs`; the
 * caller merges the partials of one window and dims.
 *
 * @example
 * const rows = await readSketches(api, 'unique_visitors', fromMs, toMs);
 */
export async function readSketches(api: Pick<DataApi, 'execute'>, metric: string, fromMs: number, toMs: number): Promise<SketchRow[]> {
  const { rows } = await api.execute(
    `SELECT metric, dims, window_start, shard_id, kind, sketch, version FROM metric_sketches
     WHERE metric = :metric AND window_start >= CAST(:from_ts AS TIMESTAMP) AND window_start < CAST(:to_ts AS TIMESTAMP)
     ORDER BY window_start, dims, shard_id`,
    { metric, from_ts: formatTimestamp(fromMs), to_ts: formatTimestamp(toMs) },
  );
  return rows.map((r) => ({
    metric: String(r[0]),
    dims: parseDims(r[1]),
    windowStart: asMs(r[2]),
    shardId: String(r[3]),
    kind: String(r[4]) as SketchKind,
    sketch: String(r[5]),
    version: toNumber(r[6]),
  }));
}
