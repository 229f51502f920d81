import { describe, expect, it } from 'vitest';
import { formatMoney, renderFrame, statusLine } from '../../src/local/dashboard.ts';

describe('renderFrame', () => {
  it('fits 80 columns and shows rates, shards, minutes, top pages and data quality', () => {
    // Prepare
    const now = Date.UTC(2026, 10, 23, 10, 5, 30);
    const ws = (m: number) => new Date(Date.UTC(2026, 10, 23, 10, m)).toISOString();
    // Act
    const frame = renderFrame({
      now,
      inRate: 123.4,
      outRate: 98.6,
      failures: 1,
      shards: [{ stream: 'clickstream', shardId: 'shardId-000000000000', recordsIn: 1000, iteratorAgeMs: 1500, failures: 0 }],
      pageViews: [1, 2, 3].map((m) => ({ metric: 'page_views', windowStart: ws(m), dims: {}, value: m * 10 })),
      revenue: [
        { metric: 'revenue', windowStart: ws(3), dims: { currency: 'USD' }, value: 1930889 },
        { metric: 'revenue', windowStart: ws(3), dims: { currency: 'JPY' }, value: 817730 },
      ],
      problems: ['10:05:01 warn clickstream/shardId-000000000000 sink write failed: ' + 'x'.repeat(100)],
      logPath: '/tmp/sm/stream-metrics.log',
      topPages: [{ metric: 'page_views', windowStart: ws(0), dims: { page: `shop.example.com/${'x'.repeat(200)}` }, value: 42 }],
      quality: [
        { metric: 'records', windowStart: ws(0), dims: { outcome: 'counted' }, value: 990 },
        { metric: 'records', windowStart: ws(0), dims: { outcome: 'rejected' }, value: 10 },
      ],
    });
    // Assert
    const lines = frame.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(frame).toContain('records/s  in    123  out     99');
    expect(frame).toContain('clickstream/shardId-000000000000');
    expect(frame).toContain('1.5 s');
    expect(frame).toMatch(/minute\s+page views\s+revenue USD\s+revenue JPY\n/);
    expect(frame).toMatch(/10:02\s+20\s+-\s+-\n/);
    expect(frame).toMatch(/10:03\s+30\s+19,308\.89\s+817,730\n/);
    expect(frame).toContain('counted 990   rejected 10');
    expect(frame).toContain('  10:05:01 warn clickstream/shardId-000000000000 sink write failed: xxx');
    expect(frame).toContain('full log: /tmp/sm/stream-metrics.log');
  });

  it('shows revenue for the four largest currencies in columns that fit 80 characters', () => {
    // Prepare
    const ws = new Date(Date.UTC(2026, 10, 23, 10, 3)).toISOString();
    const amounts: [string, number][] = [['USD', 999_999_999_99], ['EUR', 5_00], ['JPY', 70_000], ['GBP', 3_00], ['BHD', 1]];
    // Act
    const frame = renderFrame({
      now: 0, inRate: 0, outRate: 0, failures: 0, shards: [], topPages: [], quality: [],
      pageViews: [{ metric: 'page_views', windowStart: ws, dims: {}, value: 1 }],
      revenue: amounts.map(([currency, value]) => ({ metric: 'revenue', windowStart: ws, dims: { currency }, value })),
    });
    // Assert: BHD (the smallest in minor units here) left out
    expect(Math.max(...frame.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(frame).toMatch(/page views\s+revenue USD\s+revenue JPY\s+revenue EUR\s+revenue GBP\n/);
    expect(frame).toMatch(/999,999,999.99\s+70,000\s+5.00\s+3.00\n/);
  });

  it('says so when there are no problems', () => {
    // Prepare / Act
    const frame = renderFrame({ now: 0, inRate: 0, outRate: 0, failures: 0, shards: [], pageViews: [], revenue: [], topPages: [], quality: [] });
    // Assert
    expect(frame).toContain('problems: none');
    expect(frame).not.toContain('full log');
  });
});

describe('formatMoney', () => {
  it('writes minor units with the currency\'s digits and thousands separators, exactly', () => {
    // Prepare / Act / Assert
    expect(formatMoney(1930889, 'USD')).toBe('USD 19,308.89');
    expect(formatMoney(5, 'EUR')).toBe('EUR 0.05');
    expect(formatMoney(817730, 'JPY')).toBe('JPY 817,730');
    expect(formatMoney(1234567, 'BHD')).toBe('BHD 1,234.567');
    expect(formatMoney(-300, 'USD')).toBe('USD -3.00');
    expect(formatMoney(9_007_199_254_740_991, 'USD')).toBe('USD 90,071,992,547,409.91');
    expect(formatMoney(0, 'USD')).toBe('USD 0.00');
  });
});

describe('statusLine (stdout not a terminal)', () => {
  it('shows data flowing: rates, page views and revenue of the latest minute, data quality', () => {
    // Arrange
    const row = (metric: string, windowStart: string, value: number, dims: Record<string, string> = {}) => ({ metric, windowStart, dims, value });
    // Act
    const line = statusLine({
      now: Date.parse('2026-12-06T23:26:01.848Z'),
      inRate: 50,
      outRate: 48,
      pageViews: [row('page_views', '2026-12-06T23:24:00.000Z', 300), row('page_views', '2026-12-06T23:25:00.000Z', 412)],
      revenue: [row('revenue', '2026-12-06T23:25:00.000Z', 9900, { currency: 'EUR' }), row('revenue', '2026-12-06T23:25:00.000Z', 123450, { currency: 'USD' }), row('revenue', '2026-12-06T23:24:00.000Z', 1, { currency: 'JPY' })],
      quality: [row('records', '2026-12-06T22:26:00.000Z', 461, { outcome: 'counted' }), row('records', '2026-12-06T22:26:00.000Z', 9, { outcome: 'filtered' })],
      iteratorAgeMaxMs: 420,
      failures: 0,
    });
    // Assert
    expect(line).toBe('2026-12-06T23:26:01.848Z in=50/s out=48/s page_views[23:25]=412 revenue[23:25]=USD 1,234.50 EUR 99.00 counted=461 filtered=9 iterator_age_max=420ms');
  });

  it('before anything is counted: rates only', () => {
    expect(statusLine({ now: 0, inRate: 0, outRate: 0, pageViews: [], revenue: [], quality: [], iteratorAgeMaxMs: 0, failures: 2 })).toBe('1970-01-01T00:00:00.000Z in=0/s out=0/s iterator_age_max=0ms on_failure_batches=2');
  });
});
