/**
 * Small helpers shared by the DynamoDB sinks: bounded concurrency, DynamoDB's size and
 * expression limits, error names, and the key layout of the metrics table.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's item size limit (400 KB, binary units). */
export const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's limit on each expression string (4 KB). */
export const MAX_EXPRESSION_BYTES = 4 * 1024;

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results keep input order.
 *
 * @example
 * const sizes = await mapLimit(keys, 16, (k) => readSize(k));
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}

/**
 * True when `err` is DynamoDB's answer to a condition that did not hold.
 *
 * @example
 * try { await client.send(put); } catch (err) { if (!isConditionalCheckFailed(err)) throw err; }
 */
export function isConditionalCheckFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

/**
 * True when DynamoDB refused a request because an item or expression is too large.
 *
 * @example
 * isSizeLimitError({ name: 'ValidationException', message: 'Item size has exceeded the maximum allowed size' }) // → true
 */
export function isSizeLimitError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; message?: string };
  return e.name === 'ValidationException' && /size|too long|exceed/i.test(e.message ?? '');
}

/**
 * Size of an item as DynamoDB bills and limits it: attribute names plus values (strings and
 * binaries by length, numbers about one byte per two digits plus one). An estimate, on the
 * safe side, good enough for the 400 KB limit and the unit count of a failed condition.
 *
 * @example
 * itemSizeBytes({ pk: { S: 'a' }, n: { N: '12' } }) // → 2 + 1 + 2 + 1
 */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((s, x) => s + Buffer.byteLength(x), 0);
  if (v.NS) return v.NS.reduce((s, x) => s + Math.ceil(x.length / 2) + 1, 0);
  if (v.BS) return v.BS.reduce((s, x) => s + x.byteLength, 0);
  if (v.L) return 3 + v.L.reduce((s, x) => s + 1 + valueSize(x), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k) + valueSize(x), 0);
  return 1;
}

/**
 * Write units of an item of `bytes` bytes: one per started KB, at least one.
 *
 * @example
 * writeUnits(1025) // → 2
 */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** The write statistics every DynamoDB sink keeps (requests and units billed). */
export interface WriteStats {
  /** write requests DynamoDB processed (conditional failures included, throttled attempts not) */
  requests: number;
  /** write capacity units consumed, as DynamoDB reported them (failed conditions estimated) */
  wcu: number;
  /** writes whose condition failed (replays, races, duplicates) */
  conditionalFailures: number;
}

/**
 * `YYYY-MM-DD` of a UTC instant.
 *
 * @example
 * utcDay(Date.UTC(2026, 0, 2, 3, 4)) // → '2026-01-02'
 */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * `YYYY-MM-DDTHH:MM` of a UTC instant.
 *
 * @example
 * utcMinute(Date.UTC(2026, 0, 2, 3, 4, 5)) // → '2026-01-02T03:04'
 */
export function utcMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/**
 * Key of a counter item: one group, one bucket, one 1-minute window.
 *
 * @example
 * counterKey('pages', Date.UTC(2026, 0, 2, 3, 4), 7) // → { pk: 'C#pages#2026-01-02', sk: '2026-01-02T03:04#07' }
 */
export function counterKey(group: string, windowStart: number, bucket: number): { pk: string; sk: string } {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket > 99) throw new RangeError(`bucket out of range 0–99: ${bucket}`);
  return { pk: `C#${group}#${utcDay(windowStart)}`, sk: `${utcMinute(windowStart)}#${String(bucket).padStart(2, '0')}` };
}

/**
 * Key of a sketch partial: one group, one window, one writer (shard).
 *
 * @example
 * sketchKey('visitors', Date.UTC(2026, 0, 2, 3, 4), 'clickstream/shardId-0') // → { pk: 'S#visitors#2026-01-02', sk: '2026-01-02T03:04#clickstream/shardId-0' }
 */
export function sketchKey(group: string, windowStart: number, shardId: string): { pk: string; sk: string } {
  return { pk: `S#${group}#${utcDay(windowStart)}`, sk: `${utcMinute(windowStart)}#${shardId}` };
}

/**
 * The day partitions and sort-key bounds that hold the windows `fromMs <= ws < toMs` of a
 * group: one Query per UTC day, `lower <= sk < upper`. Sort keys start with the window's
 * minute, so rounding both ends up to a whole minute selects exactly those windows.
 *
 * @example
 * dayRanges('C', 'pages', Date.UTC(2026, 0, 1, 23, 59), Date.UTC(2026, 0, 2, 0, 1))
 * // → [{ pk: 'C#pages#2026-01-01', lower: '2026-01-01T23:59', upper: '2026-01-02T00:00' },
 * //    { pk: 'C#pages#2026-01-02', lower: '2026-01-02T00:00', upper: '2026-01-02T00:01' }]
 */
export function dayRanges(prefix: 'C' | 'S', group: string, fromMs: number, toMs: number): { pk: string; lower: string; upper: string }[] {
  const from = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS;
  const to = Math.ceil(toMs / MINUTE_MS) * MINUTE_MS;
  const out: { pk: string; lower: string; upper: string }[] = [];
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    const lo = Math.max(from, day);
    const hi = Math.min(to, day + DAY_MS);
    if (lo >= hi) continue;
    // The upper bound of a day is the next day's midnight, which sorts after all of this day's keys.
    out.push({ pk: `${prefix}#${group}#${utcDay(day)}`, lower: utcMinute(lo), upper: utcMinute(hi) });
  }
  return out;
}
