/**
 * Bad records end to end (issue 3): the real worker (`createWorker` with `createSinks`)
 * stores every rejected record with its reason, raw data and position in the bad-records
 * table (dynalite), and `replayBadRecords` re-validates and re-processes them through the
 * real sinks — DynamoDB, the Redshift mirror through the local Data API and the cleaned
 * events through the local Firehose, both on PGlite — without double counting, also when
 * a replay is interrupted and run again. The SDK finds the local endpoints through the
 * standard `AWS_ENDPOINT_URL_*` variables, as the command line does.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { aggregate as kplAggregate } from '../../src/decode/kpl.ts';
import { startFirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { createPgliteBackend, type SqlBackend } from '../../src/local/sql-backend.ts';
import { METRICS } from '../../src/metrics/catalog.ts';
import type { QueryRow } from '../../src/query/rollup.ts';
import { runQuery } from '../../src/query/run-query.ts';
import { openBadRecordStore, replayBadRecords, type ReplayHooks } from '../../src/sinks/bad-records.ts';
import { createSinks } from '../../src/sinks/create-sinks.ts';
import { DynamoMetricStore } from '../../src/sinks/dynamodb/metric-store.ts';
import { ensureTables } from '../../src/sinks/dynamodb/tables.ts';
import { deliveryStreamConfig } from '../../src/sinks/firehose-sink.ts';
import { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import type { StreamKind } from '../../src/types.ts';
import { createWorker } from '../../src/worker.ts';
import { kinesisEvent } from '../support/lambda-runner.ts';
import { classifyOnce, referenceCells, referenceQuery, type RefRecord } from '../support/reference.ts';

const require = createRequire(import.meta.url);
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Each test gets its own day, so the Redshift tables (shared by the file) never mix tests. */
const BASE = Date.UTC(2026, 2, 2);
const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];

let dynalite: Server;
let sql: SqlBackend;
let dataServer: Awaited<ReturnType<typeof startRedshiftDataServer>>;
let firehoseServer: Awaited<ReturnType<typeof startFirehoseServer>>;
const savedEnv = { ...process.env };
let tableSeq = 0;

beforeAll(async () => {
  const server = (require('dynalite') as (o: object) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dynalite = server;
  sql = await createPgliteBackend();
  dataServer = await startRedshiftDataServer({ backend: sql });
  firehoseServer = await startFirehoseServer({ backend: sql, flushIntervalMs: 100 });
  const { port } = server.address() as { port: number };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
    AWS_ENDPOINT_URL_FIREHOSE: firehoseServer.url,
    AWS_ENDPOINT_URL_REDSHIFT_DATA: dataServer.url,
    REDSHIFT_DIALECT: 'postgres',
    REDSHIFT_WORKGROUP: 'local',
  });
  // The Redshift schema and the Firehose delivery streams, as `stream-metrics up` makes them.
  const config = loadConfig();
  const c = createSinks(config, 'clickstream');
  await migrate((s) => c.dataApi!.execute(s), 'postgres');
  for (const stream of ['clickstream', 'transactions'] as const) {
    await c.clients.firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, config.firehose[stream], { database: config.redshift.target.database })));
  }
});

afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  await firehoseServer?.close();
  await dataServer?.close();
  await sql?.close();
  await new Promise<void>((r) => (dynalite ? dynalite.close(() => r()) : r()));
});

/** Fresh DynamoDB tables for one test; `env` adds settings (e.g. a strict lateness). */
async function freshTables(): Promise<Record<string, string>> {
  const id = `br-${process.pid}-${++tableSeq}`;
  const tables = { metrics: `${id}-metrics`, dedupe: `${id}-dedupe`, badRecords: `${id}-bad` };
  const ddb = new DynamoDBClient({ region: 'us-east-1' });
  await ensureTables(ddb, tables);
  ddb.destroy();
  return { METRICS_TABLE: tables.metrics, DEDUPE_TABLE: tables.dedupe, BAD_RECORDS_TABLE: tables.badRecords };
}

const configOf = (env: Record<string, string>): Config => loadConfig({ ...process.env, ...env });

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');


/** Runs records through one worker per stream (strict or default config), per shard in batches. */
async function runWorkers(config: Config, records: RefRecord[], batch = 15): Promise<void> {
  for (const stream of ['clickstream', 'transactions'] as const) {
    const ws = createSinks(config, stream);
    const worker = createWorker(stream, { config, sinks: ws.sinks, dedupeStore: ws.dedupeStore });
    for (const shard of SHARDS) {
      const mine = records.filter((r) => r.stream === stream && r.shardId === shard);
      for (let i = 0; i < mine.length; i += batch) {
        const out = await worker.handle(kinesisEvent(mine.slice(i, i + batch)));
        expect(out.batchItemFailures).toEqual([]);
      }
    }
  }
}

/** Records in arrival order: clicks and transactions over two shards, `late` of them 5 minutes late. */
function buildInput(base: number, o: { clicks: number; txs: number; lateEvery: number; extra?: (i: number) => { stream: StreamKind; json: string } | null }): RefRecord[] {
  const out: RefRecord[] = [];
  const seqs = new Map<string, bigint>();
  const nextSeq = (key: string) => {
    const s = (seqs.get(key) ?? 49_600_000_000_000_000_000n) + 7n;
    seqs.set(key, s);
    return s.toString();
  };
  const total = o.clicks + o.txs;
  for (let i = 0; i < total; i++) {
    const arrivalMs = base + i * 1_500;
    const late = i % o.lateEvery === 0;
    const occurredAt = new Date(arrivalMs - (late ? 5 * 60_000 : 10_000)).toISOString();
    const stream: StreamKind = i % 3 === 2 && out.filter((r) => r.stream === 'transactions').length < o.txs ? 'transactions' : 'clickstream';
    const shardId = SHARDS[i % 2]!;
    let json: string;
    const special = o.extra?.(i);
    if (special) json = special.json;
    else if (stream === 'clickstream') {
      json = JSON.stringify({
        eventId: `e-${base}-${i}`,
        type: ['page_view', 'page_view', 'click', 'add_to_cart', 'checkout_started'][i % 5],
        occurredAt,
        sessionId: `s${i % 6}`,
        anonymousId: `a${i % 9}`,
        page: { url: `https://shop.example.com/p/${i % 4}`, referrer: 'https://search.example.org/?q=x' },
        ...(i % 5 === 3 ? { product: { sku: `sku-${i % 3}`, quantity: 1 + (i % 2), price: '9.99', currency: 'EUR' } } : {}),
        userAgent: i % 2 ? 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148' : 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0',
        country: ['de', 'US', 'fr'][i % 3],
        ip: `203.0.113.${i % 250}`,
      });
    } else {
      json = JSON.stringify({
        transactionId: `t-${base}-${i}`,
        type: i % 7 === 0 ? 'refund' : 'purchase',
        status: i % 11 === 0 ? 'failed' : 'completed',
        occurredAt: Date.parse(occurredAt),
        customerId: `c${i % 4}`,
        amount: i % 2 ? `${10 + i}.25` : 1000 + i,
        currency: i % 2 ? 'USD' : 'JPY',
        items: [{ sku: `sku-${i % 3}`, quantity: 1 + (i % 3) }],
        paymentMethod: 'card',
        country: 'DE',
      });
    }
    const recStream = special?.stream ?? stream;
    out.push({
      stream: recStream,
      streamName: recStream,
      shardId,
      kinesis: { data: b64(json), sequenceNumber: nextSeq(`${recStream}/${shardId}`), partitionKey: `pk${i}`, approximateArrivalTimestamp: arrivalMs / 1000 },
    });
  }
  return out;
}

/**
 * A replay that moves every record of a reason away leaves that `records` cell at 0 (an
 * ADD of -1 cannot delete it); the reference, computed once, never had the cell. A zero
 * count is the same fact as no count, so such rows are dropped before comparing.
 */
const dropEmptyQuality = (rows: QueryRow[]) => rows.filter((r) => !(r.metric === 'records' && r.value === 0));

/** Every metric and stored dimension combination over `range`, from DynamoDB and from Redshift. */
async function allMetrics(config: Config, range: { fromMs: number; toMs: number }): Promise<{ dynamodb: Map<string, QueryRow[]>; redshift: Map<string, QueryRow[]> }> {
  const store = new DynamoMetricStore(new DynamoDBClient({ region: 'us-east-1' }), config.tables.metrics);
  const api = new DataApi(new RedshiftDataClient({ region: 'us-east-1' }), config.redshift.target);
  const dynamodb = new Map<string, QueryRow[]>();
  const redshift = new Map<string, QueryRow[]>();
  for (const m of METRICS) {
    for (const combo of m.combos) {
      const req = { metric: m.name, ...range, by: [...combo] };
      dynamodb.set(`${m.name} by ${combo.join(',')}`, dropEmptyQuality(await runQuery(req, { kind: 'dynamodb', store })));
      redshift.set(`${m.name} by ${combo.join(',')}`, dropEmptyQuality(await runQuery(req, { kind: 'redshift', api })));
    }
  }
  return { dynamodb, redshift };
}

/** The reference: every metric computed once over the input with the default settings. */
function referenceMetrics(records: RefRecord[], range: { fromMs: number; toMs: number }): Map<string, QueryRow[]> {
  const cells = referenceCells(classifyOnce(records));
  const out = new Map<string, QueryRow[]>();
  for (const m of METRICS) for (const combo of m.combos) out.set(`${m.name} by ${combo.join(',')}`, referenceQuery(cells, { metric: m.name, ...range, by: [...combo] }));
  return out;
}

/** `records` data-quality totals by `outcome/reason` (all streams) from one metrics snapshot. */
function quality(rows: Map<string, QueryRow[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows.get('records by stream,outcome,reason') ?? []) {
    const k = `${r.dims.outcome}/${r.dims.reason}`;
    out[k] = (out[k] ?? 0) + (r.value as number);
  }
  return out;
}

async function listAll(config: Config, includeReplayed = true) {
  const out = [];
  for await (const r of openBadRecordStore(config).list({ includeReplayed })) out.push(r);
  return out.sort((a, b) => (a.pk + a.sk < b.pk + b.sk ? -1 : 1));
}

/** Every item of the bad-records table (continuation items included). */
async function rawItemCount(config: Config): Promise<number> {
  const out = await new DynamoDBClient({ region: 'us-east-1' }).send(new ScanCommand({ TableName: config.tables.badRecords, Select: 'COUNT' }));
  return out.Count ?? 0;
}

describe('bad records from the worker', () => {
  it('are stored with reason, raw data and position (KPL sub-sequence, arrival time), once per position', async () => {
    // Prepare
    const base = BASE;
    const config = configOf(await freshTables());
    const arrivalMs = base + 30_000;
    const at = (s: number) => ({ approximateArrivalTimestamp: (arrivalMs + s * 1_000) / 1000, partitionKey: 'p' });
    const good = (id: string) => JSON.stringify({ eventId: id, type: 'page_view', occurredAt: arrivalMs - 5_000, sessionId: 's', anonymousId: 'a', page: { url: 'https://shop.example.com/' } });
    const badSchema = JSON.stringify({ eventId: 'bad id!', type: 'page_view' });
    // A user record as large as Kinesis allows (1 MiB), not JSON: kept whole.
    const huge = Buffer.alloc(1_048_576, 0x41);
    const kpl = kplAggregate([
      { partitionKey: 'p', data: good('k0') },
      { partitionKey: 'p', data: '{"eventId": oops' },
      { partitionKey: 'p', data: good('k2') },
    ]);
    const records: RefRecord[] = [
      { kinesis: { data: b64(good('g1')), sequenceNumber: '49600000000000000000000000001', ...at(0) } },
      { kinesis: { data: b64('not json'), sequenceNumber: '49600000000000000000000000002', ...at(1) } },
      { kinesis: { data: b64(kpl), sequenceNumber: '49600000000000000000000000003', ...at(2) } },
      { kinesis: { data: b64(badSchema), sequenceNumber: '49600000000000000000000000004', ...at(3) } },
      { kinesis: { data: b64(huge), sequenceNumber: '49600000000000000000000000005', ...at(4) } },
    ].map((r) => ({ stream: 'clickstream', streamName: 'clickstream', shardId: SHARDS[1]!, ...r }));
    const worker = createWorker('clickstream', { config, ...(({ sinks, dedupeStore }) => ({ sinks, dedupeStore }))(createSinks(config, 'clickstream')) });
    const range = { fromMs: base - HOUR, toMs: base + 2 * HOUR };

    // Act
    const first = await worker.handle(kinesisEvent(records));
    const listed = await listAll(config);
    const itemsAfterFirst = await rawItemCount(config);
    const metricsAfterFirst = await allMetrics(config, range);
    // Lambda delivers the same batch again (a retry): nothing is stored or counted twice.
    const second = await worker.handle(kinesisEvent(records));

    // Assert
    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    expect(listed.map((r) => ({ reason: r.reason, stream: r.stream, streamName: r.streamName, shardId: r.shardId, seq: r.sequenceNumber, sub: r.subSequence, arrivalMs: r.arrivalMs }))).toEqual([
      { reason: 'invalid_json', stream: 'clickstream', streamName: 'clickstream', shardId: SHARDS[1], seq: '49600000000000000000000000002', sub: 0, arrivalMs: arrivalMs + 1_000 },
      { reason: 'invalid_json', stream: 'clickstream', streamName: 'clickstream', shardId: SHARDS[1], seq: '49600000000000000000000000003', sub: 1, arrivalMs: arrivalMs + 2_000 },
      { reason: 'schema_violation', stream: 'clickstream', streamName: 'clickstream', shardId: SHARDS[1], seq: '49600000000000000000000000004', sub: 0, arrivalMs: arrivalMs + 3_000 },
      { reason: 'invalid_json', stream: 'clickstream', streamName: 'clickstream', shardId: SHARDS[1], seq: '49600000000000000000000000005', sub: 0, arrivalMs: arrivalMs + 4_000 },
    ]);
    // (compared as base64 text: a deep comparison of a 1 MiB Buffer takes seconds)
    expect(listed.map((r) => r.rawBase64)).toEqual([b64('not json'), b64('{"eventId": oops'), b64(badSchema), b64(huge)]);
    expect(listed.every((r) => r.detail.length > 0 && r.replayedAt === undefined)).toBe(true);
    expect(itemsAfterFirst).toBeGreaterThan(4); // the 1 MiB record continues in extra items
    expect(await listAll(config)).toEqual(listed);
    expect(await rawItemCount(config)).toBe(itemsAfterFirst);
    expect(quality(metricsAfterFirst.dynamodb)).toEqual({ 'counted/-': 3, 'rejected/invalid_json': 3, 'rejected/schema_violation': 1 });
    const metricsAfterSecond = await allMetrics(config, range);
    expect(metricsAfterSecond).toEqual(metricsAfterFirst);
    expect(metricsAfterSecond.dynamodb).toEqual(referenceMetrics(records, range));
  });
});

describe('replayBadRecords', () => {
  it('counts records rejected under a strict setting once replayed with the default one, exactly once', async () => {
    // Prepare: lateness 60 s rejects every 4th record as too_late; two are not JSON at all.
    const base = BASE + DAY;
    const tables = await freshTables();
    const strict = configOf({ ...tables, ALLOWED_LATENESS_SECONDS: '60' });
    const config = configOf(tables);
    const records = buildInput(base, { clicks: 40, txs: 20, lateEvery: 4, extra: (i) => (i === 13 || i === 50 ? { stream: 'clickstream', json: '{"eventId":' } : null) });
    const range = { fromMs: base - HOUR, toMs: base + 2 * HOUR };
    const want = referenceMetrics(records, range);
    await runWorkers(strict, records);
    const before = await allMetrics(config, range);
    const badBefore = await listAll(config, false);

    // Act
    const out = await replayBadRecords(config, {});
    const after = await allMetrics(config, range);
    const again = await replayBadRecords(config, {});
    const afterAgain = await allMetrics(config, range);

    // Assert
    const late = badBefore.filter((r) => r.reason === 'too_late').length;
    expect(late).toBe(15);
    expect(badBefore).toHaveLength(17);
    expect(out).toEqual({ replayed: 17, counted: late, filtered: 0, duplicate: 0, rejected: 2 });
    expect(after.dynamodb).toEqual(want);
    expect(after.redshift).toEqual(want);
    const q0 = quality(before.dynamodb);
    const q1 = quality(after.dynamodb);
    expect(q0['rejected/too_late']).toBe(late);
    expect(q1['rejected/too_late']).toBeUndefined();
    expect(q1['counted/-']).toBe(q0['counted/-']! + late);
    expect(Object.values(q1).reduce((a, b) => a + b, 0)).toBe(records.length);
    // Only the two that are not JSON are left, and replaying them again changes nothing.
    expect(again).toEqual({ replayed: 2, counted: 0, filtered: 0, duplicate: 0, rejected: 2 });
    expect(afterAgain).toEqual(after);
    expect((await listAll(config, false)).map((r) => r.reason)).toEqual(['invalid_json', 'invalid_json']);
    expect((await listAll(config, true)).filter((r) => r.replayedAt !== undefined)).toHaveLength(late);
  });

  it('re-run after a crash at any step of an interrupted replay counts nothing twice', async () => {
    // Prepare
    const base = BASE + 2 * DAY;
    const tables = await freshTables();
    const strict = configOf({ ...tables, ALLOWED_LATENESS_SECONDS: '60', FUTURE_TOLERANCE_SECONDS: '0' });
    const config = configOf(tables);
    const future = (i: number) => (i % 9 === 5 ? { stream: 'clickstream' as const, json: JSON.stringify({ eventId: `f${i}`, type: 'click', occurredAt: base + i * 1_500 + 30_000, sessionId: 's', anonymousId: `a${i}`, page: { url: 'https://shop.example.com/f' } }) } : null);
    const records = buildInput(base, { clicks: 36, txs: 18, lateEvery: 5, extra: (i) => (i === 21 ? { stream: 'transactions', json: 'nope' } : future(i)) });
    const range = { fromMs: base - HOUR, toMs: base + 2 * HOUR };
    const want = referenceMetrics(records, range);
    await runWorkers(strict, records);
    const steps: Parameters<NonNullable<ReplayHooks['between']>>[0][] = ['bad-records', 'counters', 'sketches', 'mirror', 'events', 'marked'];

    // Act: a replay crashes at each step in turn, then one runs to the end.
    const crashes: string[] = [];
    for (const step of steps) {
      const hooks: ReplayHooks = {
        between(s) {
          if (s === step) throw new Error(`crash after ${s}`);
        },
      };
      await replayBadRecords(config, {}, { hooks }).catch((err: Error) => crashes.push(err.message));
    }
    const out = await replayBadRecords(config, {});
    const after = await allMetrics(config, range);
    await replayBadRecords(config, {});

    // Assert
    expect(crashes).toEqual(steps.map((s) => `crash after ${s}`));
    expect(out.rejected).toBe(1);
    expect(after.dynamodb).toEqual(want);
    expect(after.redshift).toEqual(want);
    expect(await allMetrics(config, range)).toEqual(after);
    expect((await listAll(config, false)).map((r) => r.reason)).toEqual(['invalid_json']);
  });

  it('replays by reason, one reason after another, without losing records in between', async () => {
    // Prepare: interleaved too_late and future_timestamp records on the same shards and minutes.
    const base = BASE + 3 * DAY;
    const tables = await freshTables();
    const strict = configOf({ ...tables, ALLOWED_LATENESS_SECONDS: '60', FUTURE_TOLERANCE_SECONDS: '0' });
    const config = configOf(tables);
    const future = (i: number) => (i % 4 === 2 ? { stream: 'clickstream' as const, json: JSON.stringify({ eventId: `f${i}`, type: 'page_view', occurredAt: base + i * 1_500 + 30_000, sessionId: 's', anonymousId: `a${i}`, page: { url: 'https://shop.example.com/f' } }) } : null);
    const records = buildInput(base, { clicks: 30, txs: 0, lateEvery: 4, extra: future });
    const range = { fromMs: base - HOUR, toMs: base + 2 * HOUR };
    await runWorkers(strict, records);

    // Act
    const a = await replayBadRecords(config, { reason: 'future_timestamp' });
    const b = await replayBadRecords(config, { reason: 'too_late' });
    const after = await allMetrics(config, range);

    // Assert
    expect(a.counted).toBeGreaterThan(0);
    expect(b.counted).toBeGreaterThan(0);
    expect(after.dynamodb).toEqual(referenceMetrics(records, range));
    expect(after.redshift).toEqual(referenceMetrics(records, range));
    expect(await listAll(config, false)).toEqual([]);
  });

  it('leaves a still-bad record rejected, stored once, and the records metric unchanged, replay after replay', async () => {
    // Prepare: one record that is not JSON, one whose reason changes with the settings
    // (over a strict size limit first, then a schema violation), and a good one.
    const base = BASE + 4 * DAY;
    const tables = await freshTables();
    const strict = configOf({ ...tables, MAX_RECORD_BYTES: '150' });
    const config = configOf(tables);
    const arrival = base + 10_000;
    const mk = (seq: string, json: string, s: number): RefRecord => ({
      stream: 'clickstream',
      streamName: 'clickstream',
      shardId: SHARDS[0]!,
      kinesis: { data: b64(json), sequenceNumber: seq, partitionKey: 'p', approximateArrivalTimestamp: (arrival + s) / 1000 },
    });
    const records = [
      mk('100', '{"eventId": not json', 0),
      mk('200', JSON.stringify({ eventId: 'x1', type: 'page_view', occurredAt: arrival, sessionId: 's', anonymousId: 'a', page: { url: 'not a url' }, title: 'x'.repeat(150) }), 1),
      mk('300', JSON.stringify({ eventId: 'ok', type: 'page_view', occurredAt: arrival, sessionId: 's', anonymousId: 'a', page: { url: 'https://a.example/' } }), 2),
    ];
    const range = { fromMs: base - HOUR, toMs: base + 2 * HOUR };
    await runWorkers(strict, records);
    const q0 = quality((await allMetrics(config, range)).dynamodb);
    const items0 = await rawItemCount(config);

    // Act
    const first = await replayBadRecords(config, {});
    const afterFirst = await allMetrics(config, range);
    const listedFirst = await listAll(config);
    const second = await replayBadRecords(config, { reason: 'schema_violation' });
    const third = await replayBadRecords(config, {});
    const afterThird = await allMetrics(config, range);
    const listedThird = await listAll(config);

    // Assert
    expect(q0).toEqual({ 'counted/-': 1, 'rejected/invalid_json': 1, 'rejected/too_large': 1 });
    expect(first).toEqual({ replayed: 2, counted: 0, filtered: 0, duplicate: 0, rejected: 2 });
    expect(second).toEqual({ replayed: 1, counted: 0, filtered: 0, duplicate: 0, rejected: 1 });
    expect(third).toEqual({ replayed: 2, counted: 0, filtered: 0, duplicate: 0, rejected: 2 });
    // The size limit was the strict setting; the record's real problem is its URL.
    expect(quality(afterFirst.dynamodb)).toEqual({ 'counted/-': 1, 'rejected/invalid_json': 1, 'rejected/schema_violation': 1 });
    expect(afterFirst.dynamodb).toEqual(referenceMetrics(records, range));
    expect(afterFirst.redshift).toEqual(afterFirst.dynamodb);
    expect(afterThird).toEqual(afterFirst);
    expect(await rawItemCount(config)).toBe(items0);
    expect(listedFirst.map((r) => [r.sequenceNumber, r.reason, r.replays, r.replayedAt])).toEqual([
      ['100', 'invalid_json', 1, undefined],
      ['200', 'schema_violation', 1, undefined],
    ]);
    expect(listedThird.map((r) => [r.sequenceNumber, r.reason, r.replays, r.rawBase64])).toEqual([
      ['100', 'invalid_json', 2, records[0]!.kinesis.data],
      ['200', 'schema_violation', 3, records[1]!.kinesis.data],
    ]);
  });
});
