import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTables, TTL_ATTRIBUTE } from '../../../src/sinks/dynamodb/tables.ts';
import { BACKENDS, startBackend, tableNames, type Backend } from './backends.ts';

describe.each(BACKENDS)('ensureTables on %s', (backendName) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startBackend(backendName);
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('creates the three tables with their key schemas, idempotently and concurrently', async () => {
    // Prepare
    const client = backend.client();
    const names = tableNames('tables');

    // Act: two concurrent callers, then a third (already exists)
    await Promise.all([ensureTables(client, names), ensureTables(backend.client(), names)]);
    await ensureTables(client, names);

    // Assert
    const metrics = await client.send(new DescribeTableCommand({ TableName: names.metrics }));
    expect(metrics.Table?.TableStatus).toBe('ACTIVE');
    expect(metrics.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const dedupe = await client.send(new DescribeTableCommand({ TableName: names.dedupe }));
    expect(dedupe.Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    const bad = await client.send(new DescribeTableCommand({ TableName: names.badRecords }));
    expect(bad.Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(['pk', 'sk']);
    if (backendName === 'dynamodb-local') {
      // dynalite has no TTL; DynamoDB Local does: every table expires items by `ttl`, the
      // attribute the stores write (metric minute items, dedupe claims, bad records)
      for (const table of [names.metrics, names.dedupe, names.badRecords]) {
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
        expect([table, ttl.TimeToLiveDescription]).toEqual([table, { AttributeName: TTL_ATTRIBUTE, TimeToLiveStatus: 'ENABLED' }]);
      }
      expect(TTL_ATTRIBUTE).toBe('ttl');
    }
  });
});
