/**
 * Where the protocol tests of the local endpoints (`test/local/firehose/protocol.test.ts`,
 * `test/local/redshift-data/protocol.test.ts`) send their requests. Those tests use nothing
 * but the AWS SDK — no flush, fault or database hooks — so the same assertions can be made
 * against AWS:
 *
 * - by default: the local endpoint, once on each SQL backend (PGlite, PostgreSQL);
 * - `FIREHOSE_PROTOCOL_ENDPOINT=aws` (the SDK's endpoint for `AWS_REGION`) or a URL, with
 *   `FIREHOSE_PROTOCOL_ROLE_ARN`, `FIREHOSE_PROTOCOL_BUCKET_ARN`, `FIREHOSE_PROTOCOL_JDBC_URL`,
 *   `FIREHOSE_PROTOCOL_USERNAME` and `FIREHOSE_PROTOCOL_PASSWORD` (a role Firehose can
 *   assume, its staging bucket, a Redshift cluster and a user): Amazon Data Firehose;
 * - `REDSHIFT_DATA_PROTOCOL_ENDPOINT=aws` or a URL, with `REDSHIFT_DATA_PROTOCOL_DATABASE` and
 *   either `REDSHIFT_DATA_PROTOCOL_WORKGROUP` (Serverless) or `REDSHIFT_DATA_PROTOCOL_CLUSTER`
 *   plus `REDSHIFT_DATA_PROTOCOL_SECRET_ARN` or `REDSHIFT_DATA_PROTOCOL_DB_USER`: the Redshift
 *   Data API.
 * AWS credentials then come from the SDK's default chain. Names of streams and tables carry
 * a random suffix and are removed afterwards; on AWS each test may take minutes (delivery
 * streams are created and deleted asynchronously), hence each factory's `timeoutMs`.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startFirehoseServer } from '../../src/local/firehose/server.ts';
import { startRedshiftDataServer } from '../../src/local/redshift-data/server.ts';
import { BACKENDS, CREDENTIALS, REGION } from './redshift-data/support.ts';

export interface ProtocolTarget<C> {
  /** `local <backend>` or `aws` */
  name: string;
  aws: boolean;
  region: string;
  client: C;
  /** how long to wait between polls of an asynchronous state, ms */
  pollMs: number;
  close(): Promise<void>;
}

export interface FirehoseTarget extends ProtocolTarget<FirehoseClient> {
  /** what a Redshift destination needs besides its table */
  destination: { RoleARN: string; BucketARN: string; ClusterJDBCURL: string; Username: string; Password: string };
}

export interface RedshiftDataTarget extends ProtocolTarget<RedshiftDataClient> {
  /** the target members of every Execute/BatchExecute request */
  target: { Database: string; WorkgroupName?: string; ClusterIdentifier?: string; SecretArn?: string; DbUser?: string };
}

export interface TargetFactory<T> {
  name: string;
  /** how long one test may take there, ms */
  timeoutMs: number;
  open(): Promise<T>;
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new Error(`protocol tests against AWS need ${name}`);
  return v;
}

const awsRegion = (env: Env) => env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? REGION;

/** A random suffix for names, so runs against a shared account do not collide. */
export const RUN_ID = Math.random().toString(36).slice(2, 8);

/**
 * The Firehose endpoints to test: the local one on each backend, or the one the
 * environment names.
 *
 * @example
 * describe.each(firehoseTargets())('Firehose protocol on $name', ({ open }) => { … });
 */
export function firehoseTargets(env: Env = process.env): TargetFactory<FirehoseTarget>[] {
  const endpoint = env.FIREHOSE_PROTOCOL_ENDPOINT?.trim();
  if (endpoint) {
    return [
      {
        name: 'aws',
        timeoutMs: 900_000,
        async open() {
          const region = awsRegion(env);
          const destination = {
            RoleARN: required(env, 'FIREHOSE_PROTOCOL_ROLE_ARN'),
            BucketARN: required(env, 'FIREHOSE_PROTOCOL_BUCKET_ARN'),
            ClusterJDBCURL: required(env, 'FIREHOSE_PROTOCOL_JDBC_URL'),
            Username: required(env, 'FIREHOSE_PROTOCOL_USERNAME'),
            Password: required(env, 'FIREHOSE_PROTOCOL_PASSWORD'),
          };
          const client = new FirehoseClient({ region, ...(endpoint === 'aws' ? {} : { endpoint }) });
          return { name: 'aws', aws: true, region, client, destination, pollMs: 5_000, close: async () => client.destroy() };
        },
      },
    ];
  }
  return BACKENDS.map(({ name, open }) => ({
    name: `local ${name}`,
    timeoutMs: 60_000,
    async open() {
      const db = await open();
      const server = await startFirehoseServer({ backend: db.backend });
      const client = new FirehoseClient({ region: REGION, endpoint: server.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
      const destination = {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        BucketARN: 'arn:aws:s3:::staging',
        ClusterJDBCURL: 'jdbc:redshift://127.0.0.1:5439/dev',
        Username: 'loader',
        Password: 'Secret-123',
      };
      return {
        name: `local ${name}`,
        aws: false,
        region: REGION,
        client,
        destination,
        pollMs: 10,
        async close() {
          client.destroy();
          await server.close();
          await db.dispose();
        },
      };
    },
  }));
}

/**
 * The Redshift Data API endpoints to test: the local one on each backend, or the one the
 * environment names.
 *
 * @example
 * describe.each(redshiftDataTargets())('Data API protocol on $name', ({ open }) => { … });
 */
export function redshiftDataTargets(env: Env = process.env): TargetFactory<RedshiftDataTarget>[] {
  const endpoint = env.REDSHIFT_DATA_PROTOCOL_ENDPOINT?.trim();
  if (endpoint) {
    return [
      {
        name: 'aws',
        timeoutMs: 300_000,
        async open() {
          const region = awsRegion(env);
          const workgroup = env.REDSHIFT_DATA_PROTOCOL_WORKGROUP?.trim();
          const target = {
            Database: required(env, 'REDSHIFT_DATA_PROTOCOL_DATABASE'),
            ...(workgroup ? { WorkgroupName: workgroup } : { ClusterIdentifier: required(env, 'REDSHIFT_DATA_PROTOCOL_CLUSTER') }),
            ...(env.REDSHIFT_DATA_PROTOCOL_SECRET_ARN ? { SecretArn: env.REDSHIFT_DATA_PROTOCOL_SECRET_ARN } : {}),
            ...(env.REDSHIFT_DATA_PROTOCOL_DB_USER ? { DbUser: env.REDSHIFT_DATA_PROTOCOL_DB_USER } : {}),
          };
          const client = new RedshiftDataClient({ region, ...(endpoint === 'aws' ? {} : { endpoint }) });
          return { name: 'aws', aws: true, region, client, target, pollMs: 250, close: async () => client.destroy() };
        },
      },
    ];
  }
  return BACKENDS.map(({ name, open }) => ({
    name: `local ${name}`,
    timeoutMs: 60_000,
    async open() {
      const db = await open();
      const server = await startRedshiftDataServer({ backend: db.backend });
      const client = new RedshiftDataClient({ region: REGION, endpoint: server.url, credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
      return {
        name: `local ${name}`,
        aws: false,
        region: REGION,
        client,
        target: { Database: 'dev', WorkgroupName: 'local' },
        pollMs: 10,
        async close() {
          client.destroy();
          await server.close();
          await db.dispose();
        },
      };
    },
  }));
}
