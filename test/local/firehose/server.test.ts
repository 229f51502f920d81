/**
 * The local Firehose endpoint's own behaviour, with its hooks (flush, faults, restarts) and a
 * look into the database it delivers to: delivery like COPY JSON 'auto', buffering hints,
 * failed entries and retried loads. The API contract alone (no hooks) is in
 * `protocol.test.ts`, which can run against AWS.
 */
import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  PutRecordBatchCommand,
  PutRecordCommand,
  type CreateDeliveryStreamCommandInput,
} from '@aws-sdk/client-firehose';
import { ExecuteStatementCommand, GetStatementResultCommand, RedshiftDataClient, type Field } from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFirehoseServer, type FirehoseServer } from '../../../src/local/firehose/server.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../../src/local/redshift-data/server.ts';
import { deliveryStreamConfig, FirehoseEventSink } from '../../../src/sinks/firehose-sink.ts';
import { EVENT_TABLES } from '../../../src/sinks/redshift/tables.ts';
import { BACKENDS, CREDENTIALS, REGION, rejection, waitFor, type OpenBackend } from '../redshift-data/support.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const line = (o: unknown) => enc(`${JSON.stringify(o)}\n`);

/** A Redshift destination as a producer would configure it. */
function streamInput(name: string, table: string, columns?: string, o: { sizeMb?: number; intervalSeconds?: number } = {}): CreateDeliveryStreamCommandInput {
  return {
    DeliveryStreamName: name,
    DeliveryStreamType: 'DirectPut',
    RedshiftDestinationConfiguration: {
      RoleARN: 'arn:aws:iam::000000000000:role/firehose',
      ClusterJDBCURL: 'jdbc:redshift://127.0.0.1:5439/dev',
      CopyCommand: { DataTableName: table, ...(columns ? { DataTableColumns: columns } : {}), CopyOptions: "FORMAT AS JSON 'auto' TRUNCATECOLUMNS" },
      Username: 'loader',
      Password: 'Secret-123',
      S3Configuration: {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        BucketARN: 'arn:aws:s3:::staging',
        BufferingHints: { SizeInMBs: o.sizeMb ?? 5, IntervalInSeconds: o.intervalSeconds ?? 60 },
        CompressionFormat: 'UNCOMPRESSED',
      },
    },
  };
}

describe.each(BACKENDS)('local Firehose on $name', ({ open }) => {
  let db: OpenBackend;
  let firehose: FirehoseServer;
  let dataApi: RedshiftDataServer;
  let client: FirehoseClient;
  let sql: RedshiftDataClient;
  const failing = new Set<string>();

  beforeAll(async () => {
    db = await open();
    // The streams' 60 s interval as given: delivery happens on flush() unless a test says otherwise.
    firehose = await startFirehoseServer({
      backend: db.backend,
      faults: { failRecord: (stream, index) => failing.has(`${stream}#${index}`) },
    });
    dataApi = await startRedshiftDataServer({ backend: db.backend });
    client = new FirehoseClient({ region: REGION, endpoint: firehose.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
    sql = new RedshiftDataClient({ region: REGION, endpoint: dataApi.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
  });
  afterAll(async () => {
    client?.destroy();
    sql?.destroy();
    await firehose?.close();
    await dataApi?.close();
    await db?.dispose();
  });

  /** Runs SQL through the Data API and returns its records. */
  async function query(text: string): Promise<Field[][]> {
    const { Id } = await sql.send(new ExecuteStatementCommand({ Sql: text, Database: 'dev', WorkgroupName: 'local' }));
    const d = await waitFor(sql, Id!);
    if (d.Status !== 'FINISHED') throw new Error(`${text}: ${d.Status} ${d.Error}`);
    if (!d.HasResultSet) return [];
    return (await sql.send(new GetStatementResultCommand({ Id: Id! }))).Records ?? [];
  }

  it('accepts the project’s own delivery stream configuration and sink', async () => {
    // Prepare
    const t = EVENT_TABLES.clickstream;
    await query(`CREATE TABLE ${t.table} (${t.columns.map((c) => `${c.name} ${c.type}`).join(', ')})`);
    await client.send(new CreateDeliveryStreamCommand(deliveryStreamConfig('clickstream', 'sink-clickstream', { database: 'dev' })));
    const sink = new FirehoseEventSink(client, { clickstream: 'sink-clickstream', transactions: '' });
    const rows = Array.from({ length: 3 }, (_, i) => ({ event_id: `e${i}`, type: 'page_view', occurred_at: '2026-01-01 00:00:00.000', page: '/p', shard_id: 'shardId-0', sequence_number: `${i}`, sub_sequence: 0, arrived_at: '2026-01-01 00:00:01.250' }));

    // Act
    await sink.send('clickstream', rows);
    await firehose.flush();
    const out = await query(`SELECT event_id, occurred_at, arrived_at, user_id FROM ${t.table} ORDER BY event_id`);

    // Assert
    expect(out).toEqual(rows.map((r) => [{ stringValue: r.event_id }, { stringValue: '2026-01-01 00:00:00' }, { stringValue: '2026-01-01 00:00:01.25' }, { isNull: true }]));
  });

  it('answers 200 with FailedPutCount and per-record errors for failed entries', async () => {
    // Prepare
    await query('CREATE TABLE partial_events (id INT, body VARCHAR(100))');
    await client.send(new CreateDeliveryStreamCommand(streamInput('partial-stream', 'partial_events')));
    failing.add('partial-stream#1').add('partial-stream#3');
    const records = Array.from({ length: 5 }, (_, i) => ({ Data: line({ id: i, body: `r${i}` }) }));

    // Act
    const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'partial-stream', Records: records }));
    failing.clear();
    await firehose.flush();
    const ids = await query('SELECT id FROM partial_events ORDER BY id');

    // Assert
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.FailedPutCount).toBe(2);
    expect(out.RequestResponses?.map((r) => (r.RecordId ? 'ok' : r.ErrorCode))).toEqual(['ok', 'ServiceUnavailableException', 'ok', 'ServiceUnavailableException', 'ok']);
    expect(out.RequestResponses?.[1]?.ErrorMessage).toBeTruthy();
    expect(ids).toEqual([[{ longValue: 0 }], [{ longValue: 2 }], [{ longValue: 4 }]]);
  });

  it('buffers records until flush and loads them like COPY JSON auto', async () => {
    // Prepare
    await query('CREATE TABLE copy_events (id BIGINT, name VARCHAR(5), amount NUMERIC(20,2), ok BOOLEAN, at TIMESTAMP, extra VARCHAR(100))');
    await client.send(new CreateDeliveryStreamCommand(streamInput('copy-stream', 'copy_events', 'id,name,amount,ok,at,extra')));
    const records = [
      // keys match columns case-insensitively; missing keys are NULL; TRUNCATECOLUMNS cuts long text
      { Data: enc('{"ID": 9007199254740993, "Name": "abcdefgh", "amount": 12345678901234567.89, "ok": true, "at": "2026-03-04 05:06:07.089"}\n') },
      { Data: enc('{"id": 2, "extra": {"nested": [1, 2]}, "unknown": "ignored"}\n') },
      // records are concatenated as they are: a record without its newline still parses
      { Data: enc('{"id": 3, "ok": false}') },
      { Data: enc('{"id": 4, "at": "2026-03-04T05:06:07Z"}\n') },
    ];

    // Act
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'copy-stream', Records: records }));
    const before = await query('SELECT count(*) FROM copy_events');
    const statsBefore = firehose.stats();
    await firehose.flush();
    const rows = await query('SELECT id::text, name, amount, ok, at, extra FROM copy_events ORDER BY id');

    // Assert
    expect(before).toEqual([[{ longValue: 0 }]]);
    expect(statsBefore.buffered).toBeGreaterThanOrEqual(4);
    expect(rows).toEqual([
      [{ stringValue: '2' }, { isNull: true }, { isNull: true }, { isNull: true }, { isNull: true }, { stringValue: '{"nested": [1, 2]}' }],
      [{ stringValue: '3' }, { isNull: true }, { isNull: true }, { booleanValue: false }, { isNull: true }, { isNull: true }],
      [{ stringValue: '4' }, { isNull: true }, { isNull: true }, { isNull: true }, { stringValue: '2026-03-04 05:06:07' }, { isNull: true }],
      [{ stringValue: '9007199254740993' }, { stringValue: 'abcde' }, { stringValue: '12345678901234567.89' }, { booleanValue: true }, { stringValue: '2026-03-04 05:06:07.089' }, { isNull: true }],
    ]);
  });

  it('maxFlushIntervalMs caps a stream’s IntervalInSeconds (the local stack’s speed-up)', async () => {
    // Prepare: the stream says 60 s, the endpoint caps it at 100 ms
    const quick = await startFirehoseServer({ backend: db.backend, maxFlushIntervalMs: 100 });
    const quickClient = new FirehoseClient({ region: REGION, endpoint: quick.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
    await query('CREATE TABLE timed_events (id INT)');
    await quickClient.send(new CreateDeliveryStreamCommand(streamInput('timed-stream', 'timed_events', undefined, { intervalSeconds: 60 })));

    // Act
    await quickClient.send(new PutRecordCommand({ DeliveryStreamName: 'timed-stream', Record: { Data: line({ id: 7 }) } }));
    let rows: Field[][] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      rows = await query('SELECT id FROM timed_events');
    }
    quickClient.destroy();
    await quick.close();

    // Assert
    expect(rows).toEqual([[{ longValue: 7 }]]);
  });

  describe('buffering hints, per delivery stream, whichever is met first', () => {
    // Each table stamps the moment a row is loaded (a column the COPY does not list gets its
    // default), so delivery times are read from the database rather than guessed by polling.
    const stamped = (table: string) => query(`CREATE TABLE ${table} (id INT, pad VARCHAR(200000), delivered_at TIMESTAMPTZ DEFAULT clock_timestamp())`);
    const deliveries = async (table: string) =>
      (await query(`SELECT id, CAST(EXTRACT(EPOCH FROM delivered_at) * 1000 AS BIGINT) FROM ${table} ORDER BY id`)).map((r) => ({ id: r[0]!.longValue!, atMs: r[1]!.longValue! }));
    /** Polls until `table` holds `n` rows (or 10 s pass). */
    async function until(table: string, n: number) {
      for (let i = 0; i < 200; i++) {
        const rows = await deliveries(table);
        if (rows.length >= n) return rows;
        await new Promise((r) => setTimeout(r, 50));
      }
      return deliveries(table);
    }

    it('delivers once the buffer holds SizeInMBs, long before IntervalInSeconds', async () => {
      // Prepare: 1 MiB or 900 s; records of ~100 KB, so 10 stay under the size and 11 pass it
      await stamped('size_events');
      await client.send(new CreateDeliveryStreamCommand(streamInput('size-stream', 'size_events', 'id,pad', { sizeMb: 1, intervalSeconds: 900 })));
      const record = (id: number) => ({ Data: line({ id, pad: 'x'.repeat(100_000) }) });

      // Act
      await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'size-stream', Records: Array.from({ length: 10 }, (_, i) => record(i)) }));
      await new Promise((r) => setTimeout(r, 500));
      const under = await deliveries('size_events');
      const sentAt = Date.now();
      await client.send(new PutRecordCommand({ DeliveryStreamName: 'size-stream', Record: record(10) }));
      const sentBy = Date.now();
      const rows = await until('size_events', 11);

      // Assert: nothing while under 1 MiB; everything, in one delivery, once past it
      expect(under).toEqual([]);
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 11 }, (_, i) => i));
      for (const r of rows) {
        expect(r.atMs).toBeGreaterThanOrEqual(sentAt - 5);
        expect(r.atMs).toBeLessThan(sentBy + 2_000);
      }
    });

    it('delivers once the oldest record is IntervalInSeconds old, not before', async () => {
      // Prepare: 2 s or 128 MiB
      await stamped('interval_events');
      await client.send(new CreateDeliveryStreamCommand(streamInput('interval-stream', 'interval_events', 'id', { sizeMb: 128, intervalSeconds: 2 })));

      // Act: the first record starts the clock; a second one 1 s later does not restart it
      const sentAt = Date.now();
      await client.send(new PutRecordCommand({ DeliveryStreamName: 'interval-stream', Record: { Data: line({ id: 1 }) } }));
      const sentBy = Date.now();
      await new Promise((r) => setTimeout(r, 1_000));
      await client.send(new PutRecordCommand({ DeliveryStreamName: 'interval-stream', Record: { Data: line({ id: 2 }) } }));
      const rows = await until('interval_events', 2);

      // Assert: both delivered together, 2 s after the first arrived (within the timer's tick
      // and a loaded machine's slack), not before
      expect(rows.map((r) => r.id)).toEqual([1, 2]);
      for (const r of rows) {
        expect(r.atMs).toBeGreaterThanOrEqual(sentAt + 2_000 - 5);
        expect(r.atMs).toBeLessThan(sentBy + 2_000 + 1_000);
      }
    });

    it('delivers at once when IntervalInSeconds is 0', async () => {
      // Prepare
      await stamped('zero_events');
      await client.send(new CreateDeliveryStreamCommand(streamInput('zero-stream', 'zero_events', 'id', { sizeMb: 128, intervalSeconds: 0 })));

      // Act
      const sentAt = Date.now();
      await client.send(new PutRecordCommand({ DeliveryStreamName: 'zero-stream', Record: { Data: line({ id: 1 }) } }));
      const rows = await until('zero_events', 1);

      // Assert
      expect(rows.map((r) => r.id)).toEqual([1]);
      expect(rows[0]!.atMs - sentAt).toBeLessThan(1_000);
    });
  });

  it('lands a hostile string byte-exact', async () => {
    // Prepare
    await query('CREATE TABLE hostile_events (id INT, body VARCHAR(1000))');
    await client.send(new CreateDeliveryStreamCommand(streamInput('hostile-stream', 'hostile_events')));
    const hostile = `it's "quoted"; DROP TABLE hostile_events; -- comment \\ backslash \\\\ \\n not-a-newline\nreal newline \t tab ünïcødé 🚀 \u2028 ${'$$'} :param $1 */ /*`;

    // Act
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'hostile-stream', Records: [{ Data: line({ id: 1, body: hostile }) }] }));
    await firehose.flush();
    const rows = await query('SELECT id, body FROM hostile_events');

    // Assert
    expect(rows).toEqual([[{ longValue: 1 }, { stringValue: hostile }]]);
  });

  it('retries a failed delivery, counts it, and keeps stream definitions and records across a restart', async () => {
    // Prepare: the target table does not exist yet, so the load fails.
    await client.send(new CreateDeliveryStreamCommand(streamInput('retry-stream', 'retry_events')));
    await client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'retry-stream', Records: [{ Data: line({ id: 1 }) }, { Data: line({ id: 2 }) }] }));
    const failedBefore = firehose.stats().failedDeliveries;

    // Act
    const flushError = await rejection(firehose.flush());
    const failedAfter = firehose.stats().failedDeliveries;
    await firehose.close();
    await query('CREATE TABLE retry_events (id INT)');
    firehose = await startFirehoseServer({ backend: db.backend, faults: { failRecord: (stream, index) => failing.has(`${stream}#${index}`) } });
    client.destroy();
    client = new FirehoseClient({ region: REGION, endpoint: firehose.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
    const described = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'retry-stream' }));
    await firehose.flush();
    const rows = await query('SELECT id FROM retry_events ORDER BY id');

    // Assert
    expect(flushError.message).toMatch(/retry_events/);
    expect(failedAfter).toBeGreaterThan(failedBefore);
    expect(described.DeliveryStreamDescription?.DeliveryStreamStatus).toBe('ACTIVE');
    expect(rows).toEqual([[{ longValue: 1 }], [{ longValue: 2 }]]);
    expect(firehose.stats()).toMatchObject({ delivered: 2, buffered: 0 });
  });
});
