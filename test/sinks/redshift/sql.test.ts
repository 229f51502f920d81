/**
 * The SQL of the Redshift side, run directly on PostgreSQL and PGlite (the local stand-ins):
 * migrations, hostile literals in every text column, the mirror's load protocol and the
 * event tables' de-duplication. The same statements go through the Data API endpoint in
 * `data-api.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupeEventsSql, migrate, MIGRATIONS } from '../../../src/sinks/redshift/migrations.ts';
import { canonicalDims, RedshiftMetricMirror } from '../../../src/sinks/redshift/metric-mirror.ts';
import { sqlNumber, sqlString, sqlTimestamp, truncateUtf8, type SqlDialect } from '../../../src/sinks/redshift/sql-literal.ts';
import { CLICKSTREAM_COLUMNS, METRIC_COUNTER_COLUMNS, METRIC_SKETCH_COLUMNS, TRANSACTION_COLUMNS, type ColumnDef } from '../../../src/sinks/redshift/tables.ts';
import type { CounterRow, SketchRow } from '../../../src/types.ts';
import { HOSTILE, longHostile, openPglite, openPostgres, type SqlDb } from './support.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0);

/** A value for a column: hostile text for VARCHARs, a plain value for the others. */
function valueFor(c: ColumnDef, text: string, i: number, dialect: SqlDialect): { sql: string; expected: unknown } {
  if (c.maxBytes !== undefined) return { sql: sqlString(text, dialect), expected: text };
  if (c.type === 'TIMESTAMP') return { sql: sqlTimestamp(T0 + i * 60_000), expected: T0 + i * 60_000 };
  return { sql: sqlNumber(i), expected: i };
}

const norm = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v);

for (const open of [openPostgres, openPglite]) {
  describe(`Redshift SQL on ${open === openPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
    let db: SqlDb;
    beforeAll(async () => {
      db = await open();
      // PGlite and pg give timestamps as Date in the session time zone: keep it UTC.
      await db.query("SET TIME ZONE 'UTC'");
    });
    afterAll(async () => {
      await db?.close();
    });
    const exec = (sql: string) => db.query(sql);

    it('migrates, and a second migrate() is a no-op', async () => {
      // Act
      const first = await migrate(exec, 'postgres');
      const second = await migrate(exec, 'postgres');
      // Assert
      expect(first).toEqual(MIGRATIONS.map((m) => m.id));
      expect(second).toEqual([]);
      const { rows } = await db.query('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => r[0])).toEqual(MIGRATIONS.map((m) => m.id));
      for (const view of ['metrics_hourly', 'metrics_daily', 'funnel_daily', 'revenue_by_currency_daily', 'clickstream_events_unique', 'transactions_unique']) {
        await expect(db.query(`SELECT * FROM ${view}`)).resolves.toBeDefined();
      }
    });

    it('Redshift-only table options never reach the postgres dialect', () => {
      const pgSql = MIGRATIONS.flatMap((m) => m.statements('postgres')).join('\n');
      const rsSql = MIGRATIONS.flatMap((m) => m.statements('redshift')).join('\n');
      expect(pgSql).not.toMatch(/DISTKEY|SORTKEY|DISTSTYLE|ENCODE|SUPER|GETDATE/i);
      expect(rsSql).toMatch(/DISTKEY \(metric\)/);
    });

    const tables: [string, readonly ColumnDef[]][] = [
      ['metric_counters', METRIC_COUNTER_COLUMNS],
      ['metric_sketches', METRIC_SKETCH_COLUMNS],
      ['clickstream_events', CLICKSTREAM_COLUMNS],
      ['transactions', TRANSACTION_COLUMNS],
    ];
    // The redshift dialect is checked with standard_conforming_strings off: PostgreSQL then
    // reads backslashes in '…' as escapes, the way Redshift does.
    for (const dialect of ['postgres', 'redshift'] as const) {
      for (const [table, columns] of tables) {
        it(`hostile strings round-trip byte-exact through every text column of ${table} (${dialect} literals)`, async () => {
          // Prepare: each hostile string in every VARCHAR column, plus one as long as the narrowest allows
          const narrow = Math.min(...columns.filter((c) => c.maxBytes !== undefined && c.maxBytes >= 64).map((c) => c.maxBytes!));
          const texts = [...HOSTILE, longHostile(narrow - 11)];
          const names = columns.map((c) => c.name);
          await db.query(`DELETE FROM ${table}`);
          const expected: unknown[][] = [];
          const tuples: string[] = [];
          texts.forEach((text, i) => {
            const vals = columns.map((c) => valueFor(c, c.maxBytes !== undefined ? truncateUtf8(text, c.maxBytes) : text, i, dialect));
            expected.push(vals.map((v) => v.expected));
            tuples.push(`(${vals.map((v) => v.sql).join(', ')})`);
          });
          // Act
          await db.transaction([
            `SET LOCAL standard_conforming_strings = ${dialect === 'redshift' ? 'off' : 'on'}`,
            `INSERT INTO ${table} (${names.join(', ')}) VALUES ${tuples.join(', ')}`,
          ]);
          const orderBy = columns.find((c) => c.type === 'TIMESTAMP')!.name;
          const { rows } = await db.query(`SELECT ${names.join(', ')} FROM ${table} ORDER BY ${orderBy}`);
          // Assert
          expect(rows.length).toBe(texts.length);
          rows.forEach((r, i) => expect(r.map(norm)).toEqual(expected[i]));
        });
      }
    }

    describe('metric mirror protocol', () => {
      const mirror = () => new RedshiftMetricMirror({ batch: (sqls) => db.transaction(sqls) }, 'postgres');
      const counters = async () =>
        (await db.query('SELECT metric, dims, window_start, value, version FROM metric_counters ORDER BY metric, dims, window_start')).rows.map((r) => r.map(norm));
      const row = (value: number, version: number, dims: Record<string, string> = {}, metric = 'orders', w = T0): CounterRow => ({ metric, dims, windowStart: w, value, version });

      it('a newer version replaces, an older one or a replay changes nothing', async () => {
        // Prepare
        await db.query('DELETE FROM metric_counters');
        const m = mirror();
        // Act
        await m.load([row(5, 2), row(7, 3, { currency: 'USD' })], []);
        const afterFirst = await counters();
        await m.load([row(5, 2), row(7, 3, { currency: 'USD' })], []); // replay
        await m.load([row(4, 1), row(6, 2, { currency: 'USD' })], []); // older
        const afterOlder = await counters();
        await m.load([row(9, 4)], []); // newer
        // Assert
        expect(afterOlder).toEqual(afterFirst);
        expect(await counters()).toEqual([
          ['orders', '{"currency":"USD"}', T0, 7, 3],
          ['orders', '{}', T0, 9, 4],
        ]);
      });

      it('concurrent loads of the same keys leave one row per key, the newest version', async () => {
        // Prepare: 4 concurrent writers (PostgreSQL: a pool, real concurrency) loading versions 1..40
        await db.query('DELETE FROM metric_counters');
        const m = mirror();
        const keys = Array.from({ length: 5 }, (_, k) => ({ country: `K${k}` }));
        // Act
        await Promise.all(
          [0, 1, 2, 3].map(async (lane) => {
            for (let v = 1 + lane; v <= 40; v += 4) await m.load(keys.map((d) => row(v * 10, v, d, 'page_views')), []);
          }),
        );
        // Assert
        const rows = await counters();
        expect(rows).toHaveLength(5);
        expect(rows.every((r) => r[3] === 400 && r[4] === 40)).toBe(true);
      });

      it('sketch partials are keyed per shard; loads of different shards interleave', async () => {
        // Prepare
        await db.query('DELETE FROM metric_sketches');
        const m = mirror();
        const sk = (shardId: string, sketch: string, version: number): SketchRow => ({ metric: 'unique_visitors', dims: { country: 'FR' }, windowStart: T0, shardId, kind: 'hll', sketch, version });
        // Act
        await m.load([], [sk('cs/shard-1', 'AAA=', 1), sk('cs/shard-2', 'BBB=', 1)]);
        await m.load([], [sk('cs/shard-2', 'BBC=', 2)]);
        await m.load([], [sk('cs/shard-1', 'AAA=', 1), sk('cs/shard-2', 'BBB=', 1)]); // replay of the first
        await m.load([], [sk('cs/shard-1', 'AAB=', 2)]);
        // Assert
        const { rows } = await db.query('SELECT shard_id, sketch, version, dim1_name, dim1_value FROM metric_sketches ORDER BY shard_id');
        expect(rows.map((r) => r.map(norm))).toEqual([
          ['cs/shard-1', 'AAB=', 2, 'country', 'FR'],
          ['cs/shard-2', 'BBC=', 2, 'country', 'FR'],
        ]);
      });

      it('canonical dims ignore key order; hostile dim values stay exact keys', async () => {
        // Prepare
        await db.query('DELETE FROM metric_counters');
        const m = mirror();
        const hostileRows = HOSTILE.map((h, i) => row(i, 1, { currency: 'USD', country: h }, 'revenue'));
        // Act
        await m.load(hostileRows, []);
        await m.load(
          HOSTILE.map((h, i) => row(i + 100, 2, { country: h, currency: 'USD' }, 'revenue')),
          [],
        );
        // Assert
        const rows = await counters();
        expect(rows).toHaveLength(HOSTILE.length);
        const byDims = new Map(rows.map((r) => [r[1], r[3]]));
        HOSTILE.forEach((h, i) => expect(byDims.get(canonicalDims({ currency: 'USD', country: h }))).toBe(i + 100));
        const { rows: dimCols } = await db.query("SELECT dim1_name, dim2_name FROM metric_counters WHERE metric = 'revenue' LIMIT 1");
        expect(dimCols[0]).toEqual(['currency', 'country']);
      });

      it('a large load is split into batches of ≤ 40 statements of ≤ 100 KB and still lands once', async () => {
        // Prepare: ~6 MB of sketches
        await db.query('DELETE FROM metric_sketches');
        const m = mirror();
        const big = 'A'.repeat(60_000);
        const rows: SketchRow[] = Array.from({ length: 100 }, (_, i) => ({ metric: 'sessions', dims: {}, windowStart: T0 + i * 60_000, shardId: 's', kind: 'hll', sketch: big, version: 1 }));
        const tuples = rows.map((r) => `(${r.metric})`);
        // Act
        const plan = m.plan(tuples, []);
        await m.load([], rows);
        await m.load([], rows);
        // Assert
        expect(plan.every((b) => b.length <= 40)).toBe(true);
        expect(m.stats.batches).toBeGreaterThan(2);
        const { rows: n } = await db.query('SELECT COUNT(*), MIN(LENGTH(sketch)) FROM metric_sketches');
        expect(n[0]!.map(norm)).toEqual([100, 60_000]);
      });

      it('analyst views roll counters up and keep currencies apart', async () => {
        // Prepare
        await db.query('DELETE FROM metric_counters');
        const m = mirror();
        await m.load(
          [
            row(10, 1, {}, 'page_views'),
            row(4, 1, {}, 'add_to_cart'),
            row(2, 1, {}, 'checkout_started'),
            row(1, 1, {}, 'orders'),
            row(1, 1, {}, 'orders', T0 + 60_000),
            row(3, 1, { currency: 'USD' }, 'orders'),
            row(3000, 1, { currency: 'USD' }, 'revenue'),
            row(1, 1, { currency: 'JPY' }, 'orders'),
            row(500, 1, { currency: 'JPY' }, 'revenue'),
            row(250, 1, { currency: 'USD', country: 'FR' }, 'revenue'),
          ],
          [],
        );
        // Act
        const funnel = (await db.query('SELECT page_views, add_to_cart, checkout_started, orders FROM funnel_daily')).rows.map((r) => r.map(norm));
        const revenue = (await db.query('SELECT currency, revenue_minor, orders, average_order_value_minor FROM revenue_by_currency_daily ORDER BY currency')).rows.map((r) => r.map(norm));
        const hourly = (await db.query("SELECT value FROM metrics_hourly WHERE metric = 'orders' AND dims = '{}'")).rows.map((r) => r.map(norm));
        // Assert
        expect(funnel).toEqual([[10, 4, 2, 2]]);
        expect(revenue).toEqual([
          ['JPY', 500, 1, 500],
          ['USD', 3000, 3, 1000],
        ]);
        expect(hourly).toEqual([[2]]);
      });
    });

    it('dedupeEventsSql removes duplicate events by key and keeps one copy', async () => {
      // Prepare: e1 three times, e2 once
      await db.query('DELETE FROM clickstream_events');
      const ins = (id: string, seq: string) =>
        db.query(
          `INSERT INTO clickstream_events (event_id, type, occurred_at, session_id, anonymous_id, page, page_host, page_url, device, country, shard_id, sequence_number, sub_sequence, arrived_at) VALUES (${sqlString(id, 'postgres')}, 'page_view', ${sqlTimestamp(T0)}, 's', 'a', 'p', 'h', 'u', 'desktop', 'FR', 'shardId-0', '${seq}', 0, ${sqlTimestamp(T0)})`,
        );
      await ins('e1', '100');
      await ins('e1', '100');
      await ins('e1', '99');
      await ins('e2', '101');
      const unique = (await db.query('SELECT event_id, sequence_number FROM clickstream_events_unique ORDER BY event_id')).rows;
      // Act
      await db.transaction(dedupeEventsSql('clickstream_events'));
      // Assert
      const rows = (await db.query('SELECT event_id, sequence_number FROM clickstream_events ORDER BY event_id')).rows;
      expect(rows).toEqual([
        ['e1', '99'],
        ['e2', '101'],
      ]);
      expect(unique).toEqual(rows);
    });
  });
}
