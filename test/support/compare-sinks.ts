/**
 * Reads back everything the workers stored — the DynamoDB metric items (through the metric
 * store's read path and the query path), the Redshift mirror tables, the Firehose event
 * tables and the bad-records table — and compares it with the reference computed once over
 * the same input (test/support/reference.ts). Cell by cell and minute by minute: counters
 * exactly, sketches byte for byte (sketches serialise canonically, so the merged per-shard
 * partials must be the very bytes of the sketch built once).
 *
 * One thing is legitimately order-dependent: which copy of a producer duplicate sent to two
 * shards counts depends on which shard gets there first. That moves only the `records`
 * metric's counted/duplicate counts between arrival minutes (so those are compared as
 * counted + duplicate per minute, and per reason over all time) and the position columns of
 * that event's row (compared against the copies' positions).
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import { findMetric, GROUPS, METRICS, decodeCell, type GroupName } from '../../src/metrics/catalog.ts';
import { runQuery } from '../../src/query/run-query.ts';
import { DynamoBadRecordStore } from '../../src/sinks/dynamodb/bad-record-store.ts';
import { DynamoMetricStore } from '../../src/sinks/dynamodb/metric-store.ts';
import { toEventRow } from '../../src/sinks/firehose-sink.ts';
import type { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { canonicalDims } from '../../src/sinks/redshift/metric-mirror.ts';
import { parseTimestamp } from '../../src/sinks/redshift/sql-literal.ts';
import { EVENT_TABLES } from '../../src/sinks/redshift/tables.ts';
import { mergeSketchBytes } from '../../src/sketch/index.ts';
import type { ClassifiedRecord, SketchKind, StreamKind } from '../../src/types.ts';
import { referenceCells, referenceQuery } from './reference.ts';

export type Classified = ClassifiedRecord & { streamName: string };
/** cell key → value text (a counter's value, or `<kind>:<base64>` of a sketch) */
export type CellTable = Map<string, string>;

const DAY = 86_400_000;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function cellKey(metric: string, dims: Record<string, string>, windowStart: number): string {
  return `${metric} ${canonicalDims(dims)} ${new Date(windowStart).toISOString()}`;
}

/**
 * Adds a counter cell. A `records` cell of the counted or duplicate outcome counts twice, in
 * two order-independent sums instead of its own: per minute, counted + duplicate together
 * (every valid, unfiltered copy is one or the other), and per reason over all time.
 */
function addCounter(t: CellTable, metric: string, dims: Record<string, string>, windowStart: number, n: number): void {
  const add = (key: string) => t.set(key, String(Number(t.get(key) ?? 0) + n));
  if (metric === 'records' && (dims.outcome === 'counted' || dims.outcome === 'duplicate')) {
    add(cellKey(metric, { ...dims, outcome: 'counted+duplicate', reason: '*' }, windowStart));
    add(`${metric} ${canonicalDims(dims)} *`);
  } else add(cellKey(metric, dims, windowStart));
}

function addSketch(t: CellTable, key: string, kind: SketchKind, bytes: Uint8Array): void {
  const prev = t.get(key);
  const prevBytes = prev === undefined ? undefined : new Uint8Array(Buffer.from(prev.slice(prev.indexOf(':') + 1), 'base64'));
  t.set(key, `${kind}:${b64(mergeSketchBytes(kind, prevBytes, bytes))}`);
}

const kindOf = (metric: string): SketchKind => (findMetric(metric)?.kind === 'ddsketch' ? 'ddsketch' : 'hll');

/** Sorted entries: a readable diff when a comparison fails. */
export const entries = (t: CellTable): [string, string][] => [...t].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The reference's cells, and the range of their windows. */
export function expectedCells(classified: readonly Classified[]): { cells: CellTable; fromMs: number; toMs: number } {
  const cells: CellTable = new Map();
  let lo = Infinity;
  let hi = -Infinity;
  for (const [k, metricCells] of referenceCells(classified)) {
    const metric = k.slice(0, k.indexOf('|'));
    for (const c of metricCells.values()) {
      lo = Math.min(lo, c.windowStart);
      hi = Math.max(hi, c.windowStart);
      const key = cellKey(metric, c.dims, c.windowStart);
      if (c.hll) addSketch(cells, key, 'hll', c.hll.toBytes());
      else if (c.dd) addSketch(cells, key, 'ddsketch', c.dd.toBytes());
      else addCounter(cells, metric, c.dims, c.windowStart, c.value);
    }
  }
  // A day on either side: anything the sinks put in a wrong window nearby shows up too.
  return { cells, fromMs: lo - DAY, toMs: hi + DAY };
}

/** The DynamoDB metric items in a range, through the metric store's read path; `items` counts them. */
export async function dynamoCells(store: DynamoMetricStore, fromMs: number, toMs: number): Promise<{ cells: CellTable; items: number }> {
  const cells: CellTable = new Map();
  let items = 0;
  for (const [group, def] of Object.entries(GROUPS) as [GroupName, (typeof GROUPS)[GroupName]][]) {
    if (def.kind === 'counter') {
      for await (const item of store.readCounters(group, fromMs, toMs)) {
        items++;
        for (const [cell, value] of item.cells) {
          const c = decodeCell(cell);
          addCounter(cells, c.metric, c.dims, item.windowStart, value);
        }
      }
    } else {
      for await (const item of store.readSketches(group, fromMs, toMs)) {
        items++;
        for (const [cell, bytes] of item.cells) {
          const c = decodeCell(cell);
          addSketch(cells, cellKey(c.metric, c.dims, item.windowStart), kindOf(c.metric), bytes);
        }
      }
    }
  }
  return { cells, items };
}

/** Items in a DynamoDB table (a Scan), to prove none lies outside what was read. */
async function countItems(client: DynamoDBClient, table: string): Promise<number> {
  let n = 0;
  let start: Record<string, never> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }));
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return n;
}

/** Every row of the Redshift mirror tables, and keys stored more than once (Redshift enforces no key). */
export async function redshiftCells(api: DataApi): Promise<{ cells: CellTable; repeatedKeys: unknown[][] }> {
  const cells: CellTable = new Map();
  const counters = await api.execute('SELECT metric, dims, window_start, value FROM metric_counters');
  for (const [metric, dims, ws, value] of counters.rows) {
    addCounter(cells, String(metric), JSON.parse(String(dims)) as Record<string, string>, parseTimestamp(String(ws)), Number(value));
  }
  const sketches = await api.execute('SELECT metric, dims, window_start, kind, sketch FROM metric_sketches');
  for (const [metric, dims, ws, kind, sketch] of sketches.rows) {
    addSketch(cells, cellKey(String(metric), JSON.parse(String(dims)) as Record<string, string>, parseTimestamp(String(ws))), kind as SketchKind, new Uint8Array(Buffer.from(String(sketch), 'base64')));
  }
  const repeated = await api.execute(
    `SELECT 'c', metric, dims, window_start, '' FROM metric_counters GROUP BY metric, dims, window_start HAVING COUNT(*) > 1
     UNION ALL SELECT 's', metric, dims, window_start, shard_id FROM metric_sketches GROUP BY metric, dims, window_start, shard_id HAVING COUNT(*) > 1`,
  );
  return { cells, repeatedKeys: repeated.rows };
}

type Row = Record<string, unknown>;
const POSITION = ['shard_id', 'sequence_number', 'sub_sequence', 'arrived_at'] as const;

/** A row with comparable values: timestamps as epoch ms, integers as numbers. */
function normalize(stream: StreamKind, row: Row): Row {
  const out: Row = {};
  for (const c of EVENT_TABLES[stream].columns) {
    const v = row[c.name] ?? null;
    out[c.name] = v === null ? null : c.type === 'TIMESTAMP' ? parseTimestamp(String(v)) : c.type === 'INTEGER' || c.type === 'BIGINT' ? Number(v) : String(v);
  }
  return out;
}

const keyOf = (stream: StreamKind, row: Row) => EVENT_TABLES[stream].key.map((k) => String(row[k])).join('|');
const positionOf = (row: Row) => POSITION.map((k) => String(row[k])).join('|');
const withoutPosition = (row: Row): Row => Object.fromEntries(Object.entries(row).filter(([k]) => !(POSITION as readonly string[]).includes(k)));

/** The event rows the reference expects per key, with every position a copy of it came from. */
function expectedEvents(classified: readonly Classified[], stream: StreamKind): Map<string, { row: Row; positions: Set<string> }> {
  const out = new Map<string, { row: Row; positions: Set<string> }>();
  for (const r of classified) {
    if (r.clean?.kind !== stream || r.outcome !== 'counted') continue;
    const row = normalize(stream, toEventRow(r));
    const key = keyOf(stream, row);
    // The scenarios never repeat a key after its horizon: one counted copy per key.
    expect(out.has(key), `reference counts ${stream} key ${key} twice`).toBe(false);
    out.set(key, { row, positions: new Set() });
  }
  for (const r of classified) {
    if (r.clean?.kind !== stream || (r.outcome !== 'counted' && r.outcome !== 'duplicate')) continue;
    const row = normalize(stream, toEventRow({ ...r, outcome: 'counted' }));
    out.get(keyOf(stream, row))?.positions.add(positionOf(row));
  }
  return out;
}

export interface CompareTarget {
  label: string;
  /** a fault-free DynamoDB client */
  ddb: DynamoDBClient;
  tables: { metrics: string; badRecords: string };
  /** a fault-free Data API */
  redshift: DataApi;
}

/**
 * Asserts that DynamoDB, the Redshift mirror, the Firehose event tables and the bad-records
 * table all hold exactly what the reference computed once over `classified`.
 *
 * @example
 * await expectSinksEqualReference({ label: 'replay', ddb, tables, redshift: stack.reader }, classifyOnce(records));
 */
export async function expectSinksEqualReference(t: CompareTarget, classified: readonly Classified[]): Promise<void> {
  const want = expectedCells(classified);
  const store = new DynamoMetricStore(t.ddb, t.tables.metrics);

  // DynamoDB, item by item, and nothing outside the range read.
  const dynamo = await dynamoCells(store, want.fromMs, want.toMs);
  expect(entries(dynamo.cells), `${t.label}: DynamoDB metric cells`).toEqual(entries(want.cells));
  expect(await countItems(t.ddb, t.tables.metrics), `${t.label}: DynamoDB items outside the compared range`).toBe(dynamo.items);

  // The Redshift mirror, every row, each key once.
  const mirror = await redshiftCells(t.redshift);
  expect(mirror.repeatedKeys, `${t.label}: Redshift keys stored twice`).toEqual([]);
  expect(entries(mirror.cells), `${t.label}: Redshift mirror cells`).toEqual(entries(want.cells));

  // The query path on both sources: every metric and stored breakdown over the range.
  const reference = referenceCells(classified);
  for (const m of METRICS) {
    for (const combo of m.combos) {
      const req = { metric: m.name, fromMs: want.fromMs, toMs: want.toMs, by: [...combo] };
      const expected = referenceQuery(reference, req);
      expect(await runQuery(req, { kind: 'dynamodb', store }), `${t.label}: query ${m.name} by ${combo.join(',')} on DynamoDB`).toEqual(expected);
      expect(await runQuery(req, { kind: 'redshift', api: t.redshift }), `${t.label}: query ${m.name} by ${combo.join(',')} on Redshift`).toEqual(expected);
    }
  }

  // The Firehose event tables: every counted record once by key (the `_unique` views), and
  // never a second position for one key (that would be a duplicate delivered as counted).
  for (const stream of ['clickstream', 'transactions'] as const) {
    const table = EVENT_TABLES[stream].table;
    const expected = expectedEvents(classified, stream);
    const toRows = (res: { columns: string[]; rows: unknown[][] }) => res.rows.map((r) => normalize(stream, Object.fromEntries(res.columns.map((c, i) => [c, r[i]]))));
    const all = toRows(await t.redshift.execute(`SELECT * FROM ${table}`));
    const positions = new Map<string, Set<string>>();
    for (const row of all) positions.set(keyOf(stream, row), (positions.get(keyOf(stream, row)) ?? new Set()).add(positionOf(row)));
    const multi = [...positions].filter(([, p]) => p.size > 1).map(([k, p]) => [k, [...p]]);
    expect(multi, `${t.label}: ${table} keys delivered from two positions`).toEqual([]);
    const unique = toRows(await t.redshift.execute(`SELECT * FROM ${table}_unique`));
    const got = new Map(unique.map((row) => [keyOf(stream, row), row]));
    expect([...got.keys()].sort(), `${t.label}: ${table} keys`).toEqual([...expected.keys()].sort());
    for (const [key, { row, positions: allowed }] of expected) {
      const actual = got.get(key)!;
      expect(withoutPosition(actual), `${t.label}: ${table} row ${key}`).toEqual(withoutPosition(row));
      expect(allowed.has(positionOf(actual)), `${t.label}: ${table} row ${key} at ${positionOf(actual)}, a position of none of its copies`).toBe(true);
    }
    expect(all.length, `${t.label}: ${table} holds every row at least once`).toBeGreaterThanOrEqual(expected.size);
  }

  // Bad records: every rejected record once, with its reason, at its position.
  const bad: string[] = [];
  for await (const b of new DynamoBadRecordStore(t.ddb, t.tables.badRecords).list({ includeReplayed: true })) bad.push(`${b.streamName} ${b.shardId} ${b.sequenceNumber} ${b.subSequence} ${b.reason}`);
  const rejected = classified.filter((r) => r.outcome === 'rejected').map((r) => `${r.streamName} ${r.position.shardId} ${r.position.sequenceNumber} ${r.position.subSequence} ${r.reason}`);
  expect(bad.sort(), `${t.label}: bad records`).toEqual(rejected.sort());
}

/**
 * Producer duplicates by where their counted copy is: on another shard, or on the same shard
 * (then earlier in the batch or in an earlier one) — to prove a scenario has both.
 */
export function duplicateSpread(classified: readonly Classified[]): { crossShard: number; sameShard: number } {
  const counted = new Map<string, string>();
  for (const r of classified) if (r.outcome === 'counted' && r.dedupeKey) counted.set(`${r.streamName}#${r.dedupeKey}`, r.position.shardId);
  let crossShard = 0;
  let sameShard = 0;
  for (const r of classified) {
    if (r.outcome !== 'duplicate' || !r.dedupeKey) continue;
    const shard = counted.get(`${r.streamName}#${r.dedupeKey}`);
    if (shard === r.position.shardId) sameShard++;
    else if (shard !== undefined) crossShard++;
  }
  return { crossShard, sameShard };
}
