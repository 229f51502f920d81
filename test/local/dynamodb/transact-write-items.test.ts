/**
 * The local DynamoDB endpoint's `TransactWriteItems`, through the real SDK client, against
 * the endpoint and — as the yardstick of AWS's behaviour — Amazon DynamoDB Local. Written
 * so that it could run against DynamoDB itself.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  type DynamoDBClient,
  type TransactWriteItem,
  type TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, startBackend, tableNames, useBackend, type Backend } from '../../sinks/dynamodb/backends.ts';

describe.each(BACKENDS)('TransactWriteItems on %s', (backendName) => {
  const env = useBackend(backendName);

  async function freshTable(): Promise<string> {
    const name = tableNames('tx').dedupe;
    await env.client.send(
      new CreateTableCommand({ TableName: name, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    // A table is usable once ACTIVE (dynalite too turns it ACTIVE a moment later: on a loaded
    // machine a write right after CreateTable met ResourceNotFoundException).
    while ((await env.client.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 20));
    return name;
  }

  const putNew = (table: string, pk: string, v = '1', returnOld = true): TransactWriteItem => ({
    Put: { TableName: table, Item: { pk: { S: pk }, v: { N: v } }, ConditionExpression: 'attribute_not_exists(pk)', ...(returnOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}) },
  });
  const get = async (table: string, pk: string) => (await env.client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
  const cancelled = async (items: TransactWriteItem[]): Promise<TransactionCanceledException> => {
    try {
      await env.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (err) {
      return err as TransactionCanceledException;
    }
    throw new Error('the transaction was not cancelled');
  };

  it('writes every item when every condition holds', async () => {
    // Prepare
    const table = await freshTable();

    // Act
    await env.client.send(new TransactWriteItemsCommand({ TransactItems: [putNew(table, 'a'), putNew(table, 'b')] }));

    // Assert
    expect(await get(table, 'a')).toEqual({ pk: { S: 'a' }, v: { N: '1' } });
    expect(await get(table, 'b')).toEqual({ pk: { S: 'b' }, v: { N: '1' } });
  });

  it('writes nothing when one condition fails, and says which one, with the old item when asked', async () => {
    // Prepare
    const table = await freshTable();
    await env.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'b' }, v: { N: '7' } } }));
    await env.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'd' }, v: { N: '8' } } }));

    // Act
    const err = await cancelled([putNew(table, 'a'), putNew(table, 'b'), putNew(table, 'c'), putNew(table, 'd', '1', false)]);

    // Assert
    expect(err.name).toBe('TransactionCanceledException');
    expect(err.message).toMatch(/^Transaction cancelled, please refer cancellation reasons for specific reasons \[None, ConditionalCheckFailed, None, ConditionalCheckFailed\]$/);
    expect(err.CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed']);
    expect(err.CancellationReasons?.[1]?.Item).toEqual({ pk: { S: 'b' }, v: { N: '7' } });
    expect(err.CancellationReasons?.[3]?.Item).toBeUndefined();
    expect(await get(table, 'a')).toBeUndefined();
    expect(await get(table, 'c')).toBeUndefined();
  });

  it('evaluates each item with its own values when all share one condition expression', async () => {
    // Prepare: items k0…k39 hold v = i; each put may replace its item only when v < :max
    const table = await freshTable();
    for (let i = 0; i < 40; i++) await env.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `k${i}` }, v: { N: String(i) } } }));
    const max = (i: number) => (i % 3 === 0 ? i : i + 1); // every third condition fails
    const puts = (values: (i: number) => Record<string, { N: string } | { S: string }>): TransactWriteItem[] =>
      Array.from({ length: 40 }, (_, i) => ({
        Put: { TableName: table, Item: { pk: { S: `k${i}` }, v: { N: '100' } }, ConditionExpression: 'v < :max', ExpressionAttributeValues: values(i) },
      }));

    // Act
    const err = await cancelled(puts((i) => ({ ':max': { N: String(max(i)) } })));
    const typed = await cancelled(puts((i) => ({ ':max': i === 7 ? { S: 'z' } : { N: '1000' } })));

    // Assert
    expect(err.CancellationReasons?.map((r) => r.Code)).toEqual(Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 'ConditionalCheckFailed' : 'None')));
    // A string never compares with a number: only item 7's condition fails.
    expect(typed.CancellationReasons?.map((r) => r.Code)).toEqual(Array.from({ length: 40 }, (_, i) => (i === 7 ? 'ConditionalCheckFailed' : 'None')));
    expect(await get(table, 'k1')).toEqual({ pk: { S: 'k1' }, v: { N: '1' } });
  });

  it('applies Delete and ConditionCheck with their conditions', async () => {
    // Prepare
    const table = await freshTable();
    await env.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'gone' }, v: { N: '1' } } }));
    await env.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'guard' }, v: { N: '2' } } }));
    const check = (v: string): TransactWriteItem => ({ ConditionCheck: { TableName: table, Key: { pk: { S: 'guard' } }, ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': { N: v } } } });
    const del: TransactWriteItem = { Delete: { TableName: table, Key: { pk: { S: 'gone' } }, ConditionExpression: 'attribute_exists(pk)' } };

    // Act
    const refused = await cancelled([check('3'), del]);
    await env.client.send(new TransactWriteItemsCommand({ TransactItems: [check('2'), del] }));

    // Assert
    expect(refused.CancellationReasons?.map((r) => r.Code)).toEqual(['ConditionalCheckFailed', 'None']);
    expect(await get(table, 'gone')).toBeUndefined();
    expect(await get(table, 'guard')).toEqual({ pk: { S: 'guard' }, v: { N: '2' } });
  });

  it('refuses more than 100 items', async () => {
    // Prepare
    const table = await freshTable();

    // Act
    const out = env.client.send(new TransactWriteItemsCommand({ TransactItems: Array.from({ length: 101 }, (_, i) => putNew(table, `k${i}`)) }));

    // Assert
    await expect(out).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/less than or equal to 100/) });
    expect(await get(table, 'k0')).toBeUndefined();
  });

  it('isolates concurrent transactions and puts: each key is written by exactly one of them', async () => {
    // Prepare: 40 transactions over overlapping windows of 30 keys, plus single conditional puts
    const table = await freshTable();
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    const windows = Array.from({ length: 40 }, (_, t) => keys.slice((t * 17) % 170, ((t * 17) % 170) + 30));

    // Act
    const outcomes = await Promise.all([
      ...windows.map((w, t) =>
        env.client.send(new TransactWriteItemsCommand({ TransactItems: w.map((k) => putNew(table, k, String(t))) })).then(
          () => ({ writer: String(t), keys: w }),
          (err: Error) => {
            // Cancelled by a condition, or by a conflicting transaction in flight (DynamoDB).
            expect(err.name).toMatch(/TransactionCanceledException|TransactionConflictException/);
            return null;
          },
        ),
      ),
      ...keys.map((k) =>
        env.client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: k }, v: { N: '-1' } }, ConditionExpression: 'attribute_not_exists(pk)' })).then(
          () => ({ writer: '-1', keys: [k] }),
          () => null,
        ),
      ),
    ]);

    // Assert: every written key belongs to exactly one winner, and the item says which
    const winners = outcomes.filter((o) => o !== null);
    const owner = new Map<string, string>();
    for (const w of winners) {
      for (const k of w.keys) {
        expect(owner.has(k), k).toBe(false);
        owner.set(k, w.writer);
      }
    }
    for (const k of keys) expect((await get(table, k))?.v?.N, k).toBe(owner.get(k));
  });
});

describe('TransactWriteItems on the local endpoint only', () => {
  let backend: Backend;
  let client: DynamoDBClient;
  let table: string;
  beforeAll(async () => {
    backend = await startBackend('dynalite');
    client = backend.client();
    table = tableNames('tx').dedupe;
    await client.send(new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  });
  afterAll(async () => {
    client?.destroy();
    await backend?.stop();
  });

  it('refuses two operations on one item, as DynamoDB documents (DynamoDB Local applies both)', async () => {
    // Prepare
    const put = (v: string): TransactWriteItem => ({ Put: { TableName: table, Item: { pk: { S: 'twice' }, v: { N: v } } } });

    // Act
    const out = client.send(new TransactWriteItemsCommand({ TransactItems: [put('1'), put('2')] }));

    // Assert
    await expect(out).rejects.toMatchObject({ name: 'ValidationException', message: 'Transaction request cannot include multiple operations on one item' });
    expect((await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'twice' } } }))).Item).toBeUndefined();
  });

  it('answers Update, which it does not implement, with a ValidationException that says so', async () => {
    // Act
    const out = client.send(new TransactWriteItemsCommand({ TransactItems: [{ Update: { TableName: table, Key: { pk: { S: 'a' } }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': { N: '1' } } } }] }));

    // Assert
    await expect(out).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/not supported by the local DynamoDB endpoint/) });
  });
});
