import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient, ListDeliveryStreamsCommand, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { ExecuteStatementCommand, GetStatementResultCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFirehoseServer } from '../../../src/local/firehose/server.ts';
import { startRedshiftDataServer } from '../../../src/local/redshift-data/server.ts';
import { createPgliteBackend } from '../../../src/local/sql-backend.ts';
import { deliveryStreamConfig } from '../../../src/sinks/firehose-sink.ts';
import { CREDENTIALS, REGION, waitFor } from '../redshift-data/support.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'firehose-persist-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('local Firehose persistence (PGlite data directory)', () => {
  it('keeps delivery streams and acknowledged, undelivered records across a restart', async () => {
    // Prepare: a stream whose table does not exist yet, so its records stay buffered.
    const first = await createPgliteBackend({ dataDir });
    const firehose1 = await startFirehoseServer({ backend: first });
    const client1 = new FirehoseClient({ region: REGION, endpoint: firehose1.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
    const config = deliveryStreamConfig('clickstream', 'persisted-stream', { database: 'dev' });
    config.RedshiftDestinationConfiguration!.CopyCommand = { DataTableName: 'persisted_events', DataTableColumns: 'id,body', CopyOptions: "FORMAT AS JSON 'auto'" };
    await client1.send(new CreateDeliveryStreamCommand(config));
    const put = await client1.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'persisted-stream', Records: ['a', 'b', 'c'].map((body, id) => ({ Data: new TextEncoder().encode(`${JSON.stringify({ id, body })}\n`) })) }),
    );
    client1.destroy();
    await firehose1.close(); // its last flush fails (no table): the records stay buffered
    await first.close();

    // Act
    const second = await createPgliteBackend({ dataDir });
    const firehose2 = await startFirehoseServer({ backend: second });
    const dataApi = await startRedshiftDataServer({ backend: second });
    const client2 = new FirehoseClient({ region: REGION, endpoint: firehose2.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
    const sql = new RedshiftDataClient({ region: REGION, endpoint: dataApi.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
    const listed = await client2.send(new ListDeliveryStreamsCommand({}));
    const described = await client2.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'persisted-stream' }));
    const created = await sql.send(new ExecuteStatementCommand({ Sql: 'CREATE TABLE persisted_events (id INT, body VARCHAR(10))', Database: 'dev' }));
    await waitFor(sql, created.Id!);
    await firehose2.flush();
    const select = await sql.send(new ExecuteStatementCommand({ Sql: 'SELECT id, body FROM persisted_events ORDER BY id', Database: 'dev' }));
    await waitFor(sql, select.Id!);
    const rows = (await sql.send(new GetStatementResultCommand({ Id: select.Id! }))).Records;
    client2.destroy();
    sql.destroy();
    await firehose2.close();
    await dataApi.close();
    await second.close();

    // Assert
    expect(put.FailedPutCount).toBe(0);
    expect(listed.DeliveryStreamNames).toEqual(['persisted-stream']);
    expect(described.DeliveryStreamDescription?.Destinations?.[0]?.RedshiftDestinationDescription?.CopyCommand?.DataTableName).toBe('persisted_events');
    expect(rows).toEqual([
      [{ longValue: 0 }, { stringValue: 'a' }],
      [{ longValue: 1 }, { stringValue: 'b' }],
      [{ longValue: 2 }, { stringValue: 'c' }],
    ]);
  });
});
