/**
 * `stream-metrics bad-records list|replay` as a user runs it: the real command in a child
 * process, pointed by the standard `AWS_ENDPOINT_URL_*` variables at dynalite and at the local
 * Data API and Firehose endpoints on PGlite (started here, in the test process). The bad
 * records come from the real worker, run with a strict lateness so late events are rejected.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { KinesisStreamEvent } from 'aws-lambda';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startFirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { createPgliteBackend, type SqlBackend } from '../../src/local/sql-backend.ts';
import { runQuery } from '../../src/query/run-query.ts';
import { createSinks } from '../../src/sinks/create-sinks.ts';
import { DynamoMetricStore } from '../../src/sinks/dynamodb/metric-store.ts';
import { ensureTables } from '../../src/sinks/dynamodb/tables.ts';
import { deliveryStreamConfig } from '../../src/sinks/firehose-sink.ts';
import { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import { createWorker } from '../../src/worker.ts';
import { run } from '../support/cli.ts';

const require = createRequire(import.meta.url);
const BASE = Date.UTC(2026, 2, 20, 9);
const SHARD = 'shardId-000000000003';

let dynalite: Server;
let sql: SqlBackend;
let dataServer: Awaited<ReturnType<typeof startRedshiftDataServer>>;
let firehoseServer: Awaited<ReturnType<typeof startFirehoseServer>>;
/** the environment of the command: endpoints, credentials, our own table names */
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const server = (require('dynalite') as (o: object) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  dynalite = server;
  sql = await createPgliteBackend();
  dataServer = await startRedshiftDataServer({ backend: sql });
  firehoseServer = await startFirehoseServer({ backend: sql, flushIntervalMs: 100 });
  const id = `cli-br-${process.pid}`;
  env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    AWS_ENDPOINT_URL_FIREHOSE: firehoseServer.url,
    AWS_ENDPOINT_URL_REDSHIFT_DATA: dataServer.url,
    REDSHIFT_DIALECT: 'postgres',
    REDSHIFT_WORKGROUP: 'local',
    METRICS_TABLE: `${id}-metrics`,
    DEDUPE_TABLE: `${id}-dedupe`,
    BAD_RECORDS_TABLE: `${id}-bad`,
  };
  // The SDK clients of this process read the same variables.
  Object.assign(process.env, env);
  const config = loadConfig(env);
  const c = createSinks(config, 'clickstream');
  await ensureTables(c.clients.dynamodb, config.tables);
  await migrate((s) => c.dataApi!.execute(s), 'postgres');
  for (const stream of ['clickstream', 'transactions'] as const) {
    await c.clients.firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, config.firehose[stream], { database: config.redshift.target.database })));
  }
});

afterAll(async () => {
  await firehoseServer?.close();
  await dataServer?.close();
  await sql?.close();
  await new Promise<void>((r) => (dynalite ? dynalite.close(() => r()) : r()));
});

/** One batch of one shard: page views, every third 5 minutes late, and one record that is not JSON. */
function batch(): KinesisStreamEvent {
  const datas: string[] = [];
  for (let i = 0; i < 9; i++) {
    const arrival = BASE + i * 1_000;
    datas.push(
      JSON.stringify({ eventId: `cli-${i}`, type: 'page_view', occurredAt: arrival - (i % 3 === 0 ? 300_000 : 5_000), sessionId: 's', anonymousId: `a${i}`, page: { url: 'https://shop.example.com/x' } }),
    );
  }
  datas.push('{"eventId": "cut off');
  return {
    Records: datas.map((d, i) => ({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', sequenceNumber: String(4_960_000_000n + BigInt(i)), data: Buffer.from(d).toString('base64'), approximateArrivalTimestamp: (BASE + i * 1_000) / 1000 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${SHARD}:${4_960_000_000n + BigInt(i)}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/r',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clickstream',
    })),
  };
}

/** `records` data-quality totals by `outcome/reason`, from DynamoDB. */
async function quality(): Promise<Record<string, number>> {
  const store = new DynamoMetricStore(new DynamoDBClient({ region: 'us-east-1' }), env.METRICS_TABLE!);
  const rows = await runQuery({ metric: 'records', fromMs: BASE - 3_600_000, toMs: BASE + 3_600_000, by: ['outcome', 'reason'] }, { kind: 'dynamodb', store });
  return Object.fromEntries(rows.filter((r) => r.value !== 0).map((r) => [`${r.dims.outcome}/${r.dims.reason}`, r.value as number]));
}

describe('stream-metrics bad-records', () => {
  it('lists the rejected records and replays them after a fix, as a user runs it', async () => {
    // Prepare: the worker with a 60 s lateness rejects the late events.
    const strict = loadConfig({ ...env, ALLOWED_LATENESS_SECONDS: '60' });
    const ws = createSinks(strict, 'clickstream');
    const worker = createWorker('clickstream', { config: strict, sinks: ws.sinks, dedupeStore: ws.dedupeStore });
    expect((await worker.handle(batch())).batchItemFailures).toEqual([]);

    // Act
    const [listJson, listTable] = await Promise.all([run(['bad-records', 'list', '--format', 'json'], env), run(['bad-records', 'list', '--reason', 'too_late'], env)]);
    const replay = await run(['bad-records', 'replay'], env);
    const afterReplay = await run(['bad-records', 'list', '--format', 'json'], env);
    const all = await run(['bad-records', 'list', '--all', '--limit', '2'], env);
    const replayAgain = await run(['bad-records', 'replay', '--format', 'json'], env);

    // Assert
    expect(listJson.stderr).toBe('');
    expect(listJson.code).toBe(0);
    const listed = JSON.parse(listJson.stdout) as Record<string, unknown>[];
    expect(listed.map((r) => [r.reason, r.sequenceNumber, r.subSequence, r.arrivedAt])).toEqual([
      ['too_late', '4960000000', 0, new Date(BASE).toISOString()],
      ['too_late', '4960000003', 0, new Date(BASE + 3_000).toISOString()],
      ['too_late', '4960000006', 0, new Date(BASE + 6_000).toISOString()],
      ['invalid_json', '4960000009', 0, new Date(BASE + 9_000).toISOString()],
    ]);
    expect(listed[3]).toMatchObject({ stream: 'clickstream', streamName: 'clickstream', shardId: SHARD, arrivalMs: BASE + 9_000, rawBase64: Buffer.from('{"eventId": "cut off').toString('base64'), replays: 0 });
    expect(listTable.code).toBe(0);
    expect(listTable.stdout.split('\n').filter(Boolean)).toHaveLength(6);
    expect(listTable.stdout).toContain(`${new Date(BASE + 3_000).toISOString()}  clickstream/${SHARD}  4960000003  too_late: occurredAt: 300000 ms before arrival`);
    expect(listTable.stdout).toContain('    {"eventId":"cli-3","type":"page_view"');
    expect(replay).toEqual({ code: 0, stdout: 'replayed 4 bad records: 3 counted, 0 filtered, 0 duplicate, 1 still rejected\n', stderr: '' });
    expect((JSON.parse(afterReplay.stdout) as Record<string, unknown>[]).map((r) => [r.reason, r.replays])).toEqual([['invalid_json', 1]]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('[replayed 20');
    expect(all.stdout).toContain('(first 2; --limit N shows more)');
    expect(replayAgain).toEqual({ code: 0, stdout: '{"replayed":1,"counted":0,"filtered":0,"duplicate":0,"rejected":1}\n', stderr: '' });
    expect(await quality()).toEqual({ 'counted/-': 9, 'rejected/invalid_json': 1 });
    const redshift = await runQuery(
      { metric: 'page_views', fromMs: BASE - 3_600_000, toMs: BASE + 3_600_000, by: [] },
      { kind: 'redshift', api: new DataApi(new RedshiftDataClient({ region: 'us-east-1' }), { database: 'dev', workgroupName: 'local' }) },
    );
    expect(redshift.map((r) => r.value)).toEqual([9]);
  });

  it('answers usage mistakes with one line and exit code 2', async () => {
    // Act
    const [unknown, none, badLimit, badFormat] = await Promise.all([
      run(['bad-records', 'purge'], env),
      run(['bad-records'], env),
      run(['bad-records', 'list', '--limit', '0'], env),
      run(['bad-records', 'list', '--format', 'xml'], env),
    ]);

    // Assert
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(
      'stream-metrics: unknown bad-records subcommand "purge"; usage: stream-metrics bad-records list|replay [--stream NAME] [--reason CODE] [--limit N] [--format table|json] [--all]\n',
    );
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(badLimit).toMatchObject({ code: 2, stderr: 'stream-metrics: --limit needs a positive integer, got "0"\n' });
    expect(badFormat).toMatchObject({ code: 2, stderr: 'stream-metrics: --format must be table or json\n' });
  });
});
