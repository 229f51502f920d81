/**
 * The migrations custom resource, through its default path: the real `RedshiftDataClient`
 * (endpoint from `AWS_ENDPOINT_URL_REDSHIFT_DATA`) against the local Data API endpoint over
 * PGlite, and the real response PUT to a local HTTP server standing in for CloudFormation's
 * pre-signed S3 URL.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteBackend, type SqlBackend } from '../../src/local/sql-backend.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { MIGRATIONS } from '../../src/sinks/redshift/migrations.ts';
import { applyMigrations } from '../functions/apply-migrations.ts';

interface Received {
  method: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

describe('applyMigrations (custom resource)', () => {
  let backend: SqlBackend;
  let dataApi: RedshiftDataServer;
  let cfn: Server;
  let responseUrl: string;
  const received: Received[] = [];
  const saved = { ...process.env };

  const event = (type: 'Create' | 'Update' | 'Delete', props: Record<string, string> = {}): CloudFormationCustomResourceEvent =>
    ({
      RequestType: type,
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:apply',
      ResponseURL: `${responseUrl}/response?X-Amz-Signature=abc`,
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/StreamMetrics-dev/1',
      RequestId: `req-${type}`,
      LogicalResourceId: 'RedshiftMigrations',
      ResourceType: 'Custom::RedshiftMigrations',
      ...(type === 'Create' ? {} : { PhysicalResourceId: 'stream-metrics-redshift-schema' }),
      ResourceProperties: { ServiceToken: 'x', Database: 'dev', WorkgroupName: 'local', Dialect: 'postgres', MigrationsHash: 'h1', ...props },
    }) as CloudFormationCustomResourceEvent;

  beforeAll(async () => {
    // Prepare: PGlite behind the local Data API; a server that records CloudFormation responses
    backend = await createPgliteBackend();
    dataApi = await startRedshiftDataServer({ backend });
    cfn = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method, headers: req.headers, body: JSON.parse(body) });
        res.end();
      });
    });
    await new Promise<void>((r) => cfn.listen(0, '127.0.0.1', r));
    responseUrl = `http://127.0.0.1:${(cfn.address() as { port: number }).port}`;
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_ENDPOINT_URL_REDSHIFT_DATA: dataApi.url,
    });
  });

  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((r) => cfn?.close(() => r()));
    await dataApi?.close();
    await backend?.close?.();
  });

  it('Create applies every migration through the Data API and answers SUCCESS with a PUT', async () => {
    // Act
    const out = await applyMigrations(event('Create'), { log: () => {} });
    // Assert
    expect(out).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'stream-metrics-redshift-schema', Data: { Applied: MIGRATIONS.map((m) => m.id).join(',') } });
    const last = received.at(-1)!;
    expect(last.method).toBe('PUT');
    expect(last.headers['content-type']).toBeUndefined(); // pre-signed S3 URLs sign no content type
    expect(last.body).toMatchObject({ Status: 'SUCCESS', RequestId: 'req-Create', LogicalResourceId: 'RedshiftMigrations' });
    const tables = await backend.query("SELECT table_name FROM information_schema.tables WHERE table_name IN ('metric_counters', 'clickstream_events', 'transactions', 'schema_migrations') ORDER BY table_name");
    expect(tables.rows.map((r) => (Array.isArray(r) ? r[0] : (r as Record<string, unknown>).table_name))).toEqual(['clickstream_events', 'metric_counters', 'schema_migrations', 'transactions']);
  });

  it('Update after a re-deploy applies nothing new and keeps the physical id', async () => {
    // Act
    const out = await applyMigrations(event('Update', { MigrationsHash: 'h2' }), { log: () => {} });
    // Assert
    expect(out).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'stream-metrics-redshift-schema', Data: { Applied: '' } });
  });

  it('Delete keeps the tables and answers SUCCESS without touching Redshift', async () => {
    // Prepare
    const executed: string[] = [];
    // Act
    const out = await applyMigrations(event('Delete'), { exec: async (_t, sql) => executed.push(sql), log: () => {} });
    // Assert
    expect(out.Status).toBe('SUCCESS');
    expect(executed).toEqual([]);
    expect(received.at(-1)!.body).toMatchObject({ Status: 'SUCCESS', RequestId: 'req-Delete' });
  });

  it('a failing statement answers FAILED with the reason, still through the response URL', async () => {
    // Prepare
    const exec = async (_t: unknown, sql: string) => {
      if (sql.startsWith('CREATE TABLE IF NOT EXISTS schema_migrations')) throw new Error('permission denied for database dev');
      return { rows: [] };
    };
    // Act
    const out = await applyMigrations(event('Create'), { exec, log: () => {} });
    // Assert
    expect(out).toMatchObject({ Status: 'FAILED', Reason: 'permission denied for database dev' });
    expect(received.at(-1)!.body).toMatchObject({ Status: 'FAILED', Reason: 'permission denied for database dev' });
  });

  it('answers FAILED before the Lambda timeout when statements hang', async () => {
    // Prepare: a statement that never ends, 1 s of budget left after the safety margin
    const exec = () => new Promise<never>(() => {});
    // Act
    const out = await applyMigrations(event('Update'), { exec, remainingMs: () => 16_000, log: () => {} });
    // Assert
    expect(out.Status).toBe('FAILED');
    expect(out.Reason).toMatch(/still running/);
  });

  it('answers FAILED when the properties name no target', async () => {
    // Act
    const out = await applyMigrations(event('Create', { WorkgroupName: '' }), { log: () => {} });
    // Assert
    expect(out).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/WorkgroupName or ClusterIdentifier/) });
  });
});
