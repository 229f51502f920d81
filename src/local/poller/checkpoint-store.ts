/**
 * Durable checkpoints of the local event source mapping, one item per (consumer, shard) in
 * a DynamoDB table, as the KCL keeps its lease table: the last fully processed sequence
 * number, and whether the shard was read to its end (so its children may start).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { positionKey } from '../../position.ts';
import { withRetry } from '../../sinks/retry.ts';

export interface Checkpoint {
  /** last fully processed sequence number (absent: nothing processed yet) */
  sequenceNumber?: string;
  /** the shard is closed and was read to its end */
  shardEnded?: boolean;
  /**
   * nothing processed yet, reading started at the tip at this time (epoch ms): a restart
   * resumes with the records that arrived since, as Lambda keeps a LATEST mapping's place
   */
  atTimestamp?: number;
  /** epoch milliseconds of the write */
  updatedAt: number;
}

function toItem(consumer: string, shardId: string, cp: Checkpoint): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    consumer: { S: consumer },
    shardId: { S: shardId },
    updatedAt: { N: String(cp.updatedAt) },
    shardEnded: { BOOL: cp.shardEnded === true },
  };
  if (cp.sequenceNumber !== undefined) {
    item.sequenceNumber = { S: cp.sequenceNumber };
    // Sequence numbers do not sort as strings; the position key does (for people reading the table).
    item.position = { S: positionKey(cp.sequenceNumber) };
  }
  if (cp.atTimestamp !== undefined) item.atTimestamp = { N: String(cp.atTimestamp) };
  return item;
}

function fromItem(item: Record<string, AttributeValue>): Checkpoint {
  const cp: Checkpoint = { updatedAt: Number(item.updatedAt?.N ?? 0) };
  if (item.sequenceNumber?.S !== undefined) cp.sequenceNumber = item.sequenceNumber.S;
  if (item.shardEnded?.BOOL) cp.shardEnded = true;
  if (item.atTimestamp?.N !== undefined) cp.atTimestamp = Number(item.atTimestamp.N);
  return cp;
}

/**
 * Checkpoints in a DynamoDB table keyed by `consumer` (hash) and `shardId` (range).
 *
 * @example
 * const store = new DynamoCheckpointStore(ddb, 'stream-metrics-checkpoints');
 * await store.ensureTable();
 * await store.put('stream-metrics-clickstream', 'shardId-000000000000', { sequenceNumber: '4959…', updatedAt: Date.now() });
 */
export class DynamoCheckpointStore {
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** Creates the table when it does not exist (safe to call from several processes at once). */
  async ensureTable(): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'consumer', AttributeType: 'S' },
            { AttributeName: 'shardId', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'consumer', KeyType: 'HASH' },
            { AttributeName: 'shardId', KeyType: 'RANGE' },
          ],
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ResourceInUseException') throw err;
    }
    for (let i = 0; i < 600; i++) {
      const d = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`checkpoint table ${this.tableName} did not become ACTIVE`);
  }

  /** The checkpoint of one shard, read consistently. */
  async get(consumer: string, shardId: string): Promise<Checkpoint | undefined> {
    const out = await withRetry(() => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { consumer: { S: consumer }, shardId: { S: shardId } }, ConsistentRead: true })));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Writes the checkpoint of one shard (retrying throttling and 5xx). */
  async put(consumer: string, shardId: string, checkpoint: Checkpoint): Promise<void> {
    await withRetry(() => this.client.send(new PutItemCommand({ TableName: this.tableName, Item: toItem(consumer, shardId, checkpoint) })));
  }

  /** Every shard's checkpoint of one consumer. */
  async list(consumer: string): Promise<Map<string, Checkpoint>> {
    const out = new Map<string, Checkpoint>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await withRetry(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#c = :c',
            ExpressionAttributeNames: { '#c': 'consumer' },
            ExpressionAttributeValues: { ':c': { S: consumer } },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) out.set(item.shardId!.S!, fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
