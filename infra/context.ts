/**
 * The deployment choices that differ between accounts and stages, read from CDK context
 * (`-c key=value` on the command line, or `cdk.json`). Everything that must be the same
 * locally and on AWS (batch size, retries, table names…) is NOT here: it comes from
 * `src/settings.ts`. Context is read once, validated, and a bad value stops synth with a
 * message that names it (`ConfigError`), like the workers' own configuration.
 */
import { ConfigError } from '../src/errors.ts';
import { RESOURCE_NAMES } from '../src/settings.ts';

/** Where the Redshift side lives. */
export type RedshiftChoice =
  | {
      /** a Redshift Serverless namespace + workgroup created by the stack */
      kind: 'serverless';
      /** base capacity of the workgroup, in RPUs */
      baseCapacityRpu: number;
      /** the Firehose CIDR allowed to reach the workgroup on 5439; default: by region (mapping) */
      firehoseCidr?: string;
    }
  | {
      /** an existing Serverless workgroup or provisioned cluster */
      kind: 'existing';
      workgroupName?: string;
      /** `arn:aws:redshift-serverless:…:workgroup/<id>` (IAM needs the id, not the name) */
      workgroupArn?: string;
      clusterId?: string;
      /** secret with `username` and `password` keys */
      secretArn: string;
      /** `jdbc:redshift://<endpoint>:5439/<db>` for Firehose's COPY */
      jdbcUrl: string;
    };

export interface DeployContext {
  /** `prod` turns on deletion protection and RETAIN */
  stage: string;
  production: boolean;
  /** prefix of every physical name (default: none in prod, `<stage>-` otherwise) */
  namePrefix: string;
  /** shards per stream, or on-demand capacity */
  streams: { mode: 'provisioned'; shardCount: number } | { mode: 'on-demand' };
  database: string;
  redshift: RedshiftChoice;
  /** e-mail subscribed to the alarm topic, if any */
  alarmEmail?: string;
}

/** Reads one context value as a trimmed string (CLI context values are always strings). */
type Lookup = (key: string) => unknown;

function str(get: Lookup, key: string): string | undefined {
  const v = get(key);
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

function int(get: Lookup, key: string, def: number, min: number, max: number): number {
  const s = str(get, key);
  if (s === undefined) return def;
  if (!/^\d+$/.test(s)) throw new ConfigError(key, `must be an integer (got ${JSON.stringify(s)})`);
  const n = Number(s);
  if (n < min || n > max) throw new ConfigError(key, `must be between ${min} and ${max} (got ${n})`);
  return n;
}

/**
 * Validates the deployment context. `get` is `app.node.tryGetContext` (or a map in tests).
 *
 * Keys: `stage` (default `dev`), `namePrefix`, `shards` (a number, or `on-demand`; default 1),
 * `redshift` (`serverless`, default, or `existing` with `redshiftWorkgroupName` +
 * `redshiftWorkgroupArn` or `redshiftClusterId`, and `redshiftSecretArn`, `redshiftJdbcUrl`),
 * `redshiftBaseCapacity` (RPUs, default 8), `firehoseCidr`, `redshiftDatabase`, `alarmEmail`.
 *
 * @example
 * const ctx = readDeployContext((k) => app.node.tryGetContext(k));
 * readDeployContext((k) => ({ stage: 'prod', shards: '4' })[k]); // → production, 4 shards per stream
 */
export function readDeployContext(get: Lookup): DeployContext {
  const stage = str(get, 'stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) throw new ConfigError('stage', `must be 1-20 lower-case letters, digits or '-' (got ${JSON.stringify(stage)})`);
  const production = stage === 'prod';
  const prefixRaw = str(get, 'namePrefix');
  const namePrefix = prefixRaw ?? (production ? '' : `${stage}-`);
  if (!/^[a-z0-9-]{0,24}$/.test(namePrefix)) throw new ConfigError('namePrefix', `must be at most 24 lower-case letters, digits or '-' (got ${JSON.stringify(namePrefix)})`);

  const shards = str(get, 'shards');
  const streams: DeployContext['streams'] =
    shards === 'on-demand' ? { mode: 'on-demand' } : { mode: 'provisioned', shardCount: int(get, 'shards', 1, 1, 500) };

  const database = str(get, 'redshiftDatabase') ?? RESOURCE_NAMES.redshiftDatabase;
  if (!/^[a-z_][a-z0-9_]{0,63}$/.test(database)) throw new ConfigError('redshiftDatabase', `must be a lower-case identifier (got ${JSON.stringify(database)})`);

  const kind = str(get, 'redshift') ?? 'serverless';
  let redshift: RedshiftChoice;
  if (kind === 'serverless') {
    const firehoseCidr = str(get, 'firehoseCidr');
    if (firehoseCidr !== undefined && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(firehoseCidr)) throw new ConfigError('firehoseCidr', `must be an IPv4 CIDR (got ${JSON.stringify(firehoseCidr)})`);
    redshift = { kind, baseCapacityRpu: int(get, 'redshiftBaseCapacity', 8, 4, 1024), ...(firehoseCidr ? { firehoseCidr } : {}) };
  } else if (kind === 'existing') {
    const workgroupName = str(get, 'redshiftWorkgroupName');
    const workgroupArn = str(get, 'redshiftWorkgroupArn');
    const clusterId = str(get, 'redshiftClusterId');
    if (!clusterId && !(workgroupName && workgroupArn)) {
      throw new ConfigError('redshift', 'existing needs redshiftClusterId, or redshiftWorkgroupName and redshiftWorkgroupArn');
    }
    if (clusterId && workgroupName) throw new ConfigError('redshift', 'give redshiftClusterId or redshiftWorkgroupName, not both');
    if (workgroupArn && !/^arn:aws[a-z-]*:redshift-serverless:[a-z0-9-]+:\d{12}:workgroup\/[0-9a-f-]+$/.test(workgroupArn)) {
      throw new ConfigError('redshiftWorkgroupArn', `must be a Redshift Serverless workgroup ARN (got ${JSON.stringify(workgroupArn)})`);
    }
    const secretArn = str(get, 'redshiftSecretArn');
    if (!secretArn || !/^arn:aws[a-z-]*:secretsmanager:/.test(secretArn)) throw new ConfigError('redshiftSecretArn', `must be a Secrets Manager secret ARN (got ${JSON.stringify(secretArn)})`);
    const jdbcUrl = str(get, 'redshiftJdbcUrl');
    if (!jdbcUrl || !/^jdbc:redshift:\/\/[^/]+\/[^/]+$/.test(jdbcUrl)) throw new ConfigError('redshiftJdbcUrl', `must read jdbc:redshift://<host>:<port>/<database> (got ${JSON.stringify(jdbcUrl)})`);
    redshift = {
      kind,
      secretArn,
      jdbcUrl,
      ...(workgroupName ? { workgroupName } : {}),
      ...(workgroupArn ? { workgroupArn } : {}),
      ...(clusterId ? { clusterId } : {}),
    };
  } else {
    throw new ConfigError('redshift', `must be serverless or existing (got ${JSON.stringify(kind)})`);
  }

  const alarmEmail = str(get, 'alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) throw new ConfigError('alarmEmail', `must be an e-mail address (got ${JSON.stringify(alarmEmail)})`);

  return { stage, production, namePrefix, streams, database, redshift, ...(alarmEmail ? { alarmEmail } : {}) };
}
