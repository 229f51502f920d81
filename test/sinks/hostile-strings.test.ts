/**
 * Hostile strings (quotes, `;`, `--`, `/* *\/`, backslashes, unicode, emoji, very long)
 * through the production writers, read back byte-exact through the Data API:
 * - cleaned events: `toEventRow` → `FirehoseEventSink` → local Firehose → every text column
 *   of `clickstream_events` and `transactions`;
 * - metrics: `RedshiftMetricMirror` → `DataApi` → local Data API → metric names, dimension
 *   names and values, shard ids and sketches in `metric_counters` / `metric_sketches`,
 *   in both literal dialects.
 * `test/sinks/redshift/sql.test.ts` checks the literal functions themselves.
 */
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFirehoseServer, type FirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { deliveryStreamConfig, FirehoseEventSink, toEventRow } from '../../src/sinks/firehose-sink.ts';
import { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { canonicalDims, RedshiftMetricMirror } from '../../src/sinks/redshift/metric-mirror.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import { readCounters, readSketches } from '../../src/sinks/redshift/read-metrics.ts';
import { truncateUtf8 } from '../../src/sinks/redshift/sql-literal.ts';
import { EVENT_TABLES, METRIC_LIMITS, type ColumnDef } from '../../src/sinks/redshift/tables.ts';
import type { ClassifiedRecord, CleanClick, CleanTransaction, CounterRow, SketchRow } from '../../src/types.ts';
import { HOSTILE, longHostile, openBackend, type SqlDb } from './redshift/support.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0);
const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };
const STREAMS = { clickstream: 'hostile-clickstream', transactions: 'hostile-transactions' };
const fast = { attempts: 5, baseMs: 1, capMs: 5 };

/** Every hostile string, plus very long ones: longer than any column, so truncation shows too. */
const TEXTS: readonly string[] = [...HOSTILE, longHostile(70_000), "'".repeat(70_000), `${'\\'.repeat(35_000)}'; --`];

const textColumns = (columns: readonly ColumnDef[]) => columns.filter((c) => c.maxBytes !== undefined);

/** A counted click whose every string field is `h`; `i` orders the rows (sub-sequence). */
function click(h: string, i: number): ClassifiedRecord {
  const clean: CleanClick = {
    kind: 'clickstream',
    eventId: h,
    type: h as CleanClick['type'],
    occurredAtMs: T0 + i,
    sessionId: h,
    anonymousId: h,
    userId: h,
    page: h,
    pageHost: h,
    pageUrl: h,
    referrerHost: h,
    utmSource: h,
    utmMedium: h,
    utmCampaign: h,
    title: h,
    searchQuery: h,
    product: { sku: h, quantity: 1, priceMinor: 1, currency: h },
    device: h as CleanClick['device'],
    country: h,
    ipPrefix: h,
    userAgent: h,
  };
  return { position: { shardId: h, sequenceNumber: h, subSequence: i }, posKey: `p${i}`, arrivalMs: T0 + i, outcome: 'counted', reason: null, clean };
}

/** A counted transaction whose every string field (an item's sku too) is `h`. */
function transaction(h: string, i: number): ClassifiedRecord {
  const clean: CleanTransaction = {
    kind: 'transactions',
    transactionId: h,
    type: h as CleanTransaction['type'],
    status: h as CleanTransaction['status'],
    occurredAtMs: T0 + i,
    customerId: h,
    amountMinor: i,
    currency: h,
    items: [{ sku: h, quantity: 1, unitPriceMinor: null }],
    paymentMethod: h as CleanTransaction['paymentMethod'],
    country: h,
    sessionId: h,
    originalTransactionId: h,
  };
  return { position: { shardId: h, sequenceNumber: h, subSequence: i }, posKey: `q${i}`, arrivalMs: T0 + i, outcome: 'counted', reason: null, clean };
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`hostile strings through the production writers on ${kind}`, () => {
    let db: SqlDb;
    let dataApiServer: RedshiftDataServer;
    let firehoseServer: FirehoseServer;
    let redshiftData: RedshiftDataClient;
    let firehose: FirehoseClient;
    let api: DataApi;

    beforeAll(async () => {
      const opened = await openBackend(kind);
      db = opened.db;
      dataApiServer = await startRedshiftDataServer({ backend: opened.backend });
      firehoseServer = await startFirehoseServer({ backend: opened.backend });
      redshiftData = new RedshiftDataClient({ region: 'us-east-1', endpoint: dataApiServer.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
      firehose = new FirehoseClient({ region: 'us-east-1', endpoint: firehoseServer.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
      api = new DataApi(redshiftData, { database: 'dev', workgroupName: 'local' }, { pollMs: 5, retry: fast });
      await migrate((sql) => api.execute(sql), 'postgres');
      for (const stream of ['clickstream', 'transactions'] as const) await firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, STREAMS[stream], { database: 'dev' })));
    });
    afterAll(async () => {
      redshiftData?.destroy();
      firehose?.destroy();
      await firehoseServer?.close();
      await dataApiServer?.close();
      await db?.close();
    });

    describe('FirehoseEventSink → local Firehose → event tables', () => {
      for (const stream of ['clickstream', 'transactions'] as const) {
        it(`every text column of ${EVENT_TABLES[stream].table} holds each hostile string byte-exact (cut to its byte limit)`, async () => {
          // Prepare
          const t = EVENT_TABLES[stream];
          const columns = textColumns(t.columns);
          await api.execute(`DELETE FROM ${t.table}`);
          const records = TEXTS.map((h, i) => (stream === 'clickstream' ? click(h, i) : transaction(h, i)));
          // What each column must hold: the string itself, or (items) the JSON of an item
          // whose sku it is; cut at a character boundary to the column's byte limit.
          const expected = TEXTS.map((h) => columns.map((c) => truncateUtf8(c.name === 'items' ? JSON.stringify([{ sku: h, quantity: 1, unitPriceMinor: null }]) : h, c.maxBytes!)));
          const sink = new FirehoseEventSink(firehose, STREAMS, { retry: fast });

          // Act
          await sink.send(stream, records.map((r) => toEventRow(r)));
          await firehoseServer.flush();
          const { rows } = await api.execute(`SELECT ${columns.map((c) => c.name).join(', ')} FROM ${t.table} ORDER BY sub_sequence`);

          // Assert: the same code units, hence the same UTF-8 bytes
          expect(rows).toHaveLength(TEXTS.length);
          rows.forEach((row, i) => {
            columns.forEach((c, k) => {
              expect([c.name, i, row[k]]).toEqual([c.name, i, expected[i]![k]]);
              expect(Buffer.from(String(row[k]), 'utf8').equals(Buffer.from(expected[i]![k]!, 'utf8'))).toBe(true);
            });
          });
        });
      }
    });

    describe('RedshiftMetricMirror → DataApi → metric tables', () => {
      // The redshift dialect writes '…' literals whose backslashes are escapes: PostgreSQL
      // reads them so with standard_conforming_strings off, set in the load's own
      // transaction. The postgres dialect writes E'…' literals, whatever the setting.
      const loaders = {
        postgres: () => new RedshiftMetricMirror(api, 'postgres'),
        redshift: () => new RedshiftMetricMirror({ batch: (sqls) => api.batch(['SET LOCAL standard_conforming_strings = off', ...sqls]) }, 'redshift'),
      };
      it('refuses a key longer than its column instead of cutting it (two keys would merge)', async () => {
        // Prepare
        const mirror = loaders.postgres();
        const shard = "'".repeat(METRIC_LIMITS.shardId + 1);
        const sketch: SketchRow = { metric: 'sessions', dims: {}, windowStart: T0, shardId: shard, kind: 'hll', sketch: 'AA==', version: 1 };
        const counter: CounterRow = { metric: 'units_sold', dims: { sku: 'é'.repeat(METRIC_LIMITS.dims) }, windowStart: T0, value: 1, version: 1 };
        // Act
        const errors = await Promise.all([mirror.load([], [sketch]).catch((e: unknown) => e), mirror.load([counter], []).catch((e: unknown) => e)]);
        // Assert
        expect(errors.map((e) => (e as Error).message)).toEqual([expect.stringMatching(/shard id longer than 256 bytes/), expect.stringMatching(/dims longer than 4096 bytes/)]);
      });

      for (const dialect of ['postgres', 'redshift'] as const) {
        it(`metric names, dimension names and values, shard ids and sketches round-trip byte-exact (${dialect} literals)`, async () => {
          // Prepare: keys within their limits (a longer key is refused, not cut); dimension
          // values beyond 2048 bytes are cut in the dimN_value columns only
          await api.execute('DELETE FROM metric_counters');
          await api.execute('DELETE FROM metric_sketches');
          const fits = (h: string, bytes: number) => Buffer.byteLength(h) <= bytes;
          // the longest cut whose canonical dims (backslashes doubled by JSON) still fit
          const dimValue = (h: string) => [h.length * 4, 3_000, 1_800].map((n) => truncateUtf8(h, n)).find((v) => fits(canonicalDims({ currency: v }), METRIC_LIMITS.dims))!;
          const counters: CounterRow[] = [
            // a catalog metric with one dimension, and one with two (catalog order: currency, country)
            ...TEXTS.map((h, i) => ({ metric: 'units_sold', dims: { sku: dimValue(h) }, windowStart: T0 + i * 60_000, value: i + 1, version: 1 })),
            ...HOSTILE.map((h, i) => ({ metric: 'revenue', dims: { country: h, currency: HOSTILE[(i + 1) % HOSTILE.length]! }, windowStart: T0, value: 100 + i, version: 1 })),
            // hostile metric and dimension names (unknown metrics: dims in name order)
            ...HOSTILE.filter((h) => fits(h, METRIC_LIMITS.metric)).map((h, i) => ({ metric: h, dims: { [h]: h, zz: h }, windowStart: T0, value: 200 + i, version: 1 })),
          ];
          const sketches: SketchRow[] = TEXTS.map((h, i) => ({
            metric: 'order_value',
            dims: { currency: dimValue(h) },
            windowStart: T0,
            shardId: fits(h, METRIC_LIMITS.shardId) ? h : truncateUtf8(h, METRIC_LIMITS.shardId),
            kind: 'ddsketch',
            // real sketches are base64; 20 KB keeps a literal of doubled backslashes within
            // the Data API's 100 KB statement (the mirror refuses a row that is not)
            sketch: truncateUtf8(h, 20_000),
            version: i + 1,
          }));

          // Act
          await loaders[dialect]().load(counters, sketches);
          const metrics = [...new Set(counters.map((r) => r.metric))];
          const backCounters = (await Promise.all(metrics.map((m) => readCounters(api, m, T0, T0 + TEXTS.length * 60_000)))).flat();
          const backSketches = await readSketches(api, 'order_value', T0, T0 + 1);
          const { rows: dimColumns } = await api.execute('SELECT metric, dims, dim1_name, dim1_value, dim2_name, dim2_value FROM metric_counters');

          // Assert: the readers (Data API parameters) find every key and give back its text
          const byKey = <T extends { metric: string; dims: Record<string, string>; windowStart: number }>(rows: T[], extra: (r: T) => string = () => '') =>
            new Map(rows.map((r) => [`${r.metric}\u0001${canonicalDims(r.dims)}\u0001${r.windowStart}\u0001${extra(r)}`, r]));
          expect(backCounters).toHaveLength(counters.length);
          expect(byKey(backCounters)).toEqual(byKey(counters));
          expect(byKey(backSketches, (r) => r.shardId)).toEqual(byKey(sketches, (r) => r.shardId));
          // … and the SQL-facing columns hold the names and values, values cut to 2048 bytes
          const want = new Map(
            counters.map((r) => {
              const names = r.metric === 'revenue' ? ['currency', 'country'] : Object.keys(r.dims).sort();
              const dim = (k: number) => (names[k] === undefined ? [null, null] : [names[k], truncateUtf8(r.dims[names[k]!]!, METRIC_LIMITS.dimValue)]);
              return [`${r.metric}\u0001${canonicalDims(r.dims)}`, [...dim(0), ...dim(1)]];
            }),
          );
          expect(dimColumns).toHaveLength(counters.length);
          for (const [metric, dims, ...cols] of dimColumns) expect(cols).toEqual(want.get(`${String(metric)}\u0001${String(dims)}`));
        });
      }
    });
  });
}
