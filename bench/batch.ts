/**
 * Benchmark batches: realistic clickstream records (~500 bytes, the generator's default mix
 * of sessions, bots, duplicates and a few bad records) wrapped as a Lambda Kinesis event.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { createClickstreamGenerator } from '../src/generate/index.ts';

/** Lambda's synchronous invocation payload limit. */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Builds an event of `count` records, or as many as fit in Lambda's 6 MB payload when `count` is 'max'. */
export function buildEvent(count: number | 'max', seed = 1): KinesisStreamEvent {
  const gen = createClickstreamGenerator({ seed, startMs: Date.now() - 60_000 });
  const records: KinesisStreamRecord[] = [];
  let bytes = 20;
  let seq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
  const now = Date.now() / 1000;
  for (let i = 0; count === 'max' || i < count; i++) {
    const g = gen.next();
    seq += 1n;
    const rec: KinesisStreamRecord = {
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: g.partitionKey, sequenceNumber: seq.toString(), data: Buffer.from(g.data).toString('base64'), approximateArrivalTimestamp: now },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clickstream',
    };
    const size = JSON.stringify(rec).length + 1;
    if (count === 'max' && bytes + size > LAMBDA_PAYLOAD_BYTES) break;
    bytes += size;
    records.push(rec);
  }
  return { Records: records };
}
