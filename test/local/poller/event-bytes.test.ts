import fc from 'fast-check';
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { eventRecordBytes } from '../../../src/local/poller/poller.ts';

describe('eventRecordBytes', () => {
  it('equals the byte length of the record as JSON, whatever the partition key and names hold', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(
        text,
        fc.bigInt({ min: 0n, max: 10n ** 57n }),
        fc.uint8Array({ maxLength: 300 }),
        fc.double({ min: 0, max: 2e9, noNaN: true }),
        text,
        text,
        (partitionKey, seq, data, arrival, stream, region) => {
          // Prepare
          const arn = `arn:aws:kinesis:${region}:123456789012:stream/${stream}`;
          const r: KinesisStreamRecord = {
            kinesis: { kinesisSchemaVersion: '1.0', partitionKey, sequenceNumber: String(seq), data: Buffer.from(data).toString('base64'), approximateArrivalTimestamp: arrival },
            eventSource: 'aws:kinesis',
            eventVersion: '1.0',
            eventID: `shardId-000000000001:${seq}`,
            eventName: 'aws:kinesis:record',
            invokeIdentityArn: `arn:aws:iam::123456789012:role/${stream}-role`,
            awsRegion: region,
            eventSourceARN: arn,
          };

          // Act / Assert
          expect(eventRecordBytes(r)).toBe(Buffer.byteLength(JSON.stringify(r)));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
