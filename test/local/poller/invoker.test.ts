import type { KinesisStreamEvent } from 'aws-lambda';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { inProcessInvoker, workerInvoker } from '../../../src/local/poller/invoker.ts';
import { FileFailureDestination } from '../../../src/local/poller/on-failure.ts';
import { createStream, makePoller, putRecords, settings, startLocal } from './support.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

function event(partitionKey: string, n = 1): KinesisStreamEvent {
  return {
    Records: Array.from({ length: n }, (_, i) => ({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey, sequenceNumber: String(100 + i), data: 'e30=', approximateArrivalTimestamp: Date.now() / 1000 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${100 + i}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
    })),
  };
}

describe('inProcessInvoker', () => {
  it('returns the response, a thrown error, or a timeout', async () => {
    // Prepare
    const invoker = inProcessInvoker(
      async (e, ctx) => {
        const key = e.Records[0]!.kinesis.partitionKey;
        if (key === 'throw') throw new RangeError('nope');
        if (key === 'slow') await new Promise((r) => setTimeout(r, 500));
        return { batchItemFailures: [{ itemIdentifier: String(ctx.getRemainingTimeInMillis() > 0) }] };
      },
      { timeoutMs: 100, functionName: 'fn' },
    );

    // Act
    const [ok, thrown, slow] = await Promise.all([invoker.invoke(event('a')), invoker.invoke(event('throw')), invoker.invoke(event('slow'))]);

    // Assert
    expect(ok).toEqual({ ok: true, response: { batchItemFailures: [{ itemIdentifier: 'true' }] } });
    expect(thrown).toEqual({ ok: false, kind: 'error', error: 'RangeError: nope' });
    expect(slow).toMatchObject({ ok: false, kind: 'timeout' });
  });
});

describe('workerInvoker', () => {
  it('runs a .ts handler in a warm sandbox with its environment; handled errors keep the sandbox, crashes replace it', async () => {
    // Prepare
    const invoker = workerInvoker({ handlerModule: path.join(fixtures, 'echo-handler.ts'), timeoutMs: 20_000, memoryMb: 128, env: { FIXTURE_VALUE: 'from-env' }, log: () => {} });
    try {
      // Act
      const first = await invoker.invoke(event('a', 3));
      const second = await invoker.invoke(event('a'));
      const thrown = await invoker.invoke(event('throw'));
      const afterThrow = await invoker.invoke(event('a'));
      const exited = await invoker.invoke(event('exit'));
      const afterExit = await invoker.invoke(event('a'));

      // Assert
      expect(first).toMatchObject({ ok: true, response: { batchItemFailures: [], invocations: 1, records: 3, env: 'from-env', functionName: 'echo-handler', memory: '128' } });
      expect((first as unknown as { response: { remainingMs: number } }).response.remainingMs).toBeGreaterThan(10_000);
      expect(second).toMatchObject({ ok: true, response: { invocations: 2 } });
      expect(thrown).toEqual({ ok: false, kind: 'error', error: 'TypeError: asked to throw' });
      expect(afterThrow).toMatchObject({ ok: true, response: { invocations: 4 } });
      expect(exited).toMatchObject({ ok: false, kind: 'crash' });
      expect(afterExit).toMatchObject({ ok: true, response: { invocations: 1 } });
    } finally {
      await invoker.close();
    }
  });

  it('terminates a sandbox at the timeout; the next invocation gets a fresh one', async () => {
    // Prepare
    const invoker = workerInvoker({ handlerModule: path.join(fixtures, 'sleepy-handler.ts'), timeoutMs: 1_000, memoryMb: 128, log: () => {} });
    try {
      const warm = await invoker.invoke(event('10'));

      // Act
      const t0 = Date.now();
      const timedOut = await invoker.invoke(event('30000'));
      const elapsed = Date.now() - t0;
      const fresh = await invoker.invoke(event('10'));

      // Assert
      expect(warm).toMatchObject({ ok: true, response: { invocations: 1 } });
      expect(timedOut).toEqual({ ok: false, kind: 'timeout', error: 'Task timed out after 1.00 seconds' });
      expect(elapsed).toBeGreaterThanOrEqual(990);
      expect(elapsed).toBeLessThan(5_000);
      expect(fresh).toMatchObject({ ok: true, response: { invocations: 1 } });
    } finally {
      await invoker.close();
    }
  });

  it('kills a sandbox that outgrows its memory; the next invocation gets a fresh one', async () => {
    // Prepare
    const invoker = workerInvoker({ handlerModule: path.join(fixtures, 'memory-hog-handler.ts'), timeoutMs: 30_000, memoryMb: 64, log: () => {} });
    try {
      // Act
      const small = await invoker.invoke(event('8'));
      const hog = await invoker.invoke(event('400'));
      const after = await invoker.invoke(event('8'));

      // Assert
      expect(small).toMatchObject({ ok: true, response: { keptMb: 8 } });
      expect(hog).toMatchObject({ ok: false, kind: 'out_of_memory' });
      expect(after).toMatchObject({ ok: true, response: { keptMb: 8 } });
    } finally {
      await invoker.close();
    }
  });

  it('runs concurrent invocations in separate sandboxes; an import error is a function error', async () => {
    // Prepare
    const invoker = workerInvoker({ handlerModule: path.join(fixtures, 'sleepy-handler.ts'), timeoutMs: 20_000, memoryMb: 128, log: () => {} });
    const broken = workerInvoker({ handlerModule: path.join(fixtures, 'does-not-exist.ts'), timeoutMs: 5_000, memoryMb: 128, log: () => {} });
    try {
      // Act
      const both = await Promise.all([invoker.invoke(event('300')), invoker.invoke(event('300'))]);
      const failed = await broken.invoke(event('1'));

      // Assert: each sandbox saw its first invocation
      expect(both).toEqual([
        { ok: true, response: { batchItemFailures: [], invocations: 1 } },
        { ok: true, response: { batchItemFailures: [], invocations: 1 } },
      ]);
      expect(failed).toMatchObject({ ok: false, kind: 'error', error: expect.stringContaining('ImportModuleError') });
    } finally {
      await invoker.close();
      await broken.close();
    }
  });
});

describe('KinesisPoller with workerInvoker', () => {
  it('a handler that always times out is retried in fresh sandboxes, then sent to the destination; the shard moves on', async () => {
    // Prepare: batches of 1; the first record makes the handler sleep 30 s (timeout 1 s)
    const env = await startLocal();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poller-worker-'));
    try {
      await createStream(env.kinesis, 'worker-timeout', 1);
      const puts = await putRecords(env.kinesis, 'worker-timeout', 3, { partitionKey: (i) => (i === 0 ? '30000' : '5') });
      const invoker = workerInvoker({ handlerModule: path.join(fixtures, 'sleepy-handler.ts'), timeoutMs: 1_000, memoryMb: 128, log: () => {} });
      const onFailure = new FileFailureDestination(path.join(dir, 'f.jsonl'));
      const { poller, events } = makePoller(env, { streamName: 'worker-timeout', settings: settings({ batchSize: 1, maximumRetryAttempts: 1 }), invoker, onFailure });

      // Act
      await poller.start();
      await poller.idle();
      await poller.stop();

      // Assert
      expect(events.filter((e) => e.type === 'batch-failed').map((e) => (e as { kind: string }).kind)).toEqual(['timeout', 'timeout']);
      expect(events.filter((e) => e.type === 'batch-succeeded').map((e) => (e as { first: string }).first)).toEqual([puts[1]!.sequenceNumber, puts[2]!.sequenceNumber]);
      expect((await onFailure.list()).map((f) => [f.KinesisBatchInfo.startSequenceNumber, f.requestContext.approximateInvokeCount])).toEqual([[puts[0]!.sequenceNumber, 2]]);
    } finally {
      await env.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
