/**
 * The handlers' core (`createWorker`): one Lambda Kinesis event in, `batchItemFailures` out.
 * Sinks are in memory here; the same worker runs against the real local parts in
 * test/sinks/soak.test.ts and end to end in test/e2e.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { MemoryDedupeStore } from '../src/dedupe/memory-dedupe-store.ts';
import type { Sinks } from '../src/pipeline/emit.ts';
import type { BatchSource, ClassifiedRecord, StreamKind } from '../src/types.ts';
import { createWorker, streamNameFromArn } from '../src/worker.ts';
import { MemoryMetricSink } from './support/memory-metric-sink.ts';

const NOW = Date.now();

function event(datas: string[], stream = 'clickstream', firstSeq = 1000n): KinesisStreamEvent {
  return {
    Records: datas.map((d, i) => ({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: String(firstSeq + BigInt(i)), data: Buffer.from(d).toString('base64'), approximateArrivalTimestamp: NOW / 1000 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000001:${firstSeq + BigInt(i)}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/r',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${stream}`,
    })),
  };
}

const click = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ eventId: id, type: 'page_view', occurredAt: new Date(NOW - 60_000).toISOString(), sessionId: 's', anonymousId: 'a', page: { url: 'https://shop.example.com/cart' }, ...extra });

function setup(options: { failBadRecords?: boolean; failEvents?: boolean; metricFaults?: number; log?: (line: Record<string, unknown>) => void } = {}) {
  const bad: ClassifiedRecord[] = [];
  const events: Record<string, unknown>[] = [];
  const metrics = new MemoryMetricSink(options.metricFaults ?? 0, () => 0);
  const sinks: Sinks = {
    badRecords: {
      async put(_source: BatchSource, records: ClassifiedRecord[]) {
        if (options.failBadRecords) throw new Error('bad-records table unavailable');
        bad.push(...records);
      },
    },
    metrics,
    mirror: null,
    events: {
      async send(_stream: StreamKind, rows: Record<string, unknown>[]) {
        if (options.failEvents) throw new Error('firehose unavailable');
        events.push(...rows);
      },
    },
    toEventRow: (r) => ({ id: r.dedupeKey }),
  };
  const config = loadConfig({});
  const worker = createWorker('clickstream', { config, sinks, dedupeStore: new MemoryDedupeStore(config.dedupe.horizonsMs), ...(options.log ? { log: options.log } : {}) });
  return { worker, bad, events, metrics };
}

describe('createWorker', () => {
  it('rejects bad records into the bad-records sink without failing the batch', async () => {
    // Prepare
    const { worker, bad, events } = setup();
    // Act
    const out = await worker.handle(event([click('e1'), 'not json', click('e2', { page: { url: 'nope' } }), click('e3')]));
    // Assert
    expect(out).toEqual({ batchItemFailures: [] });
    expect(bad.map((b) => [b.reason, b.position.sequenceNumber])).toEqual([
      ['invalid_json', '1001'],
      ['schema_violation', '1002'],
    ]);
    expect(bad[0]!.rawBase64).toBe(Buffer.from('not json').toString('base64'));
    expect(events).toEqual([{ id: 'e1' }, { id: 'e3' }]);
  });

  it('logs one batch line per invocation that is also CloudWatch metrics (EMF)', async () => {
    // Prepare
    const lines: Record<string, unknown>[] = [];
    const { worker } = setup({ log: (l) => lines.push(JSON.parse(JSON.stringify(l)) as Record<string, unknown>) });
    // Act
    await worker.handle(event([click('e1'), 'not json', click('e1'), click('e2')]));
    // Assert: the counts, and EMF metadata whose every metric is a number and dimension a string
    const line = lines.find((l) => l.message === 'batch')!;
    expect(line).toMatchObject({ stream: 'clickstream', shard: 'shardId-000000000001', records: 4, counted: 2, duplicate: 1, rejected: 1, filtered: 0, failedBatches: 0 });
    const aws = line._aws as { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    expect(Math.abs(aws.Timestamp - Date.now())).toBeLessThan(60_000);
    const [directive] = aws.CloudWatchMetrics;
    expect(directive!.Namespace).toBe('StreamMetrics');
    expect(directive!.Dimensions).toEqual([['stream']]);
    expect(directive!.Metrics.map((m) => m.Name).sort()).toEqual(['counted', 'duplicate', 'durationMs', 'failedBatches', 'filtered', 'records', 'rejected']);
    for (const m of directive!.Metrics) expect(typeof line[m.Name], m.Name).toBe('number');
    for (const d of directive!.Dimensions.flat()) expect(typeof line[d], d).toBe('string');
  });

  it('reports the first not-durable record when a sink gives up', async () => {
    // Prepare
    const { worker } = setup({ failEvents: true });
    // Act
    const out = await worker.handle(event(['not json', click('e1'), click('e2')]));
    // Assert: the bad record and the metrics are durable; the events of e1 onwards are not.
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '1001' }] });
  });

  it('fails from the first rejected record when the bad-records sink is down', async () => {
    // Prepare
    const { worker } = setup({ failBadRecords: true });
    // Act
    const out = await worker.handle(event([click('e1'), 'not json']));
    // Assert
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '1001' }] });
  });

  it('fails from the first record of a failed metric item', async () => {
    // Prepare: every metric write fails.
    const { worker } = setup({ metricFaults: 1 });
    // Act
    const out = await worker.handle(event([click('e1'), click('e2')]));
    // Assert
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: '1000' }] });
  });

  it('counts a retried batch once', async () => {
    // Prepare
    const { worker, metrics } = setup();
    const e = event([click('e1'), click('e2')]);
    // Act
    await worker.handle(e);
    await worker.handle(e);
    // Assert
    const total = metrics.cellsOf('page_views', []).reduce((a, c) => a + (c.value ?? 0), 0);
    expect(total).toBe(2);
  });

  it('answers an empty event with success', async () => {
    const { worker } = setup();
    expect(await worker.handle({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});

describe('streamNameFromArn', () => {
  it('reads the stream name, or falls back', () => {
    expect(streamNameFromArn('arn:aws:kinesis:us-east-1:1:stream/clicks-prod', 'x')).toBe('clicks-prod');
    expect(streamNameFromArn(undefined, 'clickstream')).toBe('clickstream');
  });
});
