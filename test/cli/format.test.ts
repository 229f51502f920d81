import { describe, expect, it } from 'vitest';
import { formatRows } from '../../src/cli/format.ts';

const rows = [
  { metric: 'page_views', windowStart: '2026-11-23T10:00:00.000Z', dims: { page: 'shop.example.com/cart' }, value: 4 },
  { metric: 'page_views', windowStart: '2026-11-23T10:00:00.000Z', dims: { page: 'shop.example.com/a,"b"' }, value: 12 },
];

describe('formatRows', () => {
  it('prints JSON rows exactly as SPEC §7 describes', () => {
    expect(JSON.parse(formatRows(rows, 'json'))).toEqual(rows);
  });

  it('prints CSV with a header and quotes fields that need it', () => {
    // Act
    const lines = formatRows(rows, 'csv').trim().split('\n');
    // Assert
    expect(lines).toEqual(['metric,windowStart,page,value', 'page_views,2026-11-23T10:00:00.000Z,shop.example.com/cart,4', 'page_views,2026-11-23T10:00:00.000Z,"shop.example.com/a,""b""",12']);
  });

  it('aligns table columns, numbers to the right', () => {
    // Act
    const lines = formatRows(rows, 'table').trim().split('\n');
    // Assert
    expect(lines[0]).toMatch(/^metric\s+windowStart\s+page\s+value$/);
    expect(lines[2]!.endsWith(' 4')).toBe(true);
    expect(lines[3]!.endsWith('12')).toBe(true);
    expect(new Set(lines.map((l) => l.indexOf('shop') === -1 ? null : l.indexOf('shop')).filter((x) => x !== null)).size).toBe(1);
  });

  it('spreads order_value quantiles over columns', () => {
    const csv = formatRows([{ metric: 'order_value', windowStart: '2026-11-23T10:00:00.000Z', dims: { currency: 'USD' }, value: { p50: 1, p90: 2, p99: 3 } }], 'csv');
    expect(csv).toBe('metric,windowStart,currency,p50,p90,p99\norder_value,2026-11-23T10:00:00.000Z,USD,1,2,3\n');
  });
});
