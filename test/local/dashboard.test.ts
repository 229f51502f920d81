import { describe, expect, it } from 'vitest';
import { renderFrame } from '../../src/local/dashboard.ts';

describe('renderFrame', () => {
  it('fits 80 columns and shows rates, shards, minutes, top pages and data quality', () => {
    // Prepare
    const now = Date.UTC(2026, 10, 23, 10, 5, 30);
    const ws = (m: number) => new Date(Date.UTC(2026, 10, 23, 10, m)).toISOString();
    // Act
    const frame = renderFrame({
      now,
      inRate: 123.4,
      failures: 1,
      shards: [{ stream: 'clickstream', shardId: 'shardId-000000000000', recordsIn: 1000, iteratorAgeMs: 1500, failures: 0 }],
      pageViews: [1, 2, 3].map((m) => ({ metric: 'page_views', windowStart: ws(m), dims: {}, value: m * 10 })),
      revenue: [{ metric: 'revenue', windowStart: ws(3), dims: { currency: 'USD' }, value: 1999 }],
      topPages: [{ metric: 'page_views', windowStart: ws(0), dims: { page: `shop.example.com/${'x'.repeat(200)}` }, value: 42 }],
      quality: [
        { metric: 'records', windowStart: ws(0), dims: { outcome: 'counted' }, value: 990 },
        { metric: 'records', windowStart: ws(0), dims: { outcome: 'rejected' }, value: 10 },
      ],
    });
    // Assert
    const lines = frame.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(frame).toContain('records in:    123/s');
    expect(frame).toContain('clickstream/shardId-000000000000');
    expect(frame).toContain('1.5 s');
    expect(frame).toMatch(/10:03\s+30\s+USD 1999/);
    expect(frame).toContain('counted 990   rejected 10');
  });
});
