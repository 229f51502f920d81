import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/sinks/clients.ts';

describe('createClient', () => {
  it('builds every client without the logger middleware (it filters each request for a no-op logger)', () => {
    for (const service of ['dynamodb', 'firehose', 'redshiftData', 'kinesis'] as const) {
      // Act
      const client = createClient(service as 'kinesis', { region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
      // Assert
      const names = client.middlewareStack.identify().join('\n');
      expect(names, service).not.toMatch(/loggerMiddleware/);
      expect(names, service).toMatch(/retryMiddleware/);
      client.destroy();
    }
  });

  it('fails fast with a connection error when the endpoint is not there', async () => {
    // Prepare: port 9 (discard) is closed here
    const client = createClient('dynamodb', { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    // Act
    const out = client.send(new DescribeTableCommand({ TableName: 'x' }));
    // Assert
    await expect(out).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    client.destroy();
  });
});
