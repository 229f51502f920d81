import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.ts';
import { positionKey } from '../../../src/position.ts';
import { DynamoDedupeStore, type DedupeWrites } from '../../../src/sinks/dynamodb/dedupe-store.ts';
import { ensureTables } from '../../../src/sinks/dynamodb/tables.ts';
import { HORIZONS, claim, dedupeConformance } from '../../dedupe/conformance.ts';
import { BACKENDS, injectThrottling, tableNames, useBackend } from './backends.ts';

// Arrival times near now: an item's TTL is arrival + horizon + 7 days, and DynamoDB Local
// deletes expired items (those expired less than five years ago) whenever it likes.
const T_NOW = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

const noSleep = { attempts: 30, baseMs: 0, capMs: 0, sleep: async () => {} };

const CASES = BACKENDS.flatMap((b) => (['single', 'transact'] as DedupeWrites[]).map((w) => [b, w] as const));

describe.each(CASES)('DynamoDedupeStore on %s, %s writes', (backendName, writes) => {
  const env = useBackend(backendName);

  async function freshTable(): Promise<string> {
    const names = tableNames('dedupe');
    await ensureTables(env.client, names);
    return names.dedupe;
  }

  dedupeConformance(async () => new DynamoDedupeStore(env.client, await freshTable(), HORIZONS, { retry: noSleep, writes }));

  it('stores the first position, arrival and an expiry, and counts requests and write units', async () => {
    // Prepare
    const table = await freshTable();
    const store = new DynamoDedupeStore(env.client, table, HORIZONS, { retry: noSleep, writes });
    const claims = Array.from({ length: 100 }, (_, i) => claim(`t${i}|purchase|completed`, i + 1, T_NOW, 'transactions'));

    // Act
    await store.claim(claims);
    await store.claim(claims.map((c, i) => ({ ...c, posKey: positionKey(String(1_000 + i)) }))); // 100 producer duplicates
    const item = await env.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'transactions#t0|purchase|completed' } } }));

    // Assert
    expect(item.Item?.pos?.S).toBe(positionKey('1'));
    expect(item.Item?.arr?.N).toBe(String(T_NOW));
    expect(Number(item.Item?.ttl?.N)).toBe(Math.ceil((T_NOW + HORIZONS.transactions + 7 * 86_400_000) / 1000));
    if (writes === 'single') expect(store.stats).toEqual({ requests: 200, wcu: 200, conditionalFailures: 100 });
    // One transaction of 100 new keys, then one cancelled transaction whose reasons carry
    // all 100 remembered copies.
    else expect(store.stats).toEqual({ requests: 2, wcu: 400, conditionalFailures: 100 });
    console.log(`[${backendName}, ${writes}] dedupe: 100 new + 100 duplicate claims → ${store.stats.requests} write requests, ${store.stats.wcu} WCU (${writes === 'single' ? 'a failed condition counted as 1' : '2 per transactional item, cancelled or not'})`);
  });

  it('remembers <shardId>/<posKey>, and still knows a replay of an item written with the bare sequence number (before positions named their shard)', async () => {
    // Prepare: one key claimed with a shard; another remembered as the previous version wrote it
    const table = await freshTable();
    const store = new DynamoDedupeStore(env.client, table, HORIZONS, { retry: noSleep, writes });
    const withShard = { ...claim('e-new', 5, T_NOW), shardId: 'shardId-000000000003' };
    await store.claim([withShard]);
    await env.client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'clickstream#e-old' }, pos: { S: positionKey('6') }, arr: { N: String(T_NOW) }, ttl: { N: String(Math.ceil(T_NOW / 1000) + 86_400) } } }),
    );

    // Act
    const item = await env.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'clickstream#e-new' } } }));
    const replays = await store.claim([withShard, { ...claim('e-old', 6, T_NOW), shardId: 'shardId-000000000000' }]);

    // Assert
    expect(item.Item?.pos?.S).toBe(`shardId-000000000003/${positionKey('5')}`);
    expect(replays).toEqual(['new', 'new']);
  });

  it('decides every claim exactly once under a throttling storm, also when the put landed but its answer was lost', async () => {
    // Prepare
    const stormy = env.backend.client();
    const storm = injectThrottling(stormy, { rate: 0.4, where: 'both' });
    const store = new DynamoDedupeStore(stormy, await freshTable(), HORIZONS, { retry: noSleep, writes });
    const claims = Array.from({ length: 60 }, (_, i) => claim(`s${i}`, i + 1, 1_000 + i));

    // Small calls, so that a transaction-writing store makes enough requests to be hit too
    const inCallsOf3 = async (cs: typeof claims) => (await Promise.all(Array.from({ length: cs.length / 3 }, (_, i) => store.claim(cs.slice(3 * i, 3 * i + 3))))).flat();

    // Act
    const first = await inCallsOf3(claims);
    const dup = await inCallsOf3(claims.map((c, i) => ({ ...c, posKey: positionKey(String(500 + i)) })));
    const replay = await inCallsOf3(claims);

    // Assert
    expect(storm.injected).toBeGreaterThan(10);
    expect(first.every((v) => v === 'new')).toBe(true);
    expect(dup.every((v) => v === 'duplicate')).toBe(true);
    expect(replay.every((v) => v === 'new')).toBe(true);
    stormy.destroy();
  });

  it('throws a SinkError when DynamoDB keeps failing', async () => {
    // Prepare
    const broken = env.backend.client();
    injectThrottling(broken, { rate: 1, where: 'before' });
    const store = new DynamoDedupeStore(broken, await freshTable(), HORIZONS, { retry: { ...noSleep, attempts: 3 }, writes });

    // Act
    const out = store.claim([claim('z', 1, 0)]);

    // Assert
    await expect(out).rejects.toBeInstanceOf(SinkError);
    await expect(out).rejects.toThrow(writes === 'single' ? /claim of clickstream#z failed after retries/ : /claim of 1 keys failed after retries/);
    broken.destroy();
  });

  it('decides a mix of new, duplicate, replayed and expired keys over several transactions', async () => {
    // Prepare: 250 keys remembered, then 350 claims: 100 replays of themselves, 100 producer
    // duplicates, 50 copies arriving after the horizon, 100 new keys
    const store = new DynamoDedupeStore(env.client, await freshTable(), HORIZONS, { retry: noSleep, writes });
    const t0 = T_NOW;
    await store.claim(Array.from({ length: 250 }, (_, i) => claim(`k${i}`, i + 1, t0)));
    const claims = [
      ...Array.from({ length: 100 }, (_, i) => claim(`k${i}`, i + 1, t0)),
      ...Array.from({ length: 100 }, (_, i) => claim(`k${100 + i}`, 1_000 + i, t0 + 1_000)),
      ...Array.from({ length: 50 }, (_, i) => claim(`k${200 + i}`, 2_000 + i, t0 + HORIZONS.clickstream + 1)),
      ...Array.from({ length: 100 }, (_, i) => claim(`n${i}`, 3_000 + i, t0)),
    ];
    const order = claims.map((_, i) => i).sort(() => Math.random() - 0.5);

    // Act
    const verdicts = await store.claim(order.map((i) => claims[i]!));

    // Assert
    const expected = (i: number) => (i >= 100 && i < 200 ? 'duplicate' : 'new');
    expect(verdicts).toEqual(order.map(expected));
  });

  it('lets exactly one of two concurrent writers count each shared key', async () => {
    // Prepare: two shards' writers, each with its own client, claiming overlapping keys
    // (producer duplicates across shards) at the same moment, in different orders
    const table = await freshTable();
    const [c1, c2] = [env.backend.client(), env.backend.client()];
    const a = new DynamoDedupeStore(c1, table, HORIZONS, { retry: noSleep, writes });
    const b = new DynamoDedupeStore(c2, table, HORIZONS, { retry: noSleep, writes });
    const keys = Array.from({ length: 300 }, (_, i) => `x${i}`);
    const claimsA = keys.map((k, i) => claim(k, 10_000 + i, 5_000));
    const claimsB = [...keys].reverse().map((k, i) => claim(k, 20_000 + i, 5_000));

    // Act
    const [va, vb] = await Promise.all([a.claim(claimsA), b.claim(claimsB)]);

    // Assert: per key, one writer says new and the other duplicate
    const newA = new Set(keys.filter((_, i) => va[i] === 'new'));
    const newB = new Set([...keys].reverse().filter((_, i) => vb[i] === 'new'));
    for (const k of keys) expect(Number(newA.has(k)) + Number(newB.has(k)), k).toBe(1);
    c1.destroy();
    c2.destroy();
  });

  it('claims a key repeated within one call after its first claim', async () => {
    // Prepare
    const store = new DynamoDedupeStore(env.client, await freshTable(), HORIZONS, { retry: noSleep, writes });
    const claims = [claim('r1', 1, 0), claim('r2', 2, 0), claim('r1', 3, 0), claim('r1', 1, 0)];

    // Act
    const verdicts = await store.claim(claims);

    // Assert: the second copy is a duplicate, the replay of the first is new again
    expect(verdicts).toEqual(['new', 'new', 'duplicate', 'new']);
  });
});
