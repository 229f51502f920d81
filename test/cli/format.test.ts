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

  it('aligns table columns by display width: wide (CJK) characters take two columns, combining marks none', () => {
    // Prepare
    const skus = [{ sku: '日本語SKU' }, { sku: 'SKU-A' }, { sku: 'e\u0301te\u0301' }, { sku: 'wide-ｘ' }];
    const table = formatRows(skus.map((dims, i) => ({ metric: 'units_sold', windowStart: '2026-11-23T10:00:00.000Z', dims, value: 10 + i })), 'table');
    // Act: the display column where each line's value ends
    const width = (s: string) => [...s].reduce((w, c) => w + (/\p{M}/u.test(c) ? 0 : /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(c) ? 2 : 1), 0);
    const ends = table.trimEnd().split('\n').map(width);
    // Assert
    expect(new Set(ends).size).toBe(1);
  });

  it('spreads order_value quantiles over columns', () => {
    const csv = formatRows([{ metric: 'order_value', windowStart: '2026-11-23T10:00:00.000Z', dims: { currency: 'USD' }, value: { p50: 1, p90: 2, p99: 3 } }], 'csv');
    expect(csv).toBe('metric,windowStart,currency,p50,p90,p99\norder_value,2026-11-23T10:00:00.000Z,USD,1,2,3\n');
  });
});
