/**
 * The analysts' views (`metrics_hourly`, `metrics_daily`, `funnel_daily`,
 * `revenue_by_currency_daily`) against roll-ups computed here from the same minute rows.
 * The rows span three days (across midnight) and several hours, four currencies plus one
 * with refunds only, every funnel step (one day without add-to-cart, so a rate is NULL),
 * and versions replaced by later loads; they are loaded by the metric mirror, as in
 * production, on PostgreSQL and PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalDims, dimOrder, RedshiftMetricMirror } from '../../../src/sinks/redshift/metric-mirror.ts';
import { migrate } from '../../../src/sinks/redshift/migrations.ts';
import type { CounterRow } from '../../../src/types.ts';
import { openPglite, openPostgres, type SqlDb } from './support.ts';
import { rng } from '../../support/scenario.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 2, 30);

/** The minute rows as they end up stored (the latest version of each key), and the loads. */
function makeRows(seed: number): { final: (CounterRow & { loadedAt: number })[]; loads: { now: number; rows: CounterRow[] }[] } {
  const rnd = rng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const windows = new Set<number>();
  for (let d = 0; d < 3; d++) for (const h of [0, 1, 7, 13, 23]) for (let k = 0; k < 3; k++) windows.add(DAY0 + d * DAY + h * HOUR + int(60) * MINUTE);
  const rows = new Map<string, CounterRow>();
  const add = (metric: string, dims: Record<string, string>, windowStart: number, value: number) => {
    const key = `${metric}|${canonicalDims(dims)}|${windowStart}`;
    const prev = rows.get(key);
    rows.set(key, { metric, dims, windowStart, value: (prev?.value ?? 0) + value, version: 2 });
  };
  for (const ws of windows) {
    const day = Math.floor((ws - DAY0) / DAY);
    add('page_views', {}, ws, 1 + int(500));
    add('page_views', { page: pick(['shop.example.com/', 'shop.example.com/Cart', 'shop.example.com/p/ümlaut']) }, ws, 1 + int(100));
    add('page_views', { country: pick(['FR', 'DE', 'ZZ']) }, ws, 1 + int(100));
    add('events', { type: pick(['click', 'search', 'page_view']) }, ws, 1 + int(300));
    // Day 2 has no add-to-cart at all: its cart-to-checkout rate is NULL, not 0 or an error.
    if (day !== 2) add('add_to_cart', {}, ws, int(40));
    if (rnd() < 0.7) add('checkout_started', {}, ws, int(20));
    if (rnd() < 0.6) add('orders', {}, ws, int(10));
    for (const currency of ['USD', 'EUR', 'JPY', 'BHD']) {
      if (rnd() < 0.5) {
        const orders = 1 + int(5);
        add('orders', { currency }, ws, orders);
        add('revenue', { currency }, ws, orders * (100 + int(1_000_000)));
        // by currency × country: a second dimension, which the revenue view leaves out
        add('revenue', { country: pick(['FR', 'JP']), currency }, ws, 1 + int(50_000));
      }
      if (rnd() < 0.2) {
        add('refunds', { currency }, ws, 1);
        add('refund_amount', { currency }, ws, 1 + int(20_000));
      }
    }
    // KWD: refunds but no orders, so its average order value is NULL
    if (rnd() < 0.3) {
      add('refunds', { currency: 'KWD' }, ws, 1);
      add('refund_amount', { currency: 'KWD' }, ws, 1 + int(9_999));
    }
    add('orders', { country: pick(['FR', 'JP']) }, ws, int(5));
    add('orders', { payment_method: pick(['card', 'wallet']) }, ws, int(5));
    add('records', { stream: 'clickstream', outcome: pick(['counted', 'rejected']), reason: pick(['', 'bad_json']) }, ws, 1 + int(1_000));
  }
  // Three loads: a stale version 1 of some keys, then the final rows in two halves, the
  // second of which replaces the stale ones; loaded_at differs per load.
  const all = [...rows.values()];
  const stale = all.filter(() => rnd() < 0.3);
  const staleKeys = new Set(stale.map((r) => `${r.metric}|${canonicalDims(r.dims)}|${r.windowStart}`));
  const late = all.filter((r) => staleKeys.has(`${r.metric}|${canonicalDims(r.dims)}|${r.windowStart}`) || rnd() < 0.3);
  const early = all.filter((r) => !late.includes(r));
  const [A, B, C] = [Date.UTC(2026, 3, 2, 9), Date.UTC(2026, 3, 2, 10), Date.UTC(2026, 3, 2, 11)];
  return {
    final: [...early.map((r) => ({ ...r, loadedAt: B })), ...late.map((r) => ({ ...r, loadedAt: C }))],
    loads: [
      { now: A, rows: stale.map((r) => ({ ...r, value: r.value + 1_000, version: 1 })) },
      { now: B, rows: early },
      { now: C, rows: late },
    ],
  };
}

const norm = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v);
/** Rows in one order, whatever the database's collation. */
const sorted = (rows: unknown[][]) => rows.map((r) => r.map(norm)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** `metrics_hourly` / `metrics_daily` computed here: one row per key and hour (day). */
function rollup(rows: ReturnType<typeof makeRows>['final'], unit: number): unknown[][] {
  const out = new Map<string, { r: CounterRow; ws: number; value: number; loadedAt: number }>();
  for (const r of rows) {
    const ws = Math.floor(r.windowStart / unit) * unit;
    const key = `${r.metric}|${canonicalDims(r.dims)}|${ws}`;
    const cur = out.get(key);
    if (cur) {
      cur.value += r.value;
      cur.loadedAt = Math.max(cur.loadedAt, r.loadedAt);
    } else out.set(key, { r, ws, value: r.value, loadedAt: r.loadedAt });
  }
  return [...out.values()].map(({ r, ws, value, loadedAt }) => {
    const names = dimOrder(r.metric, r.dims);
    const dim = (k: number) => (names[k] === undefined ? [null, null] : [names[k], r.dims[names[k]!]]);
    return [r.metric, canonicalDims(r.dims), ...dim(0), ...dim(1), ws, value, loadedAt];
  });
}

/** `funnel_daily` computed here: the four steps without dimensions, per day, and their rates. */
function funnel(rows: ReturnType<typeof makeRows>['final']): unknown[][] {
  const steps = ['page_views', 'add_to_cart', 'checkout_started', 'orders'];
  const days = new Map<number, number[]>();
  for (const r of rows) {
    if (Object.keys(r.dims).length > 0 || !steps.includes(r.metric)) continue;
    const day = Math.floor(r.windowStart / DAY) * DAY;
    const sums = days.get(day) ?? [0, 0, 0, 0];
    sums[steps.indexOf(r.metric)]! += r.value;
    days.set(day, sums);
  }
  return [...days].map(([day, [pv, cart, checkout, orders]]) => [day, pv, cart, checkout, orders, ratio(cart!, pv!), ratio(checkout!, cart!), ratio(orders!, checkout!)]);
}

/** `revenue_by_currency_daily` computed here: per day and currency, never across currencies. */
function revenue(rows: ReturnType<typeof makeRows>['final']): unknown[][] {
  const metrics = ['revenue', 'orders', 'refunds', 'refund_amount'];
  const groups = new Map<string, { day: number; currency: string; sums: number[] }>();
  for (const r of rows) {
    const names = Object.keys(r.dims);
    if (!metrics.includes(r.metric) || names.length !== 1 || names[0] !== 'currency') continue;
    const day = Math.floor(r.windowStart / DAY) * DAY;
    const key = `${day}|${r.dims.currency}`;
    const g = groups.get(key) ?? { day, currency: r.dims.currency!, sums: [0, 0, 0, 0] };
    g.sums[metrics.indexOf(r.metric)]! += r.value;
    groups.set(key, g);
  }
  return [...groups.values()].map(({ day, currency, sums: [rev, orders, refunds, refundAmount] }) => [day, currency, rev, orders, refunds, refundAmount, ratio(rev!, orders!)]);
}

for (const open of [openPostgres, openPglite]) {
  describe(`analyst views against roll-ups of the minute rows on ${open === openPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
    let db: SqlDb;
    const data = makeRows(20260330);

    beforeAll(async () => {
      db = await open();
      await db.query("SET TIME ZONE 'UTC'");
      await migrate((sql) => db.query(sql), 'postgres');
      for (const load of data.loads) await new RedshiftMetricMirror({ batch: (sqls) => db.transaction(sqls) }, 'postgres', { now: () => load.now }).load(load.rows, []);
    });
    afterAll(async () => {
      await db?.close();
    });

    it('the test data covers what the views must tell apart', () => {
      // Assert: several days and hours, several currencies, both multi-dimension cases, replaced versions
      const days = new Set(data.final.map((r) => Math.floor(r.windowStart / DAY)));
      const hours = new Set(data.final.map((r) => Math.floor(r.windowStart / HOUR)));
      const currencies = new Set(data.final.filter((r) => r.metric === 'revenue').map((r) => r.dims.currency));
      expect(days.size).toBe(3);
      expect(hours.size).toBe(15);
      expect(currencies).toEqual(new Set(['USD', 'EUR', 'JPY', 'BHD']));
      expect(data.final.some((r) => r.dims.currency === 'KWD')).toBe(true);
      expect(data.loads[0]!.rows.length).toBeGreaterThan(50);
    });

    it('metrics_hourly is the minute rows summed per key and hour', async () => {
      // Act
      const { rows } = await db.query('SELECT metric, dims, dim1_name, dim1_value, dim2_name, dim2_value, window_start, value, loaded_at FROM metrics_hourly');
      // Assert
      expect(sorted(rows)).toEqual(sorted(rollup(data.final, HOUR)));
    });

    it('metrics_daily is the minute rows summed per key and UTC day', async () => {
      // Act
      const { rows } = await db.query('SELECT metric, dims, dim1_name, dim1_value, dim2_name, dim2_value, window_start, value, loaded_at FROM metrics_daily');
      // Assert
      expect(rows.length).toBeLessThan(rollup(data.final, HOUR).length);
      expect(sorted(rows)).toEqual(sorted(rollup(data.final, DAY)));
    });

    it('funnel_daily has the four steps without dimensions per day, and their rates (NULL when a step is 0)', async () => {
      // Act
      const { rows } = await db.query('SELECT day, page_views, add_to_cart, checkout_started, orders, view_to_cart_rate, cart_to_checkout_rate, checkout_to_order_rate FROM funnel_daily');
      // Assert
      const expected = funnel(data.final);
      expect(sorted(rows)).toEqual(sorted(expected));
      expect(expected.filter((r) => r[6] === null)).toHaveLength(1);
    });

    it('revenue_by_currency_daily keeps currencies apart and leaves the currency × country rows out', async () => {
      // Act
      const { rows } = await db.query('SELECT day, currency, revenue_minor, orders, refunds, refund_amount_minor, average_order_value_minor FROM revenue_by_currency_daily');
      // Assert
      const expected = revenue(data.final);
      expect(sorted(rows)).toEqual(sorted(expected));
      expect(expected.some((r) => r[1] === 'KWD' && r[6] === null)).toBe(true);
    });
  });
}
