/**
 * The behaviour every `DedupeStore` must have (SPEC §2 "duplicate"), run against the
 * in-memory store and the DynamoDB store alike.
 */
import { expect, it } from 'vitest';
import { positionKey } from '../../src/position.ts';
import type { DedupeClaim, DedupeStore, StreamKind } from '../../src/types.ts';

export const HORIZONS = { clickstream: 3_600_000, transactions: 86_400_000 };
const H = HORIZONS.clickstream;
/** Arrival times long in the past: decisions must not depend on the clock. */
const T = Date.UTC(2001, 0, 1);

export function claim(key: string, seq: number, arrivalMs: number, stream: StreamKind = 'clickstream'): DedupeClaim {
  return { stream, key, posKey: positionKey(String(seq)), arrivalMs };
}

export function dedupeConformance(makeStore: () => Promise<DedupeStore>): void {
  it('counts a new key, finds a later copy a duplicate, and never finds a replay its own duplicate', async () => {
    // Prepare
    const store = await makeStore();

    // Act
    const first = await store.claim([claim('e1', 1, T), claim('e2', 2, T)]);
    const copy = await store.claim([claim('e1', 9, T + 1_000)]);
    const replay = await store.claim([claim('e1', 1, T), claim('e2', 2, T)]);
    const replayOfCopy = await store.claim([claim('e1', 9, T + 1_000)]);

    // Assert
    expect(first).toEqual(['new', 'new']);
    expect(copy).toEqual(['duplicate']);
    expect(replay).toEqual(['new', 'new']);
    expect(replayOfCopy).toEqual(['duplicate']);
  });

  it('names a position by shard and sequence number: the same sequence number on another shard is another record (a duplicate), its replay on the first shard is not', async () => {
    // Prepare: Kinesis makes a sequence number unique within its shard only
    const store = await makeStore();
    const onShard = (shardId: string, seq: number, arrivalMs: number): DedupeClaim => ({ ...claim('e1', seq, arrivalMs), shardId });
    await store.claim([onShard('shardId-000000000000', 7, T)]);

    // Act
    const otherShard = await store.claim([onShard('shardId-000000000001', 7, T + 500)]);
    const replay = await store.claim([onShard('shardId-000000000000', 7, T)]);
    const replayOfOther = await store.claim([onShard('shardId-000000000001', 7, T + 500)]);

    // Assert
    expect(otherShard).toEqual(['duplicate']);
    expect(replay).toEqual(['new']);
    expect(replayOfOther).toEqual(['duplicate']);
  });

  it('expires a key by arrival time: a copy after the horizon counts and starts a new horizon', async () => {
    // Prepare
    const store = await makeStore();
    await store.claim([claim('e1', 1, T)]);

    // Act
    const atEdge = await store.claim([claim('e1', 2, T + H)]);
    const after = await store.claim([claim('e1', 3, T + H + 1)]);
    const withinNew = await store.claim([claim('e1', 4, T + 2 * H)]);
    const replayOfOld = await store.claim([claim('e1', 1, T)]);

    // Assert
    expect(atEdge).toEqual(['duplicate']);
    expect(after).toEqual(['new']);
    expect(withinNew).toEqual(['duplicate']);
    // The first copy arrived more than a horizon before the remembered one: it still counts.
    expect(replayOfOld).toEqual(['new']);
  });

  it('keeps the later copy remembered when an earlier one (another shard, lagging) comes after it', async () => {
    // Prepare: shard B's copy processed first, arrived 2 h after shard A's
    const store = await makeStore();
    await store.claim([claim('e1', 500, T + 2 * H)]);

    // Act
    const early = await store.claim([claim('e1', 1, T)]);
    const nearLater = await store.claim([claim('e1', 501, T + 2 * H + 10)]);

    // Assert
    expect(early).toEqual(['new']);
    expect(nearLater).toEqual(['duplicate']);
  });

  it('uses each stream its own horizon and key space', async () => {
    // Prepare
    const store = await makeStore();
    await store.claim([claim('k', 1, T, 'clickstream'), claim('k', 2, T, 'transactions')]);

    // Act: 2 h later — past the clickstream horizon, inside the transactions one
    const out = await store.claim([claim('k', 3, T + 2 * H, 'clickstream'), claim('k', 4, T + 2 * H, 'transactions')]);
    const other = await store.claim([claim('only-click', 5, T, 'transactions')]);

    // Assert
    expect(out).toEqual(['new', 'duplicate']);
    expect(other).toEqual(['new']);
  });

  it('lets exactly one of two shards claiming the same key at once count it', async () => {
    // Prepare
    const store = await makeStore();
    const keys = Array.from({ length: 30 }, (_, i) => `x${i}`);

    // Act
    const [a, b] = await Promise.all([
      store.claim(keys.map((k, i) => claim(k, 1_000 + i, T + i))),
      store.claim(keys.map((k, i) => claim(k, 2_000 + i, T + i + 5))),
    ]);

    // Assert
    keys.forEach((_, i) => expect([a[i], b[i]].sort()).toEqual(['duplicate', 'new']));
  });

  it('answers one verdict per claim, in input order', async () => {
    // Prepare
    const store = await makeStore();
    await store.claim(Array.from({ length: 50 }, (_, i) => claim(`o${i * 2}`, i * 2, T)));

    // Act
    const out = await store.claim(Array.from({ length: 100 }, (_, i) => claim(`o${i}`, 10_000 + i, T + 1)));

    // Assert
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 'duplicate' : 'new')));
  });
}
