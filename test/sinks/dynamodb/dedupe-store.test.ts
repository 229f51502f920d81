import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.ts';
import { positionKey } from '../../../src/position.ts';
import { DynamoDedupeStore } from '../../../src/sinks/dynamodb/dedupe-store.ts';
import { ensureTables } from '../../../src/sinks/dynamodb/tables.ts';
import { HORIZONS, claim, dedupeConformance } from '../../dedupe/conformance.ts';
import { BACKENDS, injectThrottling, startBackend, tableNames, type Backend } from './backends.ts';

const noSleep = { attempts: 30, baseMs: 0, capMs: 0, sleep: async () => {} };

describe.each(BACKENDS)('DynamoDedupeStore on %s', (backendName) => {
  let backend: Backend;
  let client: DynamoDBClient;
  beforeAll(async () => {
    backend = await startBackend(backendName);
    client = backend.client();
  });
  afterAll(async () => {
    client?.destroy();
    await backend?.stop();
  });

  async function freshTable(): Promise<string> {
    const names = tableNames('dedupe');
    await ensureTables(client, names);
    return names.dedupe;
  }

  dedupeConformance(async () => new DynamoDedupeStore(client, await freshTable(), HORIZONS, { retry: noSleep }));

  it('stores the first position, arrival and an expiry, and counts requests and write units', async () => {
    // Prepare
    const table = await freshTable();
    const store = new DynamoDedupeStore(client, table, HORIZONS, { retry: noSleep });
    const claims = Array.from({ length: 100 }, (_, i) => claim(`t${i}|purchase|completed`, i + 1, 1_700_000_000_000, 'transactions'));

    // Act
    await store.claim(claims);
    await store.claim(claims.map((c, i) => ({ ...c, posKey: positionKey(String(1_000 + i)) }))); // 100 producer duplicates
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'transactions#t0|purchase|completed' } } }));

    // Assert
    expect(item.Item?.pos?.S).toBe(positionKey('1'));
    expect(item.Item?.arr?.N).toBe('1700000000000');
    expect(Number(item.Item?.ttl?.N)).toBe(Math.ceil((1_700_000_000_000 + HORIZONS.transactions + 7 * 86_400_000) / 1000));
    expect(store.stats).toEqual({ requests: 200, wcu: 200, conditionalFailures: 100 });
    console.log(`[${backendName}] dedupe: 100 new + 100 duplicate claims → ${store.stats.requests} write requests, ${store.stats.wcu} WCU (failed conditions counted as 1)`);
  });

  it('decides every claim exactly once under a throttling storm, also when the put landed but its answer was lost', async () => {
    // Prepare
    const stormy = backend.client();
    const storm = injectThrottling(stormy, { rate: 0.4, where: 'both' });
    const store = new DynamoDedupeStore(stormy, await freshTable(), HORIZONS, { retry: noSleep });
    const claims = Array.from({ length: 60 }, (_, i) => claim(`s${i}`, i + 1, 1_000 + i));

    // Act
    const first = await store.claim(claims);
    const dup = await store.claim(claims.map((c, i) => ({ ...c, posKey: positionKey(String(500 + i)) })));
    const replay = await store.claim(claims);

    // Assert
    expect(storm.injected).toBeGreaterThan(10);
    expect(first.every((v) => v === 'new')).toBe(true);
    expect(dup.every((v) => v === 'duplicate')).toBe(true);
    expect(replay.every((v) => v === 'new')).toBe(true);
    stormy.destroy();
  });

  it('throws a SinkError when DynamoDB keeps failing', async () => {
    // Prepare
    const broken = backend.client();
    injectThrottling(broken, { rate: 1, where: 'before' });
    const store = new DynamoDedupeStore(broken, await freshTable(), HORIZONS, { retry: { ...noSleep, attempts: 3 } });

    // Act
    const out = store.claim([claim('z', 1, 0)]);

    // Assert
    await expect(out).rejects.toBeInstanceOf(SinkError);
    await expect(out).rejects.toThrow(/claim of clickstream#z failed after retries/);
    broken.destroy();
  });
});
