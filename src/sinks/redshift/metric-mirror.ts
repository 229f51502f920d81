/**
 * The idempotent Redshift mirror of the metric store (DESIGN-NOTES, recommended design 3).
 *
 * Every row carries the absolute value of a cell and the version (update count) of the
 * DynamoDB item it came from. One load is one `BatchExecuteStatement` (one transaction):
 *
 *   LOCK the target tables                       -- loads of other shards queue, no races
 *   CREATE TEMP TABLE stage (LIKE target)
 *   INSERT INTO stage VALUES (…), (…)            -- escaped literals: batches take no parameters
 *   DELETE FROM target USING stage               -- rows whose stored version is older
 *   INSERT INTO target SELECT … FROM stage       -- keys with no row left
 *     LEFT JOIN target … WHERE target IS NULL
 *   DROP TABLE stage
 *
 * A replayed load (same versions) and a late, older load delete nothing and insert
 * nothing, so the tables end the same whatever the order and number of loads. Redshift does
 * not enforce keys; the lock is what keeps two concurrent loads of the same key from both
 * inserting it (on PostgreSQL a weaker mode that still lets readers in).
 *
 * Cost: with the Data API a load is 1 BatchExecuteStatement + the DescribeStatement polls
 * (1 when the batch finishes before the first poll, ~25 ms).
 */
import { StatementFailedError } from '../../errors.ts';
import { findMetric } from '../../metrics/catalog.ts';
import type { CounterRow, SketchRow } from '../../types.ts';
import { isRetryableError, withRetry, type RetryOptions } from '../retry.ts';
import type { DataApi } from './data-api.ts';
import { sqlNumber, sqlString, sqlTimestamp, truncateUtf8, type SqlDialect } from './sql-literal.ts';
import { METRIC_COUNTER_COLUMNS, METRIC_LIMITS, METRIC_SKETCH_COLUMNS } from './tables.ts';

/** Limits of one BatchExecuteStatement (Data API): statements and bytes per statement. */
export const BATCH_LIMITS = { statements: 40, statementBytes: 100_000 } as const;
/** Headroom under the 100 KB statement limit for the INSERT prefix. */
const CHUNK_BYTES = 90_000;

/**
 * Canonical dims: a JSON object with sorted keys, `{}` for none. Equal dims give equal text
 * whatever order their keys came in, so the text is a key.
 *
 * @example
 * canonicalDims({ currency: 'USD', country: 'FR' }) // → '{"country":"FR","currency":"USD"}'
 */
export function canonicalDims(dims: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(dims).sort()) sorted[k] = dims[k]!;
  return JSON.stringify(sorted);
}

/**
 * The order of a row's dimensions in the `dimN_*` columns: the catalog's order for that
 * combination (`revenue` by currency × country → currency, country), whatever order the
 * keys came in, so a replay writes the same columns; sorted for metrics the catalog lacks.
 */
export function dimOrder(metric: string, dims: Record<string, string>): string[] {
  const names = Object.keys(dims).sort();
  const combo = findMetric(metric)?.combos.find((c) => c.length === names.length && [...c].sort().every((d, i) => d === names[i]));
  return combo ? [...combo] : names;
}

interface Table {
  name: 'metric_counters' | 'metric_sketches';
  stage: string;
  columns: readonly string[];
  key: readonly string[];
}

const COUNTERS: Table = {
  name: 'metric_counters',
  stage: 'stage_metric_counters',
  columns: METRIC_COUNTER_COLUMNS.map((c) => c.name),
  key: ['metric', 'dims', 'window_start'],
};
const SKETCHES: Table = {
  name: 'metric_sketches',
  stage: 'stage_metric_sketches',
  columns: METRIC_SKETCH_COLUMNS.map((c) => c.name),
  key: ['metric', 'dims', 'window_start', 'shard_id'],
};

/** A Redshift serialisable-isolation conflict or a deadlock: the same batch can simply run again. */
function isConflict(err: unknown): boolean {
  return err instanceof StatementFailedError && /serializ|1023|deadlock|could not obtain lock/i.test(err.error);
}

function checkKey(what: string, value: string, maxBytes: number): string {
  if (Buffer.byteLength(value, 'utf8') > maxBytes) throw new RangeError(`metric mirror: ${what} longer than ${maxBytes} bytes: ${value.slice(0, 80)}…`);
  return value;
}

export interface MirrorStats {
  loads: number;
  batches: number;
  counterRows: number;
  sketchRows: number;
}

/**
 * Loads absolute metric values into `metric_counters` / `metric_sketches` so that only a
 * newer version of a key replaces what is stored.
 *
 * @example
 * const mirror = new RedshiftMetricMirror(new DataApi(client, target), 'redshift');
 * await mirror.load([{ metric: 'orders', dims: {}, windowStart, value: 3, version: 7 }], []);
 */
export class RedshiftMetricMirror {
  readonly stats: MirrorStats = { loads: 0, batches: 0, counterRows: 0, sketchRows: 0 };

  constructor(
    private readonly api: Pick<DataApi, 'batch'>,
    private readonly dialect: SqlDialect,
    private readonly options: { retry?: RetryOptions; now?: () => number } = {},
  ) {}

  /** Loads one batch's rows; resolves when the transaction has committed. */
  async load(counters: CounterRow[], sketches: SketchRow[]): Promise<void> {
    const loadedAt = sqlTimestamp((this.options.now ?? Date.now)());
    const counterTuples = latestByKey(counters, (r) => [r.metric, canonicalDims(r.dims), r.windowStart].join('\u0001')).map((r) => this.counterTuple(r, loadedAt));
    const sketchTuples = latestByKey(sketches, (r) => [r.metric, canonicalDims(r.dims), r.windowStart, r.shardId].join('\u0001')).map((r) => this.sketchTuple(r, loadedAt));
    this.stats.loads++;
    this.stats.counterRows += counterTuples.length;
    this.stats.sketchRows += sketchTuples.length;
    for (const batch of this.plan(counterTuples, sketchTuples)) {
      this.stats.batches++;
      await withRetry(() => this.api.batch(batch), {
        ...this.options.retry,
        retryable: (err) => isConflict(err) || (this.options.retry?.retryable ?? isRetryableError)(err),
      });
    }
  }

  /**
   * The statements of a load, split into batches that respect the Data API's limits. Most
   * loads are one batch; a very large one becomes several, each a complete, idempotent load
   * of a subset of the keys.
   */
  plan(counterTuples: string[], sketchTuples: string[]): string[][] {
    const counterChunks = chunk(counterTuples, insertPrefix(COUNTERS));
    const sketchChunks = chunk(sketchTuples, insertPrefix(SKETCHES));
    const batches: string[][] = [];
    // Fixed statements per table: create, delete, insert, drop; plus one LOCK.
    const room = BATCH_LIMITS.statements - 9;
    let ci = 0;
    let si = 0;
    while (ci < counterChunks.length || si < sketchChunks.length) {
      const c = counterChunks.slice(ci, ci + room);
      const s = sketchChunks.slice(si, si + (room - c.length));
      ci += c.length;
      si += s.length;
      batches.push(this.batchStatements(c, s));
    }
    return batches;
  }

  private batchStatements(counterInserts: string[], sketchInserts: string[]): string[] {
    const tables = [...(counterInserts.length ? [COUNTERS] : []), ...(sketchInserts.length ? [SKETCHES] : [])];
    const names = tables.map((t) => t.name).join(', ');
    const out = [this.dialect === 'redshift' ? `LOCK ${names}` : `LOCK TABLE ${names} IN SHARE ROW EXCLUSIVE MODE`];
    for (const t of tables) {
      const inserts = t === COUNTERS ? counterInserts : sketchInserts;
      const match = t.key.map((k) => `${t.name}.${k} = s.${k}`).join(' AND ');
      const join = t.key.map((k) => `t.${k} = s.${k}`).join(' AND ');
      const cols = t.columns.join(', ');
      out.push(`CREATE TEMP TABLE ${t.stage} (LIKE ${t.name})`);
      out.push(...inserts);
      out.push(`DELETE FROM ${t.name} USING ${t.stage} s WHERE ${match} AND ${t.name}.version < s.version`);
      out.push(
        `INSERT INTO ${t.name} (${cols}) SELECT ${t.columns.map((c) => `s.${c}`).join(', ')} FROM ${t.stage} s LEFT JOIN ${t.name} t ON ${join} WHERE t.metric IS NULL`,
      );
      out.push(`DROP TABLE ${t.stage}`);
    }
    return out;
  }

  private counterTuple(r: CounterRow, loadedAt: string): string {
    const d = this.dialect;
    const names = dimOrder(r.metric, r.dims);
    const dim = (i: number) => {
      const n = names[i];
      return n === undefined
        ? ['NULL', 'NULL']
        : [sqlString(truncateUtf8(n, METRIC_LIMITS.dimName), d), sqlString(truncateUtf8(r.dims[n]!, METRIC_LIMITS.dimValue), d)];
    };
    return `(${[
      sqlString(checkKey('metric', r.metric, METRIC_LIMITS.metric), d),
      sqlString(checkKey('dims', canonicalDims(r.dims), METRIC_LIMITS.dims), d),
      ...dim(0),
      ...dim(1),
      sqlTimestamp(r.windowStart),
      sqlNumber(r.value),
      sqlNumber(r.version),
      loadedAt,
    ].join(', ')})`;
  }

  private sketchTuple(r: SketchRow, loadedAt: string): string {
    const d = this.dialect;
    const n = dimOrder(r.metric, r.dims)[0];
    return `(${[
      sqlString(checkKey('metric', r.metric, METRIC_LIMITS.metric), d),
      sqlString(checkKey('dims', canonicalDims(r.dims), METRIC_LIMITS.dims), d),
      n === undefined ? 'NULL' : sqlString(truncateUtf8(n, METRIC_LIMITS.dimName), d),
      n === undefined ? 'NULL' : sqlString(truncateUtf8(r.dims[n]!, METRIC_LIMITS.dimValue), d),
      sqlTimestamp(r.windowStart),
      sqlString(checkKey('shard id', r.shardId, METRIC_LIMITS.shardId), d),
      sqlString(r.kind, d),
      sqlString(checkKey('sketch', r.sketch, METRIC_LIMITS.sketch), d),
      sqlNumber(r.version),
      loadedAt,
    ].join(', ')})`;
  }
}

const insertPrefix = (t: Table) => `INSERT INTO ${t.stage} (${t.columns.join(', ')}) VALUES `;

/** Packs tuples into multi-row INSERTs of at most CHUNK_BYTES bytes each. */
function chunk(tuples: string[], prefix: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let bytes = Buffer.byteLength(prefix);
  for (const t of tuples) {
    const b = Buffer.byteLength(t) + 2;
    if (cur.length > 0 && bytes + b > CHUNK_BYTES) {
      out.push(prefix + cur.join(', '));
      cur = [];
      bytes = Buffer.byteLength(prefix);
    }
    cur.push(t);
    bytes += b;
  }
  if (cur.length > 0) out.push(prefix + cur.join(', '));
  for (const s of out) {
    if (Buffer.byteLength(s) > BATCH_LIMITS.statementBytes) throw new RangeError(`metric mirror: one row exceeds the ${BATCH_LIMITS.statementBytes}-byte statement limit`);
  }
  return out;
}

/** Keeps one row per key: the highest version (a batch should not repeat a key, but be safe). */
function latestByKey<T extends { version: number }>(rows: T[], key: (r: T) => string): T[] {
  const best = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    const cur = best.get(k);
    if (!cur || r.version > cur.version) best.set(k, r);
  }
  return [...best.values()];
}
