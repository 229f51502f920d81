/**
 * The Firehose event sink through the real `FirehoseClient` against the local Firehose
 * endpoint (`src/local/firehose`), which delivers into the migrated tables (PostgreSQL and
 * PGlite) like COPY json 'auto': rows land once, partial failures are retried entry by
 * entry, and the delivery configuration matches the tables.
 */
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/errors.ts';
import { deliveryStreamConfig, FirehoseEventSink, toEventRow } from '../../src/sinks/firehose-sink.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import { EVENT_TABLES } from '../../src/sinks/redshift/tables.ts';
import type { ClassifiedRecord, CleanClick, CleanTransaction } from '../../src/types.ts';
import { startFirehoseServer, type FirehoseServer } from '../../src/local/firehose/server.ts';
import { parseTimestamp } from '../../src/sinks/redshift/sql-literal.ts';
import { HOSTILE, openBackend, type SqlDb } from './redshift/support.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
const fast = { attempts: 6, baseMs: 1, capMs: 5 };
const STREAMS = { clickstream: 'test-clickstream-events', transactions: 'test-transactions' };

function click(i: number, over: Partial<CleanClick> = {}): ClassifiedRecord {
  const clean: CleanClick = {
    kind: 'clickstream',
    eventId: `e${i}`,
    type: 'add_to_cart',
    occurredAtMs: T0 + i,
    sessionId: `s${i}`,
    anonymousId: `a${i}`,
    userId: null,
    page: 'shop.example.com/Cart',
    pageHost: 'shop.example.com',
    pageUrl: 'https://shop.example.com/Cart?utm_source=x',
    referrerHost: null,
    utmSource: 'x',
    utmMedium: null,
    utmCampaign: null,
    title: 'Cart',
    searchQuery: null,
    product: { sku: 'SKU-1', quantity: 2, priceMinor: 1999, currency: 'EUR' },
    device: 'mobile',
    country: 'FR',
    ipPrefix: '203.0.113.0/24',
    userAgent: 'Mozilla/5.0',
    ...over,
  };
  return {
    position: { shardId: 'shardId-000000000001', sequenceNumber: `4959${String(i).padStart(20, '0')}`, subSequence: i % 3 },
    posKey: `p${i}`,
    arrivalMs: T0 + 1000 + i,
    outcome: 'counted',
    reason: null,
    clean,
  };
}

function tx(i: number): ClassifiedRecord {
  const clean: CleanTransaction = {
    kind: 'transactions',
    transactionId: `t${i}`,
    type: 'purchase',
    status: 'completed',
    occurredAtMs: T0,
    customerId: `c${i}`,
    amountMinor: 9_007_199_254_740_991 - i,
    currency: 'JPY',
    items: [{ sku: 'A"b\\c', quantity: 1, unitPriceMinor: null }],
    paymentMethod: 'card',
    country: 'JP',
    sessionId: null,
    originalTransactionId: null,
  };
  return { position: { shardId: 'shardId-000000000000', sequenceNumber: String(100 + i), subSequence: 0 }, posKey: `q${i}`, arrivalMs: T0, outcome: 'counted', reason: null, clean };
}

describe('toEventRow', () => {
  it('maps a clean click to exactly the clickstream_events columns', () => {
    // Act
    const row = toEventRow(click(1));
    // Assert
    expect(Object.keys(row).sort()).toEqual(EVENT_TABLES.clickstream.columns.map((c) => c.name).sort());
    expect(row).toMatchObject({ event_id: 'e1', occurred_at: '2026-01-01 12:00:00.251', product_price_minor: 1999, sub_sequence: 1, arrived_at: '2026-01-01 12:00:01.251' });
  });

  it('maps a transaction to exactly the transactions columns, items as JSON text', () => {
    const row = toEventRow(tx(1));
    expect(Object.keys(row).sort()).toEqual(EVENT_TABLES.transactions.columns.map((c) => c.name).sort());
    expect(JSON.parse(row.items as string)).toEqual([{ sku: 'A"b\\c', quantity: 1, unitPriceMinor: null }]);
  });

  it('truncates text to the column byte limits at a character boundary', () => {
    const row = toEventRow(click(1, { title: '😀'.repeat(2000) }));
    expect(Buffer.byteLength(row.title as string)).toBe(4096);
  });

  it('refuses a record without a cleaned value', () => {
    expect(() => toEventRow({ ...click(1), clean: undefined })).toThrow(TypeError);
  });
});

describe('deliveryStreamConfig', () => {
  it('names the table and exactly its columns, with JSON auto COPY options', () => {
    // Act
    const cfg = deliveryStreamConfig('transactions', 'tx', { database: 'dev', schema: 'analytics', secretArn: 'arn:secret' });
    // Assert
    const copy = cfg.RedshiftDestinationConfiguration!.CopyCommand!;
    expect(copy.DataTableName).toBe('analytics.transactions');
    expect(copy.DataTableColumns).toBe(EVENT_TABLES.transactions.columns.map((c) => c.name).join(','));
    expect(copy.CopyOptions).toMatch(/json 'auto'/i);
    expect(cfg.RedshiftDestinationConfiguration!.SecretsManagerConfiguration?.SecretARN).toBe('arn:secret');
  });
});

for (const kind of ['postgres', 'pglite'] as const) describe(`FirehoseEventSink through the SDK on ${kind}`, () => {
  let db: SqlDb;
  let endpoint: FirehoseServer;
  let client: FirehoseClient;
  // The server takes its fault hook at start; tests swap what it calls. A put's entries are
  // offered in order, so index 0 marks the start of a new PutRecordBatch call.
  const faults: { failRecord?: ((index: number, call: number) => boolean) | undefined } = {};
  let call = 0;

  beforeAll(async () => {
    const opened = await openBackend(kind);
    db = opened.db;
    await migrate((sql) => db.query(sql), 'postgres');
    endpoint = await startFirehoseServer({
      backend: opened.backend,
      faults: {
        failRecord: (_stream, index) => {
          if (index === 0) call++;
          return faults.failRecord?.(index, call) ?? false;
        },
      },
    });
    client = new FirehoseClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    for (const stream of ['clickstream', 'transactions'] as const) await client.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, STREAMS[stream], { database: 'dev' })));
  });
  afterAll(async () => {
    client?.destroy();
    await endpoint?.close();
    await db?.close();
  });

  it('delivers rows whose columns match the table; hostile text arrives byte-exact', async () => {
    // Prepare
    await db.query('DELETE FROM clickstream_events');
    const records = HOSTILE.map((h, i) => click(i, { title: h, searchQuery: h, userAgent: h, page: h }));
    const sink = new FirehoseEventSink(client, STREAMS, { retry: fast });
    // Act
    await sink.send('clickstream', records.map((r) => toEventRow(r)));
    await endpoint.flush();
    // Assert
    const { rows } = await db.query('SELECT event_id, title, search_query, user_agent, page, occurred_at, product_price_minor FROM clickstream_events ORDER BY occurred_at');
    expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[4], parseTimestamp(String(r[5])), Number(r[6])])).toEqual(HOSTILE.map((h, i) => [`e${i}`, h, h, h, h, T0 + i, 1999]));
    expect(sink.stats).toMatchObject({ calls: 1, records: HOSTILE.length });
  });

  it('splits more than 500 records into several calls', async () => {
    // Prepare
    await db.query('DELETE FROM transactions');
    const sink = new FirehoseEventSink(client, STREAMS, { retry: fast });
    // Act
    await sink.send('transactions', Array.from({ length: 1_201 }, (_, i) => toEventRow(tx(i))));
    await endpoint.flush();
    // Assert
    const { rows } = await db.query('SELECT COUNT(*), COUNT(DISTINCT transaction_id), MAX(amount_minor) FROM transactions');
    expect(rows[0]!.map(Number)).toEqual([1_201, 1_201, 9_007_199_254_740_991]);
    expect(sink.stats.calls).toBe(3);
  });

  it('splits a batch into calls of at most 4 MiB before 500 records, each as full as the limit allows', async () => {
    // Prepare: rows of ~29 KB (every long text column at its byte limit), so ~145 fill 4 MiB
    await db.query('DELETE FROM clickstream_events');
    const client2 = new FirehoseClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    const sent: number[][] = [];
    client2.middlewareStack.add(
      (next) => async (args) => {
        const records = (args.input as { Records?: { Data: Uint8Array }[] }).Records ?? [];
        sent.push(records.map((r) => r.Data.length));
        return next(args);
      },
      { step: 'initialize', name: 'recordCallSizes' },
    );
    const big = (i: number) => toEventRow(click(i, { page: 'p'.repeat(9_000), pageUrl: 'u'.repeat(9_000), title: 't'.repeat(5_000), searchQuery: 'q'.repeat(5_000), userAgent: 'a'.repeat(5_000) }));
    const rows = Array.from({ length: 300 }, (_, i) => big(i));
    const sink = new FirehoseEventSink(client2, STREAMS, { retry: fast });
    // Act
    await sink.send('clickstream', rows);
    await endpoint.flush();
    client2.destroy();
    // Assert: under both limits; a call ends only where the next record would pass 4 MiB
    const callBytes = sent.map((sizes) => sizes.reduce((a, b) => a + b, 0));
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.every((sizes) => sizes.length < 500)).toBe(true);
    expect(callBytes.every((b) => b <= 4 * 1024 * 1024)).toBe(true);
    for (let k = 0; k < sent.length - 1; k++) expect(callBytes[k]! + sent[k + 1]![0]!).toBeGreaterThan(4 * 1024 * 1024);
    expect(sent.flat()).toHaveLength(300);
    expect(sink.stats).toMatchObject({ calls: sent.length, records: 300, retriedRecords: 0 });
    const { rows: landed } = await db.query('SELECT COUNT(*), COUNT(DISTINCT event_id), MIN(LENGTH(page)), MAX(LENGTH(page)) FROM clickstream_events');
    expect(landed[0]!.map(Number)).toEqual([300, 300, 8192, 8192]);
  });

  it('sends a record of exactly 1,000 KiB and refuses one byte more before any call', async () => {
    // Prepare: no table row gets this big (columns are truncated), so these are raw rows;
    // the sink adds the newline, which counts
    await db.query('DELETE FROM clickstream_events');
    const padTo = (bytes: number, id: string) => {
      const empty = Buffer.byteLength(`${JSON.stringify({ event_id: id, pad: '' })}\n`);
      return { event_id: id, pad: 'x'.repeat(bytes - empty) };
    };
    const sink = new FirehoseEventSink(client, STREAMS, { retry: fast });
    // Act
    await sink.send('clickstream', [padTo(1_024_000, 'at-limit')]);
    const callsAfterFirst = sink.stats.calls;
    const err = await sink.send('clickstream', [{ event_id: 'small' }, padTo(1_024_001, 'over-limit')]).catch((e: unknown) => e);
    await endpoint.flush();
    // Assert
    expect(callsAfterFirst).toBe(1);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toMatch(/1024001 bytes, over Firehose's 1024000-byte record limit/);
    expect(sink.stats).toMatchObject({ calls: 1, records: 1 });
    const { rows } = await db.query('SELECT event_id FROM clickstream_events');
    expect(rows).toEqual([['at-limit']]);
  });

  it('retries only the failed entries until each record is delivered exactly once', async () => {
    // Prepare: every third record fails the first call, and all of those fail the second
    await db.query('DELETE FROM clickstream_events');
    let first = 0;
    faults.failRecord = (index, n) => {
      if (first === 0) first = n;
      return n === first ? index % 3 === 0 : n === first + 1;
    };
    const sink = new FirehoseEventSink(client, STREAMS, { retry: fast });
    try {
      // Act
      await sink.send('clickstream', Array.from({ length: 30 }, (_, i) => toEventRow(click(i))));
      await endpoint.flush();
    } finally {
      faults.failRecord = undefined;
    }
    // Assert
    const { rows } = await db.query('SELECT event_id, COUNT(*) FROM clickstream_events GROUP BY event_id');
    expect(rows).toHaveLength(30);
    expect(rows.every((r) => Number(r[1]) === 1)).toBe(true);
    expect(sink.stats).toMatchObject({ calls: 3, records: 30, retriedRecords: 20 });
  });

  it('throws SinkError when entries keep failing, after delivering the others', async () => {
    // Prepare
    await db.query('DELETE FROM clickstream_events');
    let first = 0;
    faults.failRecord = (index, n) => {
      if (first === 0) first = n;
      return n === first ? index === 13 : true;
    };
    const sink = new FirehoseEventSink(client, STREAMS, { retry: { ...fast, attempts: 3 } });
    try {
      // Act
      const err = await sink.send('clickstream', Array.from({ length: 20 }, (_, i) => toEventRow(click(i)))).catch((e: unknown) => e);
      await endpoint.flush();
      // Assert
      expect(err).toBeInstanceOf(SinkError);
      expect((err as SinkError).message).toMatch(/1 record\(s\) still failing after 3 attempts \(ServiceUnavailableException/);
    } finally {
      faults.failRecord = undefined;
    }
    const { rows } = await db.query('SELECT COUNT(*) FROM clickstream_events');
    expect(Number(rows[0]![0])).toBe(19);
    expect(sink.stats.calls).toBe(3);
  });

  it('retries a throttled call as a whole', async () => {
    // Prepare
    await db.query('DELETE FROM clickstream_events');
    let thrown = 0;
    const throttled = new FirehoseClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
    throttled.middlewareStack.add(
      (next) => async (args) => {
        if (thrown++ < 2) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        return next(args);
      },
      { step: 'initialize', name: 'testThrottle' },
    );
    const sink = new FirehoseEventSink(throttled, STREAMS, { retry: fast });
    // Act
    await sink.send('clickstream', [toEventRow(click(1))]);
    await endpoint.flush();
    throttled.destroy();
    // Assert
    const { rows } = await db.query('SELECT COUNT(*) FROM clickstream_events');
    expect(Number(rows[0]![0])).toBe(1);
    expect(sink.stats.calls).toBe(3);
  });
});
