import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileFailureDestination } from '../../../src/local/poller/on-failure.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'on-failure-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const info = (i: number) => ({
  shardId: `shardId-00000000000${i % 3}`,
  startSequenceNumber: String(1000 + i),
  endSequenceNumber: String(2000 + i),
  approximateArrivalOfFirstRecord: '2026-01-01T00:00:00.000Z',
  approximateArrivalOfLastRecord: '2026-01-01T00:00:01.000Z',
  batchSize: i + 1,
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
  reason: `reason ${i}`,
});

describe('FileFailureDestination', () => {
  it('lists nothing before the first failure', async () => {
    // Prepare / Act / Assert
    expect(await new FileFailureDestination(path.join(dir, 'none', 'f.jsonl')).list()).toEqual([]);
  });

  it('appends one Lambda on-failure document per line, concurrent sends intact', async () => {
    // Prepare
    const file = path.join(dir, 'sub', 'on-failure.jsonl');
    const dest = new FileFailureDestination(file);

    // Act
    await Promise.all(Array.from({ length: 20 }, (_, i) => dest.send({ ...info(i), condition: i % 2 ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted', approximateInvokeCount: i })));

    // Assert
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    const all = await dest.list();
    expect(all.map((r) => r.KinesisBatchInfo.batchSize).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(all[0]).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: { requestId: expect.any(String), functionArn: expect.any(String), condition: 'RetryAttemptsExhausted', approximateInvokeCount: 0 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      KinesisBatchInfo: { shardId: 'shardId-000000000000', startSequenceNumber: '1000', endSequenceNumber: '2000', approximateArrivalOfFirstRecord: '2026-01-01T00:00:00.000Z', approximateArrivalOfLastRecord: '2026-01-01T00:00:01.000Z', batchSize: 1, streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s' },
      reason: 'reason 0',
    });
  });
});
