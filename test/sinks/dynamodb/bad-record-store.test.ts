import type { BatchWriteItemCommandInput, BatchWriteItemCommandOutput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.ts';
import { positionKey } from '../../../src/position.ts';
import { DynamoBadRecordStore, type BadRecord } from '../../../src/sinks/dynamodb/bad-record-store.ts';
import { ensureTables } from '../../../src/sinks/dynamodb/tables.ts';
import type { BatchSource, ClassifiedRecord } from '../../../src/types.ts';
import { BACKENDS, injectThrottling, tableNames, useBackend } from './backends.ts';

const noSleep = { attempts: 30, baseMs: 0, capMs: 0, sleep: async () => {} };
const source: BatchSource = { stream: 'clickstream', streamName: 'dev-clickstream', shardId: 'shardId-000000000001' };
// Relative to now: the items' TTL is arrival + 14 days, and DynamoDB Local deletes expired
// items (those expired less than five years ago) at moments of its own choosing.
const ARRIVAL = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

function rejected(i: number, overrides: Partial<ClassifiedRecord> = {}): ClassifiedRecord {
  const seq = String(49_000_000_000n + BigInt(i));
  return {
    position: { shardId: source.shardId, sequenceNumber: seq, subSequence: i % 3 },
    posKey: positionKey(seq, i % 3),
    arrivalMs: ARRIVAL + i,
    outcome: 'rejected',
    reason: i % 2 === 0 ? 'invalid_json' : 'schema_violation',
    detail: `bad record ${i}`,
    rawBase64: Buffer.from(`{"broken": ${i}`).toString('base64'),
    ...overrides,
  };
}

async function all(it: AsyncIterable<BadRecord>): Promise<BadRecord[]> {
  const out: BadRecord[] = [];
  for await (const x of it) out.push(x);
  return out.sort((a, b) => (a.sk < b.sk ? -1 : 1));
}

describe.each(BACKENDS)('DynamoBadRecordStore on %s', (backendName) => {
  const env = useBackend(backendName);

  async function freshTable(): Promise<string> {
    const names = tableNames('bad');
    await ensureTables(env.client, names);
    return names.badRecords;
  }

  it('stores every field, once per position, however often and however split the batch is written', async () => {
    // Prepare
    const store = new DynamoBadRecordStore(env.client, await freshTable(), { retry: noSleep });
    const records = Array.from({ length: 60 }, (_, i) => rejected(i));

    // Act: the batch, a replay, and bisected halves
    await store.put(source, records);
    await store.put(source, records);
    await store.put(source, records.slice(0, 30));
    await store.put(source, records.slice(30));
    const listed = await all(store.list());

    // Assert
    expect(listed).toHaveLength(60);
    expect(listed[0]).toEqual({
      pk: 'dev-clickstream#shardId-000000000001',
      sk: records[0]!.posKey,
      stream: 'clickstream',
      streamName: 'dev-clickstream',
      shardId: 'shardId-000000000001',
      sequenceNumber: '49000000000',
      subSequence: 0,
      arrivalMs: ARRIVAL,
      reason: 'invalid_json',
      detail: 'bad record 0',
      rawBase64: records[0]!.rawBase64,
    });
    // Positions already stored are not written again: 60 item writes for 3 deliveries.
    expect(store.stats.requests).toBe(60);
    console.log(`[${backendName}] bad records: 60 puts (60 records delivered 3 times) → ${store.stats.wcu} WCU`);
  });

  it('keeps a raw record of up to 1 MiB, split over several items and reassembled', async () => {
    // Prepare
    const store = new DynamoBadRecordStore(env.client, await freshTable(), { retry: noSleep });
    const raw = Buffer.from(Uint8Array.from({ length: 1_048_576 }, (_, i) => (i * 7919) % 251));
    const big = rejected(1, { reason: 'too_large', rawBase64: raw.toString('base64') });

    // Act
    await store.put(source, [big, rejected(2)]);
    await store.put(source, [big]);
    const listed = await all(store.list());

    // Assert
    expect(listed).toHaveLength(2);
    const back = listed.find((b) => b.reason === 'too_large')!;
    expect(Buffer.from(back.rawBase64, 'base64').equals(raw)).toBe(true);
  });

  it('filters by stream and reason, limits, and hides replayed records unless asked', async () => {
    // Prepare
    const store = new DynamoBadRecordStore(env.client, await freshTable(), { retry: noSleep });
    await store.put(source, Array.from({ length: 10 }, (_, i) => rejected(i)));
    await store.put({ stream: 'transactions', streamName: 'dev-transactions', shardId: 'shardId-000000000000' }, [rejected(100, { reason: 'unknown_currency' })]);
    const json = await all(store.list({ reason: 'invalid_json' }));

    // Act
    await store.markReplayed([...json.slice(0, 2).map((b) => ({ pk: b.pk, sk: b.sk })), { pk: 'nope#x', sk: 'missing' }], 1_800_000_000_000);

    // Assert
    expect(json).toHaveLength(5);
    expect(await all(store.list({ streamName: 'dev-transactions' }))).toMatchObject([{ stream: 'transactions', reason: 'unknown_currency', shardId: 'shardId-000000000000' }]);
    expect(await all(store.list({ reason: 'invalid_json' }))).toHaveLength(3);
    const withReplayed = await all(store.list({ reason: 'invalid_json', includeReplayed: true }));
    expect(withReplayed.filter((b) => b.replayedAt === 1_800_000_000_000)).toHaveLength(2);
    expect(await all(store.list({ limit: 4 }))).toHaveLength(4);
    expect(await all(store.list({ streamName: 'dev-clickstream', includeReplayed: true }))).toHaveLength(10);
    expect(store.stats.conditionalFailures).toBe(1); // the missing key is ignored, not created
  });

  it('a retried batch does not wipe what a replay recorded on its records', async () => {
    // Prepare: stored, then marked replayed (as `bad-records replay` does).
    const store = new DynamoBadRecordStore(env.client, await freshTable(), { retry: noSleep });
    const records = Array.from({ length: 4 }, (_, i) => rejected(i));
    await store.put(source, records);
    const [first] = await all(store.list({}));
    await store.markReplayed([{ pk: first!.pk, sk: first!.sk }], 1_800_000_000_000);
    // Act: Lambda retries the original batch, plus one new bad record.
    await store.put(source, [...records, rejected(9)]);
    // Assert
    const after = await all(store.list({ includeReplayed: true }));
    expect(after).toHaveLength(5);
    expect(after.find((b) => b.sk === first!.sk)?.replayedAt).toBe(1_800_000_000_000);
  });

  it('retries unprocessed items and throttled calls until everything is stored', async () => {
    // Prepare: every other BatchWriteItem call processes only half its items; 30% throttled
    const flaky = env.backend.client();
    let calls = 0;
    flaky.middlewareStack.add(
      (next, context) => async (args) => {
        if ((context as { commandName?: string }).commandName !== 'BatchWriteItemCommand' || calls++ % 2 === 1) return next(args);
        const input = (args as { input: BatchWriteItemCommandInput }).input;
        const [table, reqs] = Object.entries(input.RequestItems ?? {})[0]!;
        if (reqs.length < 2) return next(args);
        const half = Math.floor(reqs.length / 2);
        const out = await next({ ...args, input: { ...input, RequestItems: { [table]: reqs.slice(0, half) } } } as typeof args);
        (out.output as BatchWriteItemCommandOutput).UnprocessedItems = { [table]: reqs.slice(half) };
        return out;
      },
      { step: 'initialize' },
    );
    injectThrottling(flaky, { rate: 0.3, where: 'before' });
    const store = new DynamoBadRecordStore(flaky, await freshTable(), { retry: noSleep });

    // Act
    await store.put(source, Array.from({ length: 70 }, (_, i) => rejected(i)));

    // Assert
    expect(await all(store.list())).toHaveLength(70);
    expect(calls).toBeGreaterThan(3);
    flaky.destroy();
  });

  it('throws a SinkError naming the first position when DynamoDB keeps failing', async () => {
    // Prepare
    const broken = env.backend.client();
    injectThrottling(broken, { rate: 1, where: 'before' });
    const store = new DynamoBadRecordStore(broken, await freshTable(), { retry: { ...noSleep, attempts: 2 } });
    const records = [rejected(5), rejected(6)];

    // Act
    const out = store.put(source, records);

    // Assert
    await expect(out).rejects.toBeInstanceOf(SinkError);
    await expect(out).rejects.toMatchObject({ firstPosKey: records[0]!.posKey });
    broken.destroy();
  });
});
