import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileFailureDestination } from '../../../src/local/poller/on-failure.ts';
import { interpretResponse } from '../../../src/local/poller/poller.ts';
import { createStream, makePoller, putRecords, recorder, settings, startLocal, uniqueName, waitFor, type LocalEnv } from './support.ts';

let env: LocalEnv;
let dir: string;
const SHARD = 'shardId-000000000000';
beforeAll(async () => {
  env = await startLocal();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poller-failures-'));
});
afterAll(async () => {
  await env?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('interpretResponse', () => {
  const seqs = ['10', '20', '30'];
  it('reads success, partial failure from the lowest identifier, and whole failures', () => {
    // Prepare / Act / Assert
    expect(interpretResponse(undefined, seqs)).toEqual({ kind: 'success' });
    expect(interpretResponse(null, seqs)).toEqual({ kind: 'success' });
    expect(interpretResponse({}, seqs)).toEqual({ kind: 'success' });
    expect(interpretResponse({ batchItemFailures: null }, seqs)).toEqual({ kind: 'success' });
    expect(interpretResponse({ batchItemFailures: [] }, seqs)).toEqual({ kind: 'success' });
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: '30' }, { itemIdentifier: '20' }] }, seqs)).toEqual({ kind: 'partial', index: 1 });
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: null }] }, seqs).kind).toBe('whole');
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: '' }] }, seqs).kind).toBe('whole');
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: '99' }] }, seqs).kind).toBe('whole');
    expect(interpretResponse({ batchItemFailures: [{ id: '20' }] }, seqs).kind).toBe('whole');
    expect(interpretResponse({ batchItemFailures: 'x' }, seqs).kind).toBe('whole');
    // without ReportBatchItemFailures the response is not read
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: '20' }] }, seqs, false)).toEqual({ kind: 'success' });
  });
});

describe('KinesisPoller ReportBatchItemFailures', () => {
  it('checkpoints before the lowest failed item and retries from it', async () => {
    // Prepare: the first invocation processes 3 records and reports items 6 and 3 as failed
    const stream = uniqueName('partial');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 10);
    const seqs = puts.map((p) => p.sequenceNumber);
    const rec = recorder((_e, inv) => (inv.n === 0 ? { fail: 3, response: { batchItemFailures: [{ itemIdentifier: seqs[6] }, { itemIdentifier: seqs[3] }] } } : undefined));
    const { poller, events } = makePoller(env, { streamName: stream, settings: settings(), handler: rec.handler });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    expect(rec.invocations.map((i) => i.seqs)).toEqual([seqs, seqs.slice(3)]);
    expect(rec.processed.get(SHARD)).toEqual(seqs);
    expect(events.filter((e) => e.type === 'batch-partially-failed')).toEqual([expect.objectContaining({ failedFrom: seqs[3] })]);
    expect(await env.checkpoints.get(`consumer-${stream}`, SHARD)).toMatchObject({ sequenceNumber: seqs[9] });
    // 3 records done after the partial failure, the other 7 after the retry: each counted once
    expect(poller.stats[SHARD]).toMatchObject({ recordsIn: 10, recordsOut: 10 });
  });

  it('an unknown or null identifier fails the whole batch', async () => {
    // Prepare
    const stream = uniqueName('unknown');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 5);
    const seqs = puts.map((p) => p.sequenceNumber);
    const bad = [{ batchItemFailures: [{ itemIdentifier: '12345' }] }, { batchItemFailures: [{ itemIdentifier: null }] }];
    const rec = recorder((_e, inv) => (inv.n < 2 ? { fail: 0, response: bad[inv.n] } : undefined));
    const { poller } = makePoller(env, { streamName: stream, settings: settings(), handler: rec.handler });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    expect(rec.invocations.map((i) => i.seqs)).toEqual([seqs, seqs, seqs]);
    expect(rec.processed.get(SHARD)).toEqual(seqs);
    expect(poller.stats[SHARD]).toMatchObject({ recordsIn: 5, recordsOut: 5, batches: 3, failures: 2 });
  });
});

describe('KinesisPoller BisectBatchOnFunctionError', () => {
  it('isolates a poison record into a batch of 1, retries it, sends it to the destination and delivers the rest once', async () => {
    // Prepare: record 5 of 16 makes the function throw
    const stream = uniqueName('bisect');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 16, { data: (i) => (i === 5 ? 'poison' : `r${i}`) });
    const seqs = puts.map((p) => p.sequenceNumber);
    const rec = recorder((_e, inv) => (inv.data.includes('poison') ? { throw: 'poison pill' } : undefined));
    const onFailure = new FileFailureDestination(path.join(dir, `${stream}.jsonl`));
    const { poller, events } = makePoller(env, { streamName: stream, settings: settings({ bisectBatchOnFunctionError: true, maximumRetryAttempts: 2 }), handler: rec.handler, onFailure });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert: 16 → 8 → 4 → 2 → 1, the poison's batch of 1 invoked 1 + 2 retries
    expect(rec.invocations.map((i) => i.seqs.length)).toEqual([16, 8, 4, 4, 2, 1, 1, 1, 1, 2, 8]);
    expect(rec.invocations.filter((i) => i.seqs.length === 1 && i.data[0] === 'poison')).toHaveLength(3);
    expect(rec.processed.get(SHARD)).toEqual(seqs.filter((_, i) => i !== 5));
    expect(events.filter((e) => e.type === 'batch-bisected').map((e) => (e as { halves: number[] }).halves)).toEqual([
      [8, 8],
      [4, 4],
      [2, 2],
      [1, 1],
    ]);
    const failures = await onFailure.list();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { functionError: 'Unhandled' },
      KinesisBatchInfo: { shardId: SHARD, startSequenceNumber: seqs[5], endSequenceNumber: seqs[5], batchSize: 1, streamArn: poller.streamArn },
    });
    expect(poller.stats[SHARD]).toMatchObject({ discarded: 1, recordsIn: 16, recordsOut: 16 });
  });
});

describe('KinesisPoller MaximumRetryAttempts', () => {
  it('gives up on a failing batch after the retries, describes it to the on-failure file and moves on', async () => {
    // Prepare: a batch of 5 always fails (no bisect); 3 retries allowed
    const stream = uniqueName('retries');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 5, { prefix: 'doomed-' });
    const rec = recorder((_e, inv) => (inv.data.some((d) => d.startsWith('doomed-')) ? { throw: 'sink down' } : undefined));
    const onFailure = new FileFailureDestination(path.join(dir, `${stream}.jsonl`));
    const { poller, events } = makePoller(env, { streamName: stream, settings: settings({ maximumRetryAttempts: 3 }), handler: rec.handler, onFailure });

    // Act
    await poller.start();
    await poller.idle();
    const next = await putRecords(env.kinesis, stream, 4, { prefix: 'fine-' });
    await poller.idle();
    await poller.stop();

    // Assert
    const seqs = puts.map((p) => p.sequenceNumber);
    expect(rec.invocations.filter((i) => i.seqs[0] === seqs[0])).toHaveLength(4);
    expect(rec.processed.get(SHARD)).toEqual(next.map((p) => p.sequenceNumber));
    const [failure, ...more] = await onFailure.list();
    expect(more).toEqual([]);
    expect(failure).toMatchObject({
      version: '1.0',
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4, functionArn: expect.stringContaining(`function:consumer-${stream}`) },
      KinesisBatchInfo: { shardId: SHARD, startSequenceNumber: seqs[0], endSequenceNumber: seqs[4], batchSize: 5, streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}` },
      reason: expect.stringContaining('sink down'),
    });
    expect(Date.parse(failure!.KinesisBatchInfo.approximateArrivalOfFirstRecord)).toBeLessThanOrEqual(Date.parse(failure!.KinesisBatchInfo.approximateArrivalOfLastRecord));
    expect(events.filter((e) => e.type === 'sent-to-destination')).toHaveLength(1);
    // checkpointed past the discarded batch
    expect(await env.checkpoints.get(`consumer-${stream}`, SHARD)).toMatchObject({ sequenceNumber: next[3]!.sequenceNumber });
  });

  it('a function timeout is a function error, retried', async () => {
    // Prepare: the first invocation outlives the 100 ms timeout
    const stream = uniqueName('timeout');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 3);
    const rec = recorder((_e, inv) => (inv.n === 0 ? { delayMs: 400, throw: 'late' } : undefined));
    const { poller, events } = makePoller(env, { streamName: stream, settings: settings(), handler: rec.handler, timeoutMs: 100 });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    expect(events.find((e) => e.type === 'batch-failed')).toMatchObject({ kind: 'timeout' });
    expect(rec.processed.get(SHARD)).toEqual(puts.map((p) => p.sequenceNumber));
  });
});

describe('KinesisPoller MaximumRecordAgeInSeconds', () => {
  it('retries until the records are too old, then sends them to the destination', async () => {
    // Prepare: the function fails until the clock moves 2 minutes on (max age 60 s, infinite retries)
    const stream = uniqueName('age');
    await createStream(env.kinesis, stream, 1);
    const puts = await putRecords(env.kinesis, stream, 4, { prefix: 'aging-' });
    let skew = 0;
    const rec = recorder((_e, inv) => (inv.data.some((d) => d.startsWith('aging-')) ? { throw: 'still failing' } : undefined));
    const onFailure = new FileFailureDestination(path.join(dir, `${stream}.jsonl`));
    const { poller } = makePoller(env, { streamName: stream, settings: settings({ maximumRecordAgeInSeconds: 60, maximumRetryAttempts: -1 }), handler: rec.handler, onFailure, now: () => Date.now() + skew });

    // Act
    await poller.start();
    await waitFor(() => rec.invocations.length >= 3, 10_000, 'retries');
    skew = 120_000;
    await waitFor(() => poller.stats[SHARD]!.discarded === 4, 10_000, 'discard');
    skew = 0;
    const next = await putRecords(env.kinesis, stream, 2, { prefix: 'young-' });
    await poller.idle();
    await poller.stop();

    // Assert
    const failures = await onFailure.list();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RecordAgeExceeded' },
      KinesisBatchInfo: { startSequenceNumber: puts[0]!.sequenceNumber, endSequenceNumber: puts[3]!.sequenceNumber, batchSize: 4 },
    });
    expect(failures[0]!.requestContext.approximateInvokeCount).toBeGreaterThanOrEqual(3);
    expect(rec.processed.get(SHARD)).toEqual(next.map((p) => p.sequenceNumber));
  });

  it('records already too old are never sent to the function', async () => {
    // Prepare: the clock is 10 minutes ahead, max age 5 minutes
    const stream = uniqueName('expired');
    await createStream(env.kinesis, stream, 1);
    await putRecords(env.kinesis, stream, 6);
    const rec = recorder();
    const onFailure = new FileFailureDestination(path.join(dir, `${stream}.jsonl`));
    const { poller } = makePoller(env, { streamName: stream, settings: settings({ maximumRecordAgeInSeconds: 300 }), handler: rec.handler, onFailure, now: () => Date.now() + 600_000 });

    // Act
    await poller.start();
    await poller.idle();
    await poller.stop();

    // Assert
    expect(rec.invocations).toEqual([]);
    const failures = await onFailure.list();
    expect(failures.map((f) => [f.requestContext.condition, f.requestContext.approximateInvokeCount, f.KinesisBatchInfo.batchSize])).toEqual([['RecordAgeExceeded', 0, 6]]);
  });
});
