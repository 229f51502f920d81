import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { planQuery, rollup, type StoredCell } from '../../src/query/rollup.ts';
import { HyperLogLog } from '../../src/sketch/index.ts';

const T0 = Date.UTC(2026, 10, 23, 10, 0);
const MIN = 60_000;

describe('planQuery', () => {
  it('picks the stored breakdown and always keeps the currency of money', () => {
    expect(planQuery({ metric: 'revenue', fromMs: 0, toMs: 1, by: [] })).toMatchObject({ combo: ['currency'], dims: ['currency'] });
    expect(planQuery({ metric: 'revenue', fromMs: 0, toMs: 1, by: ['country'] })).toMatchObject({ combo: ['currency', 'country'], dims: ['currency', 'country'] });
    expect(planQuery({ metric: 'records', fromMs: 0, toMs: 1, by: ['stream', 'outcome'] })).toMatchObject({ combo: ['stream', 'outcome', 'reason'], dims: ['stream', 'outcome'] });
  });

  it('says what is possible when a query cannot be answered', () => {
    expect(() => planQuery({ metric: 'nope', fromMs: 0, toMs: 1, by: [] })).toThrow(UsageError);
    expect(() => planQuery({ metric: 'nope', fromMs: 0, toMs: 1, by: [] })).toThrow(/unknown metric "nope"; known metrics: page_views/);
    expect(() => planQuery({ metric: 'page_views', fromMs: 0, toMs: 1, by: ['sku'] })).toThrow(/cannot be broken down by sku; stored breakdowns: \(none\); page; country; device/);
    expect(() => planQuery({ metric: 'revenue', fromMs: 0, toMs: 1, by: ['page'] })).toThrow(/cannot be broken down by page; stored breakdowns: currency; currency,country/);
    // A sketch cannot be summed over a dimension it was not built without.
    expect(() => planQuery({ metric: 'unique_visitors', fromMs: 0, toMs: 1, by: ['device'] })).toThrow(UsageError);
  });
});

describe('rollup', () => {
  const cells: StoredCell[] = [
    { windowStart: T0, dims: { page: 'a' }, value: 2 },
    { windowStart: T0 + MIN, dims: { page: 'b' }, value: 5 },
    { windowStart: T0 + 6 * MIN, dims: { page: 'a' }, value: 1 },
    { windowStart: T0 + 61 * MIN, dims: { page: 'a' }, value: 100 }, // outside the range
  ];
  const base = { metric: 'page_views', fromMs: T0, toMs: T0 + 60 * MIN, by: ['page'] };

  it('without a grain: one row per dims for the range, windowStart = from', () => {
    // Act
    const rows = rollup(planQuery(base), base, cells);
    // Assert
    expect(rows).toEqual([
      { metric: 'page_views', windowStart: new Date(T0).toISOString(), dims: { page: 'b' }, value: 5 },
      { metric: 'page_views', windowStart: new Date(T0).toISOString(), dims: { page: 'a' }, value: 3 },
    ]);
  });

  it('at 5m: windows aligned to UTC, top N per window', () => {
    // Prepare
    const req = { ...base, grain: '5m' as const, top: 1 };
    // Act
    const rows = rollup(planQuery(req), req, cells);
    // Assert
    expect(rows.map((r) => [r.windowStart.slice(11, 16), r.dims.page, r.value])).toEqual([
      ['10:00', 'b', 5],
      ['10:05', 'a', 1],
    ]);
  });

  it('breaks --top ties by the dimension values in code-point order, not by the locale', () => {
    // Prepare: four pages with the same count; ICU collation would put '_x' and 'a,b' before
    // 'Cart', and '%C3%A9' after '_'.
    const pages = ['shop.example.com/a,b', 'shop.example.com/_x', 'shop.example.com/Cart', 'shop.example.com/%C3%A9t%C3%A9', 'shop.example.com/say"hi"'];
    const req = { ...base, top: 3 };
    // Act
    const rows = rollup(planQuery(req), req, pages.map((page) => ({ windowStart: T0, dims: { page }, value: 2 })));
    // Assert
    expect(rows.map((r) => r.dims.page)).toEqual(['shop.example.com/%C3%A9t%C3%A9', 'shop.example.com/Cart', 'shop.example.com/_x']);
  });

  it('breaks ties dimension by dimension, in the order of --by', () => {
    const req = { metric: 'revenue', fromMs: T0, toMs: T0 + MIN, by: ['currency', 'country'], top: 2 };
    const rows = rollup(planQuery(req), req, [
      { windowStart: T0, dims: { currency: 'USD', country: 'DE' }, value: 5 },
      { windowStart: T0, dims: { currency: 'EUR', country: 'US' }, value: 5 },
      { windowStart: T0, dims: { currency: 'EUR', country: 'FR' }, value: 5 },
    ]);
    expect(rows.map((r) => `${r.dims.currency}/${r.dims.country}`)).toEqual(['EUR/FR', 'EUR/US']);
  });

  it('merges distinct-count sketches instead of adding them', () => {
    // Prepare: the same visitor in two minutes and on two shards.
    const a = HyperLogLog.empty();
    a.add('v1');
    a.add('v2');
    const b = HyperLogLog.empty();
    b.add('v2');
    const req = { metric: 'unique_visitors', fromMs: T0, toMs: T0 + 60 * MIN, by: [], grain: '1h' as const };
    // Act
    const rows = rollup(planQuery(req), req, [
      { windowStart: T0, dims: {}, sketch: a.toBytes() },
      { windowStart: T0 + MIN, dims: {}, sketch: b.toBytes() },
    ]);
    // Assert
    expect(rows).toEqual([{ metric: 'unique_visitors', windowStart: new Date(T0).toISOString(), dims: {}, value: 2 }]);
  });

  it('drops counters that sum to zero (counts moved away by a replay)', () => {
    const req = { metric: 'records', fromMs: T0, toMs: T0 + MIN, by: ['outcome'] };
    const rows = rollup(planQuery(req), req, [
      { windowStart: T0, dims: { stream: 's', outcome: 'rejected', reason: 'too_late' }, value: 0 },
      { windowStart: T0, dims: { stream: 's', outcome: 'counted', reason: '-' }, value: 3 },
    ]);
    expect(rows.map((r) => [r.dims.outcome, r.value])).toEqual([['counted', 3]]);
  });

  it('keeps a money sum of zero: a window whose only orders cost nothing has revenue 0, not no row', () => {
    // Prepare: a completed purchase of "0.00" USD and one of 12.34 BHD in the same minute.
    const req = { metric: 'revenue', fromMs: T0, toMs: T0 + MIN, by: [], grain: '1m' as const };
    // Act
    const rows = rollup(planQuery(req), req, [
      { windowStart: T0, dims: { currency: 'USD' }, value: 0 },
      { windowStart: T0, dims: { currency: 'BHD' }, value: 12340 },
    ]);
    // Assert
    expect(rows.map((r) => [r.dims.currency, r.value])).toEqual([['BHD', 12340], ['USD', 0]]);
  });
});
