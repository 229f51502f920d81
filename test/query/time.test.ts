import { describe, expect, it } from 'vitest';
import { parseQueryTime } from '../../src/query/time.ts';

describe('parseQueryTime', () => {
  it('reads the ISO forms, UTC unless an offset is given', () => {
    const t = Date.UTC(2026, 10, 23, 10, 0);
    expect(parseQueryTime('2026-11-23T10:00Z')).toBe(t);
    expect(parseQueryTime('2026-11-23T10:00:00Z')).toBe(t);
    expect(parseQueryTime('2026-11-23T10:00:00.000Z')).toBe(t);
    expect(parseQueryTime('2026-11-23T10:00')).toBe(t);
    expect(parseQueryTime('2026-11-23T10:00:30.5')).toBe(t + 30_500);
    expect(parseQueryTime('2026-11-23T11:00+01:00')).toBe(t);
    expect(parseQueryTime('2026-11-23')).toBe(Date.UTC(2026, 10, 23));
  });

  it('reads the other ISO 8601 / RFC 3339 spellings of an offset and the separator', () => {
    const t = Date.UTC(2026, 10, 23, 10, 0);
    expect(parseQueryTime('2026-11-23T11:00+0100')).toBe(t);
    expect(parseQueryTime('2026-11-23T07:30-0230')).toBe(t);
    expect(parseQueryTime('2026-11-23T11:00:00+01')).toBe(t);
    expect(parseQueryTime('2026-11-23 10:00:00Z')).toBe(t);
    expect(parseQueryTime('2026-11-23 10:00')).toBe(t);
    expect(parseQueryTime('2026-11-23t10:00z')).toBe(t);
  });

  it('refuses what is not an ISO time, or not a real one', () => {
    for (const s of ['1', '2026', 'soon', 'Dec 6 2026', '2026-11-23  10:00', '2026-11-23T10:00+1', '2026-11-23T10:00+01:0', '2026-11-31', '2026-02-29T00:00Z', '2026-11-23T24:00Z', '2026-11-23Z', '2026-11-23T10Z', '']) {
      expect(parseQueryTime(s), s).toBeNaN();
    }
  });
});
