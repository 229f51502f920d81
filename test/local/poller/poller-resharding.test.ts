import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byShard, createStream, makePoller, mergeShards, putRecords, recorder, settings, splitShard, startLocal, uniqueName, waitFor, type LocalEnv, type PutResult } from './support.ts';

let env: LocalEnv;
beforeAll(async () => {
  env = await startLocal();
});
afterAll(async () => {
  await env?.close();
});

describe('KinesisPoller resharding', () => {
  it('follows a split and a merge mid-stream: every record once, in order, parents before children', async () => {
    // Prepare: one shard, a slow-ish function so that the parent still has a backlog at the split
    const stream = uniqueName('reshard');
    await createStream(env.kinesis, stream, 1);
    const rec = recorder(() => ({ delayMs: 3 }));
    const { poller, events } = makePoller(env, { streamName: stream, settings: settings({ batchSize: 10 }), handler: rec.handler });
    const puts: PutResult[] = [];
    await poller.start();

    // Act: write, split shard 0 into 1 and 2, write, merge 1 and 2 into 3, write
    puts.push(...(await putRecords(env.kinesis, stream, 120, { prefix: 'a-' })));
    await splitShard(env.kinesis, stream, 'shardId-000000000000');
    puts.push(...(await putRecords(env.kinesis, stream, 120, { prefix: 'b-' })));
    await mergeShards(env.kinesis, stream, 'shardId-000000000001', 'shardId-000000000002');
    puts.push(...(await putRecords(env.kinesis, stream, 120, { prefix: 'c-' })));
    await poller.idle();
    await poller.stop();

    // Assert: the topology kinesalite made
    const shards = (await env.kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
    expect(shards.map((s) => [s.ShardId, s.ParentShardId ?? null, s.AdjacentParentShardId ?? null])).toEqual([
      ['shardId-000000000000', null, null],
      ['shardId-000000000001', 'shardId-000000000000', null],
      ['shardId-000000000002', 'shardId-000000000000', null],
      ['shardId-000000000003', 'shardId-000000000001', 'shardId-000000000002'],
    ]);
    // every record exactly once, in order per shard
    const expected = byShard(puts);
    expect(expected.size).toBe(4);
    for (const [shardId, seqs] of expected) expect(rec.processed.get(shardId)).toEqual(seqs);
    // parents finished before any child started
    const first = (id: string) => Math.min(...rec.invocations.filter((i) => i.shardId === id).map((i) => i.startedAt));
    const last = (id: string) => Math.max(...rec.invocations.filter((i) => i.shardId === id).map((i) => i.endedAt));
    expect(first('shardId-000000000001')).toBeGreaterThanOrEqual(last('shardId-000000000000'));
    expect(first('shardId-000000000002')).toBeGreaterThanOrEqual(last('shardId-000000000000'));
    expect(first('shardId-000000000003')).toBeGreaterThanOrEqual(Math.max(last('shardId-000000000001'), last('shardId-000000000002')));
    expect(events.filter((e) => e.type === 'shard-ended').map((e) => e.shardId).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    for (const id of ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']) {
      expect(await env.checkpoints.get(`consumer-${stream}`, id)).toMatchObject({ shardEnded: true, sequenceNumber: expected.get(id)!.at(-1) });
    }
  });

  it('LATEST skips closed shards at start but reads children created later from their start', async () => {
    // Prepare: a split before the start (parent closed), records in the children before the start
    const stream = uniqueName('latest-reshard');
    await createStream(env.kinesis, stream, 1);
    await putRecords(env.kinesis, stream, 10, { prefix: 'old-' });
    await splitShard(env.kinesis, stream, 'shardId-000000000000');
    await putRecords(env.kinesis, stream, 10, { prefix: 'old2-' });
    const rec = recorder();
    const { poller } = makePoller(env, { streamName: stream, settings: settings({ startingPosition: 'LATEST' }), handler: rec.handler });

    // Act: start at LATEST, write, merge the children, write into the merged shard
    await poller.start();
    const mid = await putRecords(env.kinesis, stream, 10, { prefix: 'new-' });
    await mergeShards(env.kinesis, stream, 'shardId-000000000001', 'shardId-000000000002');
    const late = await putRecords(env.kinesis, stream, 10, { prefix: 'late-' });
    await poller.idle();
    await waitFor(() => (rec.processed.get('shardId-000000000003')?.length ?? 0) === 10, 10_000, 'merged shard');
    await poller.stop();

    // Assert
    const seen = [...rec.processedData.values()].flat().sort();
    expect(seen).toEqual([...mid, ...late].map((p) => p.data).sort());
  });
});
