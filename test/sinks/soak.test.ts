/**
 * The randomized soak of issue 3 (seeded, bounded in time): the real sinks — DynamoDB
 * (dynalite and DynamoDB Local), the Redshift mirror through the local Data API and the
 * cleaned events through the local Firehose, both on PostgreSQL — driven the way Lambda's
 * event source mapping drives them (random batch sizes, partial-batch retries, bisection
 * after crashes), with throttling storms injected as SDK middleware and crashes between
 * sink writes, plus producer duplicates across batches and shards. At the end, DynamoDB and
 * Redshift must both equal the reference computed once over the same input.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDedupeStore } from '../../src/dedupe/memory-dedupe-store.ts';
import { startFirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { createPostgresBackend, type SqlBackend } from '../../src/local/sql-backend.ts';
import { METRICS } from '../../src/metrics/catalog.ts';
import type { Sinks } from '../../src/pipeline/emit.ts';
import { runQuery } from '../../src/query/run-query.ts';
import { injectThrottling } from '../../src/sinks/create-sinks.ts';
import { DynamoBadRecordStore } from '../../src/sinks/dynamodb/bad-record-store.ts';
import { DynamoDedupeStore } from '../../src/sinks/dynamodb/dedupe-store.ts';
import { DynamoMetricStore } from '../../src/sinks/dynamodb/metric-store.ts';
import { ensureTables } from '../../src/sinks/dynamodb/tables.ts';
import { deliveryStreamConfig, FirehoseEventSink, toEventRow } from '../../src/sinks/firehose-sink.ts';
import { DataApi } from '../../src/sinks/redshift/data-api.ts';
import { RedshiftMetricMirror } from '../../src/sinks/redshift/metric-mirror.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import { classifyOnce, REF_OPTIONS, referenceCells, referenceQuery } from '../support/reference.ts';
import { buildScenario, rng, runLikeLambda } from '../support/scenario.ts';
import { BACKENDS, startBackend, type Backend } from './dynamodb/backends.ts';

const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START = Date.now() - 10 * 60_000;
const CREDS = { accessKeyId: 'x', secretAccessKey: 'x' };
const TABLES = { metrics: 'soak-metrics', dedupe: 'soak-dedupe', badRecords: 'soak-bad' };

describe.each(BACKENDS)('soak on %s + PostgreSQL', (backendName) => {
  let backend: Backend;
  let sql: SqlBackend;
  let dataServer: Awaited<ReturnType<typeof startRedshiftDataServer>>;
  let firehoseServer: Awaited<ReturnType<typeof startFirehoseServer>>;
  const schema = `soak_${backendName.replace(/-/g, '_')}_${process.pid}`;

  beforeAll(async () => {
    backend = await startBackend(backendName);
    sql = await createPostgresBackend(PG_URL, { schema });
    dataServer = await startRedshiftDataServer({ backend: sql });
    firehoseServer = await startFirehoseServer({ backend: sql, flushIntervalMs: 200 });
  });
  afterAll(async () => {
    await firehoseServer?.close();
    await dataServer?.close();
    await sql?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await sql?.close();
    await backend?.stop();
  });

  it('DynamoDB and Redshift equal the reference after throttling storms, crashes and duplicates', async () => {
    // Prepare
    const seed = Number(process.env.SOAK_SEED ?? 20261123);
    const records = buildScenario({ seed, records: Number(process.env.SOAK_RECORDS ?? 1200), shards: 3, startMs: START });
    const reference = referenceCells(classifyOnce(records));
    const random = rng(seed);
    const ddb = new DynamoDBClient({ endpoint: backend.endpoint, region: 'us-east-1', credentials: CREDS, maxAttempts: 1 });
    await ensureTables(ddb, TABLES);
    const plainDataApi = new DataApi(new RedshiftDataClient({ endpoint: dataServer.url, region: 'us-east-1', credentials: CREDS }), { database: 'dev' });
    await migrate((s) => plainDataApi.execute(s), 'postgres');
    const firehoseClient = new FirehoseClient({ endpoint: firehoseServer.url, region: 'us-east-1', credentials: CREDS, maxAttempts: 1 });
    for (const stream of ['clickstream', 'transactions'] as const) await firehoseClient.send(new CreateDeliveryStreamCommand(deliveryStreamConfig(stream, `soak-${stream}`, { database: 'dev' })));
    const redshiftClient = new RedshiftDataClient({ endpoint: dataServer.url, region: 'us-east-1', credentials: CREDS, maxAttempts: 1 });
    // Throttling storms: a fifth of all calls to every service is answered with throttling.
    for (const c of [ddb, firehoseClient, redshiftClient]) injectThrottling(c as never, 0.2, random);
    const retry = { attempts: 4, baseMs: 1, capMs: 5 };
    const metrics = new DynamoMetricStore(ddb, TABLES.metrics, { retry });
    const dataApi = new DataApi(redshiftClient, { database: 'dev' }, { retry, pollMs: 5 });
    const sinks: Sinks = {
      badRecords: new DynamoBadRecordStore(ddb, TABLES.badRecords, { retry }),
      metrics,
      mirror: new RedshiftMetricMirror(dataApi, 'postgres', { retry }),
      events: new FirehoseEventSink(firehoseClient, { clickstream: 'soak-clickstream', transactions: 'soak-transactions' }, { retry }),
      toEventRow,
    };
    // As deployed: transactional claims where `up` runs them (dynalite), one put per claim
    // where AWS runs them by default (DynamoDB Local stands in for AWS).
    const dedupe = new DynamoDedupeStore(ddb, TABLES.dedupe, REF_OPTIONS.horizonsMs, { retry, writes: backendName === 'dynalite' ? 'transact' : 'single' });
    const deadline = Date.now() + 150_000;
    // Act
    const { invocations } = await runLikeLambda(records, sinks, { clickstream: dedupe, transactions: dedupe }, { crash: 0.04, random, maxBatch: 80 });
    // Assert
    expect(Date.now()).toBeLessThan(deadline);
    expect(invocations).toBeGreaterThan(30);
    const range = { fromMs: START - 40 * 86_400_000, toMs: START + 86_400_000 };
    const reader = { kind: 'dynamodb' as const, store: new DynamoMetricStore(new DynamoDBClient({ endpoint: backend.endpoint, region: 'us-east-1', credentials: CREDS }), TABLES.metrics) };
    const redshift = { kind: 'redshift' as const, api: plainDataApi };
    for (const m of METRICS) {
      for (const combo of m.combos) {
        const req = { metric: m.name, ...range, by: [...combo] };
        const want = referenceQuery(reference, req);
        expect(await runQuery(req, reader), `dynamodb ${m.name} by ${combo.join(',')}`).toEqual(want);
        expect(await runQuery(req, redshift), `redshift ${m.name} by ${combo.join(',')}`).toEqual(want);
      }
    }
    // Every counted record reached its Redshift table, at least once, and exactly once by key.
    await firehoseServer.flush();
    const counted = classifyOnce(records).filter((r) => r.outcome === 'counted');
    const clicks = await plainDataApi.execute('SELECT count(DISTINCT event_id) FROM clickstream_events');
    const txs = await plainDataApi.execute('SELECT count(*) FROM transactions_unique');
    expect(Number(clicks.rows[0]![0])).toBe(counted.filter((r) => r.clean?.kind === 'clickstream').length);
    expect(Number(txs.rows[0]![0])).toBe(counted.filter((r) => r.clean?.kind === 'transactions').length);
  }, 240_000);
});
