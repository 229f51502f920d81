import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.ts';
import { deriveRows, findDerived, planDerived } from '../../src/query/derived.ts';
import type { QueryRow } from '../../src/query/rollup.ts';

const W1 = '2026-11-23T10:00:00.000Z';
const W2 = '2026-11-23T11:00:00.000Z';
const row = (metric: string, windowStart: string, dims: Record<string, string>, value: number): QueryRow => ({ metric, windowStart, dims, value });

describe('findDerived', () => {
  it('knows the three derived metrics of SPEC §4 by name and alias', () => {
    // Act / Assert
    expect(findDerived('average_order_value')?.numerator).toBe('revenue');
    expect(findDerived('aov')?.name).toBe('average_order_value');
    expect(findDerived('cart_to_checkout_rate')?.denominator).toBe('add_to_cart');
    expect(findDerived('conversion_rate')?.name).toBe('conversion');
    expect(findDerived('revenue')).toBeUndefined();
  });
});

describe('planDerived', () => {
  it('queries both parts over the same range, grain and dimensions; money keeps currency', () => {
    // Prepare
    const aov = findDerived('average_order_value')!;
    // Act
    const plan = planDerived(aov, { metric: 'aov', by: [], fromMs: 0, toMs: 60_000, grain: '1h', top: 3 });
    // Assert
    expect(plan.numerator).toEqual({ metric: 'revenue', by: ['currency'], fromMs: 0, toMs: 60_000, grain: '1h' });
    expect(plan.denominator).toEqual({ metric: 'orders', by: ['currency'], fromMs: 0, toMs: 60_000, grain: '1h' });
  });

  it('refuses a breakdown the parts do not share, saying which exist', () => {
    // Act / Assert
    expect(() => planDerived(findDerived('conversion')!, { metric: 'conversion', by: ['country'], fromMs: 0, toMs: 1 })).toThrow(UsageError);
    expect(() => planDerived(findDerived('aov')!, { metric: 'aov', by: ['country'], fromMs: 0, toMs: 1 })).toThrow(/breakdowns: currency/);
    // the message names what was asked for, not the currency every money metric carries
    expect(() => planDerived(findDerived('aov')!, { metric: 'aov', by: ['country'], fromMs: 0, toMs: 1 })).toThrow(/cannot be broken down by country;/);
  });
});

describe('deriveRows', () => {
  it('divides row by row, matched by window and dims; no row without a positive denominator; a missing numerator is 0', () => {
    // Prepare
    const aov = findDerived('aov')!;
    const revenue = [row('revenue', W1, { currency: 'USD' }, 3000), row('revenue', W1, { currency: 'EUR' }, 999), row('revenue', W2, { currency: 'USD' }, 500)];
    const orders = [row('orders', W1, { currency: 'USD' }, 4), row('orders', W1, { currency: 'EUR' }, 3), row('orders', W2, { currency: 'USD' }, 0), row('orders', W2, { currency: 'JPY' }, 2)];
    // Act
    const rows = deriveRows(aov, {}, revenue, orders);
    // Assert
    expect(rows).toEqual([
      { metric: 'average_order_value', windowStart: W1, dims: { currency: 'USD' }, value: 750 },
      { metric: 'average_order_value', windowStart: W1, dims: { currency: 'EUR' }, value: 333 },
      { metric: 'average_order_value', windowStart: W2, dims: { currency: 'JPY' }, value: 0 },
    ]);
  });

  it('keeps the N largest quotients per window with --top', () => {
    // Prepare
    const aov = findDerived('aov')!;
    const revenue = [row('revenue', W1, { currency: 'USD' }, 100), row('revenue', W1, { currency: 'EUR' }, 900), row('revenue', W1, { currency: 'GBP' }, 500)];
    const orders = [row('orders', W1, { currency: 'USD' }, 1), row('orders', W1, { currency: 'EUR' }, 1), row('orders', W1, { currency: 'GBP' }, 1)];
    // Act
    const rows = deriveRows(aov, { top: 2 }, revenue, orders);
    // Assert
    expect(rows.map((r) => r.dims.currency)).toEqual(['EUR', 'GBP']);
  });
});
