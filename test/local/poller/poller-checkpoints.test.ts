import { ExpiredIteratorException } from '@aws-sdk/client-kinesis';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerInvoker } from '../../../src/local/poller/invoker.ts';
import { byShard, createStream, makePoller, putRecords, recorder, settings, startLocal, uniqueName, waitFor, type LocalEnv } from './support.ts';

let env: LocalEnv;
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const SHARD = 'shardId-000000000000';
beforeAll(async () => {
  env = await startLocal();
});
afterAll(async () => {
  await env?.close();
});

describe('KinesisPoller checkpoints', () => {
  it('stop() then a new poller resumes with no gap and no replay', async () => {
    // Prepare
    const stream = uniqueName('resume');
    const consumer = `fn-${stream}`;
    await createStream(env.kinesis, stream, 3);
    const first = await putRecords(env.kinesis, stream, 150, { prefix: 'a-' });
    const rec1 = recorder(() => ({ delayMs: 20 }));
    const p1 = makePoller(env, { streamName: stream, consumer, settings: settings({ batchSize: 9 }), handler: rec1.handler });
    await p1.poller.start();
    await waitFor(() => rec1.invocations.length >= 5, 10_000, 'some batches');

    // Act: stop in the middle, write more, start a second poller on the same table
    await p1.poller.stop();
    const second = await putRecords(env.kinesis, stream, 150, { prefix: 'b-' });
    const rec2 = recorder();
    const p2 = makePoller(env, { streamName: stream, consumer, settings: settings({ batchSize: 9 }), handler: rec2.handler });
    await p2.poller.start();
    await p2.poller.idle();
    await p2.poller.stop();

    // Assert: the first poller was stopped mid-stream; together they saw every record once, in order
    expect([...rec1.processed.values()].flat().length).toBeLessThan(150);
    for (const [shardId, seqs] of byShard([...first, ...second])) {
      expect([...(rec1.processed.get(shardId) ?? []), ...(rec2.processed.get(shardId) ?? [])]).toEqual(seqs);
    }
    expect(p2.events.filter((e) => e.type === 'shard-started' && e.from === 'AFTER_SEQUENCE_NUMBER').length).toBeGreaterThan(0);
    const saved = await env.checkpoints.list(consumer);
    for (const [shardId, seqs] of byShard([...first, ...second])) expect(saved.get(shardId)?.sequenceNumber).toBe(seqs.at(-1));
  });

  it('stop() during endless retries returns after the invocation in flight, checkpointing nothing past the failure', async () => {
    // Prepare: the function always fails, retries are unlimited
    const stream = uniqueName('stop-retrying');
    const consumer = `fn-${stream}`;
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 5);
    const rec1 = recorder(() => ({ throw: 'down' }));
    const p1 = makePoller(env, { streamName: stream, consumer, settings: settings({ maximumRetryAttempts: -1 }), handler: rec1.handler, retryBackoff: { baseMs: 50, maxMs: 60_000 } });
    await p1.poller.start();
    await waitFor(() => rec1.invocations.length >= 3, 10_000, 'retries');

    // Act
    const t0 = Date.now();
    await p1.poller.stop();
    const stopMs = Date.now() - t0;
    const rec2 = recorder();
    const p2 = makePoller(env, { streamName: stream, consumer, settings: settings(), handler: rec2.handler });
    await p2.poller.start();
    await p2.poller.idle();
    await p2.poller.stop();

    // Assert
    expect(stopMs).toBeLessThan(2_000);
    expect(rec1.processed.get(SHARD)).toBeUndefined();
    expect(rec2.processed.get(SHARD)).toEqual(puts.map((p) => p.sequenceNumber));
  });

  it('stop() ends an invocation that hangs past stopGraceMs: nothing checkpointed, retried or given up on; the next start reads it again', async () => {
    // Prepare: a real sandbox whose handler sleeps 60 s (the partition key), as --chaos timeout does
    const stream = uniqueName('stop-hung');
    const consumer = `fn-${stream}`;
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 3, { partitionKey: () => '60000' });
    const invoker = workerInvoker({ handlerModule: path.join(fixtures, 'sleepy-handler.ts'), timeoutMs: 120_000, memoryMb: 128, log: () => {} });
    const p1 = makePoller(env, { streamName: stream, consumer, settings: settings({ maximumRetryAttempts: 0 }), invoker, stopGraceMs: 300 });
    await p1.poller.start();
    await waitFor(() => p1.events.some((e) => e.type === 'batch-invoked'), 30_000, 'the invocation');

    // Act
    const t0 = Date.now();
    await p1.poller.stop();
    const stopMs = Date.now() - t0;
    const rec2 = recorder();
    const p2 = makePoller(env, { streamName: stream, consumer, settings: settings(), handler: rec2.handler });
    await p2.poller.start();
    await p2.poller.idle();
    await p2.poller.stop();

    // Assert: with MaximumRetryAttempts 0 an ended invocation counted as a failure would have
    // sent the batch to the on-failure destination and checkpointed past it
    expect(stopMs).toBeLessThan(5_000);
    expect(p1.events.map((e) => e.type)).toContain('stop-ended-invocations');
    expect(p1.events.filter((e) => /failed|bisected|destination|discarded/.test(e.type))).toEqual([]);
    expect(rec2.processed.get(SHARD)).toEqual(puts.map((p) => p.sequenceNumber));
  });

  it('LATEST keeps its place across a restart before any record was processed', async () => {
    // Prepare: records before the first start are not wanted
    const stream = uniqueName('latest-restart');
    const consumer = `fn-${stream}`;
    await createStream(env.kinesis, stream, 2);
    await putRecords(env.kinesis, stream, 10, { prefix: 'before-' });
    const p1 = makePoller(env, { streamName: stream, consumer, settings: settings({ startingPosition: 'LATEST' }) });
    await p1.poller.start();
    await p1.poller.stop();

    // Act: records arrive while nothing runs; then the mapping starts again
    await new Promise((r) => setTimeout(r, 5));
    const during = await putRecords(env.kinesis, stream, 10, { prefix: 'during-' });
    const rec = recorder();
    const p2 = makePoller(env, { streamName: stream, consumer, settings: settings({ startingPosition: 'LATEST' }), handler: rec.handler });
    await p2.poller.start();
    await p2.poller.idle();
    await p2.poller.stop();

    // Assert
    expect([...rec.processedData.values()].flat().sort()).toEqual(during.map((p) => p.data).sort());
  });

  it('a crash (no stop) replays at most the batch in flight', async () => {
    // Prepare: the third invocation never returns (the process "dies" with it in flight)
    const stream = uniqueName('crash');
    const consumer = `fn-${stream}`;
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 50);
    const seqs = puts.map((p) => p.sequenceNumber);
    let release: () => void = () => {};
    const hang = new Promise<void>((r) => (release = r));
    const rec1 = recorder(async (_e, inv) => {
      if (inv.n === 2) {
        await hang;
        return { throw: 'abandoned' };
      }
    });
    const p1 = makePoller(env, { streamName: stream, consumer, settings: settings({ batchSize: 10 }), handler: rec1.handler });
    await p1.poller.start();
    await waitFor(() => rec1.invocations.length === 3, 10_000, 'in-flight batch');

    // Act: a second poller takes over from the durable checkpoints
    const rec2 = recorder();
    const p2 = makePoller(env, { streamName: stream, consumer, settings: settings({ batchSize: 10 }), handler: rec2.handler });
    await p2.poller.start();
    await p2.poller.idle();
    await p2.poller.stop();
    release();
    await p1.poller.stop();

    // Assert: the replay starts with the in-flight batch, nothing before it
    expect(rec1.processed.get(SHARD)).toEqual(seqs.slice(0, 20));
    expect(rec2.invocations[0]!.seqs).toEqual(seqs.slice(20, 30));
    expect(rec2.processed.get(SHARD)).toEqual(seqs.slice(20));
  });

  it('renews an expired shard iterator after the last record read, losing and repeating nothing', async () => {
    // Prepare: GetRecords answers ExpiredIteratorException every third call
    const stream = uniqueName('expiry');
    await createStream(env.kinesis, stream, 2);
    const kinesis = env.newKinesisClient();
    let calls = 0;
    let injected = 0;
    kinesis.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand' && ++calls % 3 === 0) {
          injected++;
          throw new ExpiredIteratorException({ message: 'Iterator expired (injected)', $metadata: { httpStatusCode: 400 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'expireIterators' },
    );
    const puts = await putRecords(env.kinesis, stream, 200);
    const rec = recorder();
    const { poller, events } = makePoller(env, { streamName: stream, kinesis, settings: settings({ batchSize: 7 }), handler: rec.handler });

    // Act
    await poller.start();
    const more = await putRecords(env.kinesis, stream, 60, { prefix: 'more-' });
    await poller.idle();
    await poller.stop();

    // Assert
    expect(injected).toBeGreaterThan(5);
    expect(events.filter((e) => e.type === 'iterator-renewed').length).toBe(injected);
    for (const [shardId, seqs] of byShard([...puts, ...more])) expect(rec.processed.get(shardId)).toEqual(seqs);
  });
});
