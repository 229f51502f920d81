import { describe, expect, it } from 'vitest';
import { MemoryDedupeStore, decideClaim } from '../../src/dedupe/memory-dedupe-store.ts';
import { HORIZONS, claim, dedupeConformance } from './conformance.ts';

describe('MemoryDedupeStore', () => {
  dedupeConformance(async () => new MemoryDedupeStore(HORIZONS));

  it('forgets keys two horizons behind the latest arrival, and only those', async () => {
    // Prepare
    const store = new MemoryDedupeStore(HORIZONS);
    await store.claim(Array.from({ length: 5_000 }, (_, i) => claim(`old${i}`, i + 1, 0)));

    // Act: 10,000 claims later, arrivals 3 h on
    await store.claim(Array.from({ length: 5_000 }, (_, i) => claim(`new${i}`, 10_000 + i, 3 * 3_600_000)));

    // Assert
    expect(store.size).toBe(5_000);
    expect(await store.claim([claim('new1', 99_999, 3 * 3_600_000 + 5)])).toEqual(['duplicate']);
  });
});

describe('decideClaim', () => {
  it('decides by arrival times and positions only', () => {
    // Prepare
    const seen = { pos: 'p1', arr: 10_000 };
    const at = (pos: string, arrivalMs: number) => ({ stream: 'clickstream' as const, key: 'k', posKey: pos, arrivalMs });

    // Act / Assert
    expect(decideClaim(undefined, at('p2', 0), 100)).toEqual({ verdict: 'new', remember: true });
    expect(decideClaim(seen, at('p1', 10_000), 100)).toEqual({ verdict: 'new', remember: true });
    expect(decideClaim(seen, at('p2', 10_100), 100)).toEqual({ verdict: 'duplicate', remember: false });
    expect(decideClaim(seen, at('p2', 10_101), 100)).toEqual({ verdict: 'new', remember: true });
    expect(decideClaim(seen, at('p0', 9_900), 100)).toEqual({ verdict: 'duplicate', remember: false });
    expect(decideClaim(seen, at('p0', 9_899), 100)).toEqual({ verdict: 'new', remember: false });
  });
});
