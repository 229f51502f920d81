import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCheckpointStore } from '../../../src/local/poller/checkpoint-store.ts';
import { startLocal, type LocalEnv } from './support.ts';

let env: LocalEnv;
beforeAll(async () => {
  env = await startLocal();
});
afterAll(async () => {
  await env?.close();
});

describe('DynamoCheckpointStore', () => {
  it('stores, reads and lists checkpoints per consumer; ensureTable is idempotent', async () => {
    // Prepare
    const store = new DynamoCheckpointStore(env.ddb, 'cp-test');
    await Promise.all([store.ensureTable(), store.ensureTable()]);
    const long = '4'.repeat(129);

    // Act
    await store.put('a', 'shardId-000000000000', { sequenceNumber: long, updatedAt: 1 });
    await store.put('a', 'shardId-000000000001', { sequenceNumber: '42', shardEnded: true, updatedAt: 2 });
    await store.put('a', 'shardId-000000000001', { sequenceNumber: '43', shardEnded: true, updatedAt: 3 });
    await store.put('b', 'shardId-000000000000', { updatedAt: 4 });
    await store.put('b', 'shardId-000000000001', { atTimestamp: 1_700_000_000_123, updatedAt: 5 });

    // Assert
    expect(await store.get('a', 'shardId-000000000000')).toEqual({ sequenceNumber: long, updatedAt: 1 });
    expect(await store.get('a', 'shardId-000000000009')).toBeUndefined();
    expect(await store.get('b', 'shardId-000000000000')).toEqual({ updatedAt: 4 });
    expect(await store.get('b', 'shardId-000000000001')).toEqual({ atTimestamp: 1_700_000_000_123, updatedAt: 5 });
    expect([...(await store.list('a')).entries()]).toEqual([
      ['shardId-000000000000', { sequenceNumber: long, updatedAt: 1 }],
      ['shardId-000000000001', { sequenceNumber: '43', shardEnded: true, updatedAt: 3 }],
    ]);
    expect((await store.list('nobody')).size).toBe(0);
  });
});
