/**
 * The three DynamoDB tables of stream-metrics (metrics, de-duplication, bad records) and
 * their creation for the local stack and tests. The CDK app declares the same key schemas.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';

export interface TableNames {
  metrics: string;
  dedupe: string;
  badRecords: string;
}

/** Key schema of each table kind (all keys are strings); the TTL attribute is `ttl` in all three. */
export const TABLE_KEYS = {
  metrics: { hash: 'pk', range: 'sk' },
  dedupe: { hash: 'pk', range: undefined },
  badRecords: { hash: 'pk', range: 'sk' },
} as const;

export const TTL_ATTRIBUTE = 'ttl';

/**
 * Creates the tables that do not exist yet (on-demand billing), waits until all are ACTIVE
 * and enables TTL on `ttl` where the endpoint supports it. Safe to call again and from
 * several processes at once.
 *
 * @example
 * await ensureTables(client, { metrics: 'm', dedupe: 'd', badRecords: 'b' });
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  await Promise.all(
    (Object.keys(TABLE_KEYS) as (keyof TableNames)[]).map(async (kind) => {
      const name = names[kind];
      await createIfMissing(client, name, TABLE_KEYS[kind].hash, TABLE_KEYS[kind].range);
      await waitActive(client, name);
      await enableTtl(client, name);
    }),
  );
}

async function createIfMissing(client: DynamoDBClient, name: string, hash: string, range: string | undefined): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return;
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw err;
  }
  const attrs: AttributeDefinition[] = [{ AttributeName: hash, AttributeType: 'S' }];
  const keys: KeySchemaElement[] = [{ AttributeName: hash, KeyType: 'HASH' }];
  if (range) {
    attrs.push({ AttributeName: range, AttributeType: 'S' });
    keys.push({ AttributeName: range, KeyType: 'RANGE' });
  }
  try {
    await client.send(new CreateTableCommand({ TableName: name, AttributeDefinitions: attrs, KeySchema: keys, BillingMode: 'PAY_PER_REQUEST' }));
  } catch (err) {
    // Another process created it between our Describe and Create: fine.
    if (errorName(err) !== 'ResourceInUseException') throw err;
  }
}

async function waitActive(client: DynamoDBClient, name: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${name} not ACTIVE after ${timeoutMs} ms (status ${out.Table?.TableStatus})`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

async function enableTtl(client: DynamoDBClient, name: string): Promise<void> {
  try {
    const cur = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const status = cur.TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return;
    await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
  } catch (err) {
    // dynalite has no TTL; items then simply stay (correctness never depends on expiry).
    if (errorName(err) === 'UnknownOperationException') return;
    // A concurrent caller enabled it first.
    if (errorName(err) === 'ValidationException' && /already enabled/i.test((err as Error).message)) return;
    throw err;
  }
}

function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { name?: string }).name : undefined;
}
