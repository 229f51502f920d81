/**
 * The local stack as separate processes, for `docker-compose.yml` (one container each):
 *
 *   stream-metrics serve kinesis   [--port 4567] [--host H] [--data-dir D]   kinesalite
 *   stream-metrics serve dynamodb  [--port 4568] [--host H] [--data-dir D]   dynalite + TransactWriteItems
 *   stream-metrics serve endpoints [--firehose-port 4569] [--redshift-data-port 4570] [--pg-url URL] [--host H]
 *   stream-metrics worker --stream clickstream|transactions [--shards N] [--data-dir D]
 *
 * `worker` provisions what it needs (idempotently) and runs one stream's poller with the
 * real handler; endpoints come from the standard `AWS_ENDPOINT_URL_*` variables.
 */
import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { UsageError } from '../errors.ts';
import { RESOURCE_NAMES } from '../settings.ts';
import type { StreamKind } from '../types.ts';
import { createClient } from '../sinks/clients.ts';
import { DataApi } from '../sinks/redshift/data-api.ts';
import { createLocalDynamo } from './dynamodb/server.ts';
import { startFirehoseServer } from './firehose/server.ts';
import { DynamoCheckpointStore } from './poller/checkpoint-store.ts';
import { FileFailureDestination } from './poller/on-failure.ts';
import { createKinesisClient } from './producer.ts';
import { startRedshiftDataServer } from './redshift-data/server.ts';
import { createPgliteBackend, createPostgresBackend } from './sql-backend.ts';
import { createPoller, listen, provision } from './stack.ts';
import { installKinesalitePatches } from './kinesalite-sequence.ts';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Default ports, shared with `up --port-base 4567` and docker-compose.yml. */
export const DEFAULT_PORTS = { kinesis: 4567, dynamodb: 4568, firehose: 4569, redshiftData: 4570 } as const;

function port(name: string, value: string | undefined, def: number): number {
  const n = value === undefined ? def : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new UsageError(`${name} needs a port number, got "${value}"`);
  return n;
}

function onSignals(stop: () => Promise<void>): void {
  const handler = () => void stop().then(() => process.exit(0));
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** Parses `serve` flags; throws a UsageError for an unknown part. */
export function parseServeArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'pg-url': { type: 'string' },
      'firehose-port': { type: 'string' },
      'redshift-data-port': { type: 'string' },
    },
  });
  const what = positionals[0];
  if (what !== 'kinesis' && what !== 'dynamodb' && what !== 'endpoints') throw new UsageError('usage: stream-metrics serve kinesis|dynamodb|endpoints [--port N] [--host H] [--data-dir D] [--pg-url URL]');
  return { values, what };
}

/** Parses `worker` flags. */
export function parseWorkerArgs(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { stream: { type: 'string' }, shards: { type: 'string', default: '2' }, 'data-dir': { type: 'string', default: '.data' } } });
  const stream = values.stream;
  if (stream !== 'clickstream' && stream !== 'transactions') throw new UsageError('--stream must be clickstream or transactions');
  const shards = Number(values.shards);
  if (!Number.isInteger(shards) || shards < 1) throw new UsageError('--shards needs a positive integer');
  return { stream: stream as StreamKind, shards, dataDir: values['data-dir']! };
}

/** `stream-metrics serve kinesis|dynamodb|endpoints`. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values, what } = parseServeArgs(argv);
  const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : undefined;
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  if (what === 'kinesis' || what === 'dynamodb') {
    if (what === 'kinesis') installKinesalitePatches();
    const server = (what === 'kinesis'
      ? require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100, ...(dataDir ? { path: dataDir } : {}) })
      : createLocalDynamo(dataDir ? { path: dataDir } : {})) as http.Server;
    const url = await listen(server, port('--port', values.port, DEFAULT_PORTS[what]), values.host);
    process.stdout.write(`${what} listening on ${url}\n`);
    onSignals(() => new Promise((r) => server.close(() => r())));
    await new Promise(() => {});
  }
  if (what === 'endpoints') {
    const backend = values['pg-url'] ? await createPostgresBackend(values['pg-url']) : await createPgliteBackend(dataDir ? { dataDir } : {});
    const firehose = await startFirehoseServer({ backend, host: values.host, port: port('--firehose-port', values['firehose-port'], DEFAULT_PORTS.firehose), maxFlushIntervalMs: 1_000 });
    const data = await startRedshiftDataServer({ backend, host: values.host, port: port('--redshift-data-port', values['redshift-data-port'], DEFAULT_PORTS.redshiftData) });
    process.stdout.write(`firehose listening on ${firehose.url}\nredshift data API listening on ${data.url}\n`);
    onSignals(async () => {
      await firehose.close();
      await data.close();
      await backend.close();
    });
    await new Promise(() => {});
  }
  return 2;
}

/** `stream-metrics worker --stream S`: one stream's poller and handler against the configured endpoints. */
export async function workerCommand(argv: string[]): Promise<number> {
  const { stream, shards, dataDir } = parseWorkerArgs(argv);
  const config = loadConfig();
  const kinesis = createKinesisClient({ region: config.region });
  const dynamodb = createClient('dynamodb', { region: config.region });
  const firehose = createClient('firehose', { region: config.region });
  const dataApi = new DataApi(createClient('redshiftData', { region: config.region }), config.redshift.target);
  // Containers start in any order: wait for the endpoints instead of failing at once.
  for (let attempt = 1; ; attempt++) {
    try {
      await provision({ kinesis, dynamodb, firehose, dataApi, shards, dialect: config.redshift.dialect });
      break;
    } catch (err) {
      if (attempt >= 60) throw err;
      process.stderr.write(`worker ${stream}: waiting for the endpoints (${(err as Error).message})\n`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const poller = createPoller(stream, {
    kinesis,
    checkpoints: new DynamoCheckpointStore(dynamodb, RESOURCE_NAMES.checkpointsTable),
    failures: new FileFailureDestination(path.join(dataDir, 'on-failure.jsonl')),
    root: ROOT,
    env,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  await poller.start();
  process.stdout.write(`worker ${stream}: polling ${RESOURCE_NAMES.streams[stream]}\n`);
  onSignals(() => poller.stop());
  await new Promise(() => {});
  return 0;
}
