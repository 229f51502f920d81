/**
 * CloudFormation custom resource (Lambda-backed, no provider framework) that applies the
 * Redshift schema migrations of `src/sinks/redshift/migrations.ts` through the Redshift
 * Data API: ExecuteStatement per statement, DescribeStatement polling (the `DataApi` client
 * the workers use). `migrate()` records what it applied in `schema_migrations`, so a
 * re-run (an Update after new migrations ship, a retried deployment) applies only what is
 * missing. Delete does nothing: dropping analysts' tables with a stack is never wanted.
 *
 * The function answers CloudFormation itself (a PUT of the result to the pre-signed
 * `ResponseURL`), always, also on failure and before its own timeout; otherwise the stack
 * would hang for an hour waiting.
 */
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { DataApi, type RedshiftTarget } from '../../src/sinks/redshift/data-api.ts';
import { migrate } from '../../src/sinks/redshift/migrations.ts';
import type { SqlDialect } from '../../src/sinks/redshift/sql-literal.ts';

/** The custom resource's properties (strings, as CloudFormation passes them). */
export interface MigrationProperties {
  Database: string;
  WorkgroupName?: string;
  ClusterIdentifier?: string;
  SecretArn?: string;
  /** `redshift` on AWS; `postgres` against the local stand-in */
  Dialect?: SqlDialect;
  /** changes when the migrations change, so CloudFormation sends an Update */
  MigrationsHash?: string;
}

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

export interface ApplyMigrationsDeps {
  /** runs one SQL statement and returns its rows (default: the Data API through `client`) */
  exec?: (target: RedshiftTarget, sql: string) => Promise<unknown>;
  /** the Data API client of the default `exec` (default: one per container, from the AWS_* variables) */
  client?: RedshiftDataClient;
  /** sends the response to CloudFormation (default: PUT to `ResponseURL`) */
  respond?: (url: string, body: CustomResourceResponse) => Promise<void>;
  /** how long we may work before we must answer, ms */
  remainingMs?: () => number;
  log?: (entry: Record<string, unknown>) => void;
}

const PHYSICAL_ID = 'stream-metrics-redshift-schema';

let containerClient: RedshiftDataClient | undefined;
const dataApis = new WeakMap<RedshiftDataClient, Map<string, DataApi>>();
function dataApiExec(client: RedshiftDataClient | undefined): (target: RedshiftTarget, sql: string) => Promise<unknown> {
  // One client per container and one DataApi per target; statements on a cold Serverless
  // workgroup can take minutes. Endpoint and region come from the standard AWS_* variables.
  return (target, sql) => {
    const c = client ?? (containerClient ??= new RedshiftDataClient({}));
    let byTarget = dataApis.get(c);
    if (!byTarget) dataApis.set(c, (byTarget = new Map()));
    const key = JSON.stringify(target);
    let api = byTarget.get(key);
    if (!api) {
      api = new DataApi(c, target, { timeoutMs: 10 * 60_000, maxPollMs: 2_000, retry: { attempts: 8 } });
      byTarget.set(key, api);
    }
    return api.execute(sql);
  };
}

async function defaultRespond(url: string, body: CustomResourceResponse): Promise<void> {
  // A Buffer body makes fetch send no Content-Type, which the pre-signed S3 URL requires.
  const res = await fetch(url, { method: 'PUT', body: Buffer.from(JSON.stringify(body)) });
  if (!res.ok) throw new Error(`response to CloudFormation failed: HTTP ${res.status}`);
}

/** Rejects after `ms`, so that we answer CloudFormation before Lambda kills us. */
function deadline(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`migrations still running after ${Math.round(ms / 1000)} s; re-deploy to continue (applied migrations are recorded)`)), ms).unref());
}

/**
 * Handles one custom resource event; resolves once CloudFormation has been answered.
 *
 * @example
 * await applyMigrations(event, { exec: (t, sql) => api.execute(sql), respond: async (_, b) => { seen = b; } });
 */
export async function applyMigrations(event: CloudFormationCustomResourceEvent, deps: ApplyMigrationsDeps = {}): Promise<CustomResourceResponse> {
  const log = deps.log ?? ((e) => console.log(JSON.stringify(e)));
  const respond = deps.respond ?? defaultRespond;
  const exec = deps.exec ?? dataApiExec(deps.client);
  const base = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    PhysicalResourceId: event.RequestType === 'Create' ? PHYSICAL_ID : event.PhysicalResourceId,
  };
  let body: CustomResourceResponse;
  try {
    if (event.RequestType === 'Delete') {
      body = { ...base, Status: 'SUCCESS' };
    } else {
      const p = event.ResourceProperties as unknown as MigrationProperties & { ServiceToken: string };
      if (!p.Database || (!p.WorkgroupName && !p.ClusterIdentifier)) throw new Error('properties need Database and WorkgroupName or ClusterIdentifier');
      const target: RedshiftTarget = {
        database: p.Database,
        ...(p.WorkgroupName ? { workgroupName: p.WorkgroupName } : {}),
        ...(p.ClusterIdentifier ? { clusterIdentifier: p.ClusterIdentifier } : {}),
        ...(p.SecretArn ? { secretArn: p.SecretArn } : {}),
      };
      const budget = Math.max(1_000, (deps.remainingMs?.() ?? 14 * 60_000) - 15_000);
      const applied = await Promise.race([migrate((sql) => exec(target, sql), p.Dialect ?? 'redshift'), deadline(budget)]);
      log({ level: 'info', message: 'migrations applied', applied });
      body = { ...base, Status: 'SUCCESS', Data: { Applied: applied.join(',') } };
    }
  } catch (err) {
    const reason = String((err as Error)?.message ?? err).slice(0, 1_000);
    log({ level: 'error', message: 'migrations failed', error: reason });
    body = { ...base, Status: 'FAILED', Reason: reason };
  }
  await respond(event.ResponseURL, body);
  return body;
}

/** Lambda entry point. */
export const handler = async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
  await applyMigrations(event, { remainingMs: () => context.getRemainingTimeInMillis() });
};
