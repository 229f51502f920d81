/**
 * Least privilege, derived from the code rather than from a hand list: the real sinks the
 * Lambda handlers build (`createSinks` + `createWorker`, as `handlers/*.ts` wire them), with
 * the environment the stack gives each function, run against the local parts (dynalite, the
 * local Firehose and Redshift Data API over PGlite) on batches with good, duplicate, late and
 * bad records (one too large for one item) and Lambda's retries of whole batches. An SDK
 * middleware records every command; each command's IAM (action, resource) pairs must be
 * allowed by the synthesized policy of that function's role, and the role must grant no
 * data access the code did not use. The migrations custom resource is checked the same way.
 */
import type { Server } from 'node:http';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { CloudFormationCustomResourceEvent, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createClickstreamGenerator, createTransactionGenerator } from '../../src/generate/index.ts';
import { createLocalDynamo } from '../../src/local/dynamodb/server.ts';
import { startFirehoseServer, type FirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { createPgliteBackend, type SqlBackend } from '../../src/local/sql-backend.ts';
import { createClient } from '../../src/sinks/clients.ts';
import { createSinks } from '../../src/sinks/create-sinks.ts';
import { ensureTables } from '../../src/sinks/dynamodb/tables.ts';
import { deliveryStreamConfig } from '../../src/sinks/firehose-sink.ts';
import { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import type { StreamKind } from '../../src/types.ts';
import { createWorker } from '../../src/worker.ts';
import { applyMigrations } from '../functions/apply-migrations.ts';
import { needsOfAll, physicalValue, recordCommands, rolePolicy, type Need, type SentCommand } from './iam-calls.ts';
import { logicalId, removeTempDirs, resources, synth, type Synthesized } from './support.ts';

const STREAMS = ['clickstream', 'transactions'] as const;
const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };
/** What the Lambda service itself does with a function's role (logs, the event source mapping, its on-failure queue), not the code. */
const RUNTIME_ACTIONS = /^(logs|kinesis|sqs):/;

/** A Kinesis event of one shard, as the event source mapping sends it. */
function kinesisEvent(streamName: string, shardId: string, records: { partitionKey: string; data: string }[], firstIndex: number): KinesisStreamEvent {
  return {
    Records: records.map((r, i) => {
      const sequenceNumber = `4959${String(firstIndex + i + 1).padStart(52, '0')}`;
      return {
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/worker',
        awsRegion: 'us-east-1',
        eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${streamName}`,
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey: r.partitionKey, sequenceNumber, data: Buffer.from(r.data).toString('base64'), approximateArrivalTimestamp: Date.now() / 1000 },
      };
    }),
  };
}

/**
 * The invocations of one shard: three batches of generated records (producer duplicates
 * across batches, bad and late records, and one bad record whose raw data needs two items),
 * then Lambda's retries of the first two batches.
 */
function invocations(stream: StreamKind, streamName: string, shardId: string, seed: number): KinesisStreamEvent[] {
  const options = { seed, startMs: Date.now() - 60_000, mix: { duplicate: 0.1, bad: 0.1, late: 0.05, bot: 0.05, test: 0.02 } };
  const gen = stream === 'clickstream' ? createClickstreamGenerator(options) : createTransactionGenerator(options);
  const records = Array.from({ length: 300 }, () => gen.next());
  records.splice(150, 0, { partitionKey: 'oversized', data: `{"not json${'x'.repeat(300_000)}`, kind: 'bad' });
  const batch = (from: number, to: number) => kinesisEvent(streamName, shardId, records.slice(from, to), from);
  return [batch(0, 100), batch(100, 200), batch(200, records.length), batch(0, 100), batch(100, 200)];
}

describe('least privilege: the calls the code makes against the synthesized policies', () => {
  let dev: Synthesized;
  let dynamo: Server;
  let sql: SqlBackend;
  let dataServer: RedshiftDataServer;
  let firehoseServer: FirehoseServer;
  const savedEnv: Record<string, string | undefined> = {};

  /** The environment the stack gives a worker, with the names its resources get. */
  function workerEnvironment(stream: StreamKind): Record<string, string> {
    const fn = resources(dev.template, 'AWS::Lambda::Function')[logicalId(dev.stack, dev.stack.functions[stream])]!;
    return Object.fromEntries(Object.entries(fn.Properties!.Environment.Variables as Record<string, unknown>).map(([k, v]) => [k, physicalValue(dev.template, v)]));
  }

  /** Runs a worker as `handlers/<stream>.ts` wires it, recording every command its clients send. */
  async function runWorker(stream: StreamKind, overrides: Record<string, string>, events: (streamName: string) => KinesisStreamEvent[]) {
    // Only what cannot be the same locally differs from the stack: the region Lambda sets
    // and the SQL dialect of the PostgreSQL stand-in.
    const env = { ...workerEnvironment(stream), AWS_REGION: 'us-east-1', REDSHIFT_DIALECT: 'postgres', ...overrides };
    const config = loadConfig(env);
    const { sinks, dedupeStore, clients } = createSinks(config, stream);
    const sent: SentCommand[] = [];
    recordCommands(clients.dynamodb, 'dynamodb', sent);
    recordCommands(clients.firehose, 'firehose', sent);
    recordCommands(clients.redshiftData, 'redshift-data', sent);
    const worker = createWorker(stream, { config, sinks, dedupeStore });
    const results = [];
    for (const event of events(config.streams[stream])) results.push(await worker.handle(event));
    for (const c of Object.values(clients)) c.destroy();
    return { sent, results };
  }

  beforeAll(async () => {
    // Prepare: the template; dynalite with the stack's tables; the local Firehose (with the
    // stack's delivery streams) and Data API (migrated) over one PGlite
    dev = synth();
    dynamo = createLocalDynamo();
    await new Promise<void>((r) => dynamo.listen(0, '127.0.0.1', r));
    const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as { port: number }).port}`;
    sql = await createPgliteBackend();
    dataServer = await startRedshiftDataServer({ backend: sql });
    firehoseServer = await startFirehoseServer({ backend: sql });
    const tables = dev.stack.tables;
    const tableName = (t: { node: { defaultChild?: unknown } }) => physicalValue(dev.template, { Ref: logicalId(dev.stack, t) });
    const ddb = createClient('dynamodb', { region: 'us-east-1', endpoint: dynamoUrl, credentials: CREDENTIALS });
    await ensureTables(ddb, { metrics: tableName(tables.metrics), dedupe: tableName(tables.dedupe), badRecords: tableName(tables.badRecords) });
    ddb.destroy();
    const setup = new DataApi(new RedshiftDataClient({ endpoint: dataServer.url, region: 'us-east-1', credentials: CREDENTIALS }), { database: 'dev' });
    await migrate((s) => setup.execute(s), 'postgres');
    const firehose = new FirehoseClient({ endpoint: firehoseServer.url, region: 'us-east-1', credentials: CREDENTIALS });
    for (const s of STREAMS) {
      const name = physicalValue(dev.template, { Ref: dev.stack.getLogicalId(dev.stack.deliveryStreams[s]) });
      await firehose.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(s, name, { database: 'dev' })));
    }
    firehose.destroy();
    // The sinks' clients take their endpoints from the standard variables, as on Lambda.
    const env = { AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl, AWS_ENDPOINT_URL_FIREHOSE: firehoseServer.url, AWS_ENDPOINT_URL_REDSHIFT_DATA: dataServer.url, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' };
    for (const [k, v] of Object.entries(env)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await firehoseServer?.close();
    await dataServer?.close();
    await sql?.close();
    await new Promise<void>((r) => (dynamo ? dynamo.close(() => r()) : r()));
    removeTempDirs();
  });

  for (const s of STREAMS) {
    it(`${s} worker: every call of its sinks is allowed by its role, and the role grants no data access the code does not use`, async () => {
      // Act
      const { sent, results } = await runWorker(s, {}, (name) => invocations(s, name, 'shardId-000000000000', 11));
      // Assert: every batch went through every sink
      expect(results).toEqual(results.map(() => ({ batchItemFailures: [] })));
      const needs = needsOfAll(sent);
      const policy = rolePolicy(dev.template, logicalId(dev.stack, dev.stack.functions[s].role!));
      expect(needs.filter((n) => !policy.allows(n))).toEqual([]);
      expect(policy.granted().filter((g) => !RUNTIME_ACTIONS.test(g.action))).toEqual(needs);
      // the paths this test is about were taken: bad records (read, then written), events, the mirror
      const commands = new Set(sent.map((c) => `${c.service}:${c.command}`));
      for (const c of ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'firehose:PutRecordBatch', 'redshift-data:BatchExecuteStatement']) expect(commands, c).toContain(c);
    });
  }

  it('clickstream worker with DEDUPE_WRITES=transact (the local stack\'s setting): its claims are still allowed', async () => {
    // Act
    const { sent, results } = await runWorker('clickstream', { DEDUPE_WRITES: 'transact' }, (name) => invocations('clickstream', name, 'shardId-000000000001', 12));
    // Assert
    expect(results).toEqual(results.map(() => ({ batchItemFailures: [] })));
    expect(sent.some((c) => c.command === 'TransactWriteItems')).toBe(true);
    const policy = rolePolicy(dev.template, logicalId(dev.stack, dev.stack.functions.clickstream.role!));
    expect(needsOfAll(sent).filter((n) => !policy.allows(n))).toEqual([]);
  });

  it('migrations custom resource: its Data API calls are allowed by its role, which grants nothing else but its logs', async () => {
    // Prepare: a fresh database behind a Data API of its own; the custom resource's
    // properties from the template (Dialect: the PostgreSQL stand-in's)
    const backend = await createPgliteBackend();
    const api = await startRedshiftDataServer({ backend });
    const client = new RedshiftDataClient({ endpoint: api.url, region: 'us-east-1', credentials: CREDENTIALS });
    const sent: SentCommand[] = [];
    recordCommands(client, 'redshift-data', sent);
    const [, cr] = Object.entries(resources(dev.template, 'Custom::RedshiftMigrations'))[0]!;
    const props = Object.fromEntries(Object.entries(cr.Properties as Record<string, unknown>).map(([k, v]) => [k, k === 'ServiceToken' ? 'token' : physicalValue(dev.template, v)]));
    const event = {
      RequestType: 'Create',
      ServiceToken: 'token',
      ResponseURL: 'http://127.0.0.1:9/unused',
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/StreamMetrics-dev/1',
      RequestId: 'req-1',
      LogicalResourceId: 'RedshiftMigrations',
      ResourceType: 'Custom::RedshiftMigrations',
      ResourceProperties: { ...props, Dialect: 'postgres' },
    } as unknown as CloudFormationCustomResourceEvent;
    try {
      // Act
      const out = await applyMigrations(event, { client, respond: async () => {}, log: () => {} });
      // Assert
      expect(out.Status).toBe('SUCCESS');
      const needs = needsOfAll(sent);
      const policy = rolePolicy(dev.template, logicalId(dev.stack, dev.stack.node.findChild('ApplyMigrationsRole')));
      expect(needs.filter((n: Need) => !policy.allows(n))).toEqual([]);
      expect(policy.granted().filter((g) => !g.action.startsWith('logs:'))).toEqual(needs);
    } finally {
      client.destroy();
      await api.close();
      await backend.close();
    }
  });
});
