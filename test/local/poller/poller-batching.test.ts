import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byShard, createStream, makePoller, putRecords, recorder, settings, startLocal, uniqueName, type LocalEnv } from './support.ts';

let env: LocalEnv;
beforeAll(async () => {
  env = await startLocal();
});
afterAll(async () => {
  await env?.close();
});

describe('KinesisPoller batching', () => {
  it('delivers Lambda’s event shape', async () => {
    // Prepare
    const stream = uniqueName('shape');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 3, { data: (i) => `{"n":${i}}` });
    const rec = recorder();
    const { poller } = makePoller(env, { streamName: stream, settings: settings(), handler: rec.handler });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    const r = rec.invocations[0]!.event.Records[0]!;
    expect(r).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'pk-0',
        sequenceNumber: puts[0]!.sequenceNumber,
        data: Buffer.from('{"n":0}').toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${puts[0]!.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//),
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    });
    // seconds, with a fraction, close to now
    expect(Math.abs(r.kinesis.approximateArrivalTimestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(poller.stats['shardId-000000000000']).toMatchObject({ recordsIn: 3, recordsOut: 3, batches: 1, failures: 0, lastSequenceNumber: puts[2]!.sequenceNumber });
  });

  it('BatchSize caps every invocation; records arrive in order, each once', async () => {
    // Prepare
    const stream = uniqueName('batchsize');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 95);
    const rec = recorder();
    const { poller } = makePoller(env, { streamName: stream, settings: settings({ batchSize: 10 }), handler: rec.handler });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    expect(rec.invocations.map((i) => i.seqs.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    expect(rec.processed.get('shardId-000000000000')).toEqual(puts.map((p) => p.sequenceNumber));
  });

  it('reads the next records while the function runs, losing and repeating nothing', async () => {
    // Prepare: a slow function over a backlog of 95 records in batches of 10; the answer to
    // every GetRecords on this stream is timed
    const stream = uniqueName('readahead');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 95);
    const reads: number[] = [];
    const kinesis = env.newKinesisClient();
    kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        // when its answer arrived: during an invocation only if it was sent ahead
        if ((context as { commandName?: string }).commandName === 'GetRecordsCommand') reads.push(Date.now());
        return out;
      },
      { step: 'initialize', name: 'timeReads' },
    );
    // Each invocation counts the GetRecords answers that arrive while it runs (60 ms)
    const answeredDuring: number[] = [];
    const rec = recorder(async () => {
      const before = reads.length;
      await new Promise((r) => setTimeout(r, 60));
      answeredDuring.push(reads.length - before);
    });
    const { poller } = makePoller({ ...env, kinesis }, { streamName: stream, settings: settings({ batchSize: 10, maximumBatchingWindowInSeconds: 0 }), handler: rec.handler });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert: each batch once, in order; and reads happened while an invocation ran
    expect(rec.processed.get('shardId-000000000000')).toEqual(puts.map((p) => p.sequenceNumber));
    expect(answeredDuring.filter((n) => n > 0).length).toBeGreaterThanOrEqual(8);
    kinesis.destroy();
  });

  it('MaximumBatchingWindowInSeconds gathers records that arrive within the window; 0 sends what one poll returned', async () => {
    // Prepare: records trickle in, 5 every 100 ms, 40 in all
    const windowed = uniqueName('window');
    const unwindowed = uniqueName('nowindow');
    await createStream(env.kinesis, windowed, 1);
    await createStream(env.kinesis, unwindowed, 1);
    const recW = recorder();
    const recU = recorder();
    const w = makePoller(env, { streamName: windowed, settings: settings({ batchSize: 1000, maximumBatchingWindowInSeconds: 3 }), handler: recW.handler });
    const u = makePoller(env, { streamName: unwindowed, settings: settings({ batchSize: 1000, maximumBatchingWindowInSeconds: 0 }), handler: recU.handler });
    await w.poller.start();
    await u.poller.start();

    // Act
    const t0 = Date.now();
    for (let i = 0; i < 8; i++) {
      await putRecords(env.kinesis, windowed, 5, { prefix: `w${i}-` });
      await putRecords(env.kinesis, unwindowed, 5, { prefix: `u${i}-` });
      await new Promise((r) => setTimeout(r, 100));
    }
    await w.poller.idle();
    await u.poller.idle();
    await w.poller.stop();
    await u.poller.stop();

    // Assert: the window held the first batch until ~3 s after its first record
    expect(recW.processed.get('shardId-000000000000')).toHaveLength(40);
    expect(recW.invocations).toHaveLength(1);
    expect(recW.invocations[0]!.startedAt - t0).toBeGreaterThanOrEqual(2_800);
    // without a window, many small batches, sent as they came
    expect(recU.processed.get('shardId-000000000000')).toHaveLength(40);
    expect(recU.invocations.length).toBeGreaterThanOrEqual(4);
    expect(recU.invocations[0]!.startedAt - t0).toBeLessThan(2_000);
  });

  it('a batch never exceeds Lambda’s 6 MB payload', async () => {
    // Prepare: 10 records of 900 KB each (base64 makes them 1.2 MB in the event)
    const stream = uniqueName('payload');
    await createStream(env.kinesis, stream, 1);
    const big = 'x'.repeat(900_000);
    for (let i = 0; i < 10; i++) await putRecords(env.kinesis, stream, 1, { data: () => `${i}${big}` });
    const rec = recorder();
    const { poller } = makePoller(env, { streamName: stream, settings: settings({ batchSize: 100 }), handler: rec.handler });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    expect(rec.processed.get('shardId-000000000000')).toHaveLength(10);
    for (const inv of rec.invocations) expect(Buffer.byteLength(JSON.stringify(inv.event))).toBeLessThanOrEqual(6 * 1024 * 1024);
    // 12 MB in all: five 1.2 MB records fit in 6 MB, a sixth would not
    expect(rec.invocations.map((i) => i.seqs.length)).toEqual([5, 5]);
  });
});

describe('KinesisPoller starting position', () => {
  it('TRIM_HORIZON reads what was written before the start; LATEST only what comes after', async () => {
    // Prepare
    const stream = uniqueName('position');
    await createStream(env.kinesis, stream, 1);
    const before = await putRecords(env.kinesis, stream, 5, { prefix: 'before-' });
    const recT = recorder();
    const recL = recorder();
    const t = makePoller(env, { streamName: stream, consumer: 'trim', settings: settings({ startingPosition: 'TRIM_HORIZON' }), handler: recT.handler });
    const l = makePoller(env, { streamName: stream, consumer: 'latest', settings: settings({ startingPosition: 'LATEST' }), handler: recL.handler });

    // Act
    await t.poller.start();
    await l.poller.start();
    const after = await putRecords(env.kinesis, stream, 4, { prefix: 'after-' });
    await t.poller.idle();
    await l.poller.idle();
    await t.poller.stop();
    await l.poller.stop();

    // Assert
    expect(recT.processed.get('shardId-000000000000')).toEqual([...before, ...after].map((p) => p.sequenceNumber));
    expect(recL.processed.get('shardId-000000000000')).toEqual(after.map((p) => p.sequenceNumber));
  });

  it('AT_TIMESTAMP starts at the first record that arrived at or after the timestamp', async () => {
    // Prepare
    const stream = uniqueName('attime');
    await createStream(env.kinesis, stream, 2);
    const old = await putRecords(env.kinesis, stream, 10, { prefix: 'old-' });
    await new Promise((r) => setTimeout(r, 50));
    const at = new Date();
    await new Promise((r) => setTimeout(r, 50));
    const recent = await putRecords(env.kinesis, stream, 10, { prefix: 'new-' });
    const rec = recorder();
    const { poller } = makePoller(env, { streamName: stream, settings: settings({ startingPosition: 'AT_TIMESTAMP' }), startingTimestamp: at, handler: rec.handler });

    // Act
    await poller.start();
    const later = await putRecords(env.kinesis, stream, 6, { prefix: 'later-' });
    await poller.idle();
    await poller.stop();

    // Assert
    const expected = byShard([...recent, ...later]);
    for (const [shardId, seqs] of expected) expect(rec.processed.get(shardId)).toEqual(seqs);
    const seen = [...rec.processedData.values()].flat();
    expect(seen.filter((d) => d.startsWith('old-'))).toEqual([]);
    expect(old.length).toBe(10);
  });
});

describe('KinesisPoller shards', () => {
  it('reads shards concurrently, one batch in flight per shard, in order within each shard', async () => {
    // Prepare
    const stream = uniqueName('ordering');
    await createStream(env.kinesis, stream, 4);
    const puts = await putRecords(env.kinesis, stream, 400);
    const rec = recorder(() => ({ delayMs: 5 }));
    const { poller } = makePoller(env, { streamName: stream, settings: settings({ batchSize: 7 }), handler: rec.handler });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    const expected = byShard(puts);
    expect(expected.size).toBe(4);
    for (const [shardId, seqs] of expected) expect(rec.processed.get(shardId)).toEqual(seqs);
    expect(rec.maxInFlightPerShard).toBe(1);
    // no two invocations of one shard overlap in time; shards did overlap
    for (const shardId of expected.keys()) {
      const invs = rec.invocations.filter((i) => i.shardId === shardId).sort((a, b) => a.n - b.n);
      for (let i = 1; i < invs.length; i++) expect(invs[i]!.startedAt).toBeGreaterThanOrEqual(invs[i - 1]!.endedAt);
    }
    const overlaps = rec.invocations.some((a) => rec.invocations.some((b) => a.shardId !== b.shardId && a.startedAt < b.endedAt && b.startedAt < a.endedAt));
    expect(overlaps).toBe(true);
    expect(Object.values(poller.stats).reduce((n, s) => n + s.recordsIn, 0)).toBe(400);
  });
});
