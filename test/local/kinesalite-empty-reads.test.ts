/**
 * kinesalite as the local stack runs it (`installKinesalitePatches`): an empty GetRecords
 * keeps its position, so the first record of a fresh shard is read even when that empty
 * read happened in a later second than the PutRecords that wrote it (a PutRecords takes its
 * second when it starts and lands in LevelDB a little later).
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocal, uniqueName, type LocalEnv } from './poller/support.ts';

let env: LocalEnv;
beforeAll(async () => {
  env = await startLocal();
});
afterAll(async () => {
  await env?.close();
});

describe('kinesalite GetRecords at the tip of a fresh shard', () => {
  it('an empty read that lands seconds after a PutRecords began still leaves its first record to be read', async () => {
    // Prepare: a fresh shard and its TRIM_HORIZON iterator
    const stream = uniqueName('empty-read');
    await env.kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    while ((await env.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 20));
    const it0 = (await env.kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
    // Act: an empty read served 2 s after the second in which the next PutRecords starts —
    // as a poll at …:00.000 that comes before the write of a PutRecords begun at …:59.990
    // (kinesalite reads the clock with Date.now, so the test moves it for the two reads)
    const realNow = Date.now;
    const later = <T>(f: () => Promise<T>): Promise<T> => {
      Date.now = () => realNow() + 2_000;
      return f().finally(() => (Date.now = realNow));
    };
    const empty = await later(() => env.kinesis.send(new GetRecordsCommand({ ShardIterator: it0 })));
    await env.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: ['first', 'second', 'third'].map((d) => ({ PartitionKey: 'p', Data: Buffer.from(d) })) }));
    const next = await later(() => env.kinesis.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator! })));
    // Assert
    expect(empty.Records).toEqual([]);
    expect(next.Records!.map((r) => Buffer.from(r.Data!).toString())).toEqual(['first', 'second', 'third']);
  });
});
