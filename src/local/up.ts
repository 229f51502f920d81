/**
 * `stream-metrics up` (SPEC §7, §8): the whole system on a laptop in one process tree —
 * kinesalite, dynalite, the local Firehose and Redshift Data API endpoints on an embedded
 * PostgreSQL (or `--pg-url`), the two workers fed by Lambda-faithful pollers, and a
 * synthetic producer. Prints where everything listens when it is ready; SIGINT/SIGTERM
 * stops it cleanly; `--data-dir` keeps state across restarts.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseChaos } from '../chaos.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { FUNCTIONS, RESOURCE_NAMES } from '../settings.ts';
import { LogSink } from './log-sink.ts';
import { startStack, type Stack } from './stack.ts';

export interface UpOptions {
  producer: boolean;
  rate: number;
  dataDir?: string;
  pgUrl?: string;
  chaos: string;
  json: boolean;
  dashboard: boolean;
  portBase: number;
  shards: number;
}

/** Parses the flags of `up`. */
export function parseUpArgs(argv: string[]): UpOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      'no-producer': { type: 'boolean', default: false },
      rate: { type: 'string', default: '50' },
      'data-dir': { type: 'string' },
      'pg-url': { type: 'string' },
      chaos: { type: 'string', default: 'off' },
      json: { type: 'boolean', default: false },
      dashboard: { type: 'boolean', default: false },
      'port-base': { type: 'string', default: '4567' },
      shards: { type: 'string', default: '2' },
    },
  });
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate < 0) throw new UsageError(`--rate needs a number of records per second, got "${values.rate}"`);
  const portBase = Number(values['port-base']);
  if (!Number.isInteger(portBase) || portBase < 0 || portBase > 65_530) throw new UsageError(`--port-base needs a port number (0 = any free ports), got "${values['port-base']}"`);
  const shards = Number(values.shards);
  if (!Number.isInteger(shards) || shards < 1 || shards > 16) throw new UsageError(`--shards needs 1–16, got "${values.shards}"`);
  // A bad flag value is a usage error (exit 2), like any other bad flag.
  try {
    parseChaos(values.chaos);
  } catch (err) {
    throw err instanceof ConfigError ? new UsageError(err.message) : err;
  }
  if (values['pg-url'] && !/^postgres(ql)?:\/\//.test(values['pg-url'])) throw new UsageError(`--pg-url: "${values['pg-url']}" is not a postgres:// URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)`);
  return {
    producer: !values['no-producer'],
    rate,
    ...(values['data-dir'] ? { dataDir: path.resolve(values['data-dir']) } : {}),
    ...(values['pg-url'] ? { pgUrl: values['pg-url'] } : {}),
    chaos: values.chaos!,
    json: values.json!,
    dashboard: values.dashboard!,
    portBase,
    shards,
  };
}

async function portFree(port: number): Promise<boolean> {
  if (port === 0) return true;
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Claims a `--data-dir` for this process (`<dir>/up.pid`): two stacks on one directory would
 * share kinesalite's and dynalite's databases, which LevelDB refuses with a stack trace.
 * A file left by a process that is gone is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'up.pid');
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    let alive = false;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (alive) throw new ConfigError('--data-dir', `${dir} is in use by another "stream-metrics up" (pid ${pid}); stop it, or pass another --data-dir`);
    fs.rmSync(file, { force: true });
  }
}

/** The `up` command: runs until a signal arrives. */
export async function upCommand(argv: string[]): Promise<number> {
  const options = parseUpArgs(argv);
  const ports = [0, 1, 2, 3].map((i) => (options.portBase === 0 ? 0 : options.portBase + i));
  for (const p of ports) {
    if (!(await portFree(p))) throw new ConfigError('--port-base', `port ${p} is in use (another "stream-metrics up"?); stop it or pass --port-base 0 for any free ports`);
  }
  // Progress goes to stderr, so that with --json stdout carries nothing but the ready line.
  // Once the dashboard runs, log lines (the workers' one per batch, the pollers' failures)
  // go to a file in the data directory: in a terminal they would scroll through its frame,
  // and with stdout piped (`npm run local | cat`, a CI log) one JSON line per batch on
  // stderr would bury the status lines. The dashboard shows the latest problems and where
  // the file is; without a terminal, each problem is repeated on stderr as it happens.
  const releaseDataDir = options.dataDir ? lockDataDir(options.dataDir) : undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'stream-metrics-'));
  // A temporary directory goes with the stack, unless something worth reading is in it
  // (on-failure.jsonl: "stream-metrics failures list --data-dir" still works after the stop).
  const cleanUp = () => {
    releaseDataDir?.();
    if (!options.dataDir && !fs.existsSync(path.join(dataDir, 'on-failure.jsonl'))) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const logSink = options.dashboard
    ? new LogSink(path.join(dataDir, 'stream-metrics.log'), Date.now, process.stdout.isTTY ? undefined : (problem) => process.stderr.write(`stream-metrics: ${problem}\n`))
    : undefined;
  let toTerminal = true;
  const log = (line: string) => {
    if (toTerminal || !logSink) process.stderr.write(`${line}\n`);
    else logSink.write(line);
  };
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  let stack: Stack | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    toTerminal = true;
    log(`stream-metrics: ${signal}: stopping (finishing in-flight batches, saving checkpoints)…`);
    const force = setTimeout(() => {
      // A handler that hangs (--chaos timeout, or a real one) holds its batch up to the
      // function timeout: say why the stop was not clean. The batch is not checkpointed, so
      // the next start with the same --data-dir reads it again (exactly once all the same).
      log('stream-metrics: in-flight batches did not finish within 20 s (a handler hung?); exiting without them: they are read again on the next start with the same --data-dir');
      releaseDataDir?.();
      process.exit(1);
    }, 20_000);
    force.unref();
    await stack?.stop();
    await logSink?.close();
    if (!logSink) cleanUp();
    else releaseDataDir?.();
    log(`stream-metrics: stopped${logSink ? ` (log: ${logSink.path})` : ''}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const started = startStack({
    root,
    ports,
    dataDir,
    persistent: options.dataDir !== undefined,
    ...(options.pgUrl ? { pgUrl: options.pgUrl } : {}),
    chaos: options.chaos,
    shards: options.shards,
    functions: FUNCTIONS,
    log,
    ...(logSink ? { workerLog: logSink.write } : {}),
  });
  try {
    stack = await started;
  } catch (err) {
    cleanUp();
    throw err;
  }
  const ready = {
    ready: true,
    region: stack.region,
    endpoints: stack.endpoints,
    streams: { clickstream: RESOURCE_NAMES.streams.clickstream, transactions: RESOURCE_NAMES.streams.transactions },
  };
  if (options.json) process.stdout.write(`${JSON.stringify(ready)}\n`);
  else {
    process.stdout.write(
      [
        'stream-metrics is up.',
        `  kinesis        ${stack.endpoints.kinesis}`,
        `  dynamodb       ${stack.endpoints.dynamodb}`,
        `  firehose       ${stack.endpoints.firehose}`,
        `  redshift data  ${stack.endpoints.redshiftData}`,
        `  data dir       ${stack.dataDir}${options.dataDir ? '' : ' (temporary: pass --data-dir to keep state)'}`,
        '',
        'In another terminal:',
        `  export AWS_REGION=${stack.region} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
        `  export AWS_ENDPOINT_URL_KINESIS=${stack.endpoints.kinesis} AWS_ENDPOINT_URL_DYNAMODB=${stack.endpoints.dynamodb}`,
        `  export AWS_ENDPOINT_URL_FIREHOSE=${stack.endpoints.firehose} AWS_ENDPOINT_URL_REDSHIFT_DATA=${stack.endpoints.redshiftData}`,
        `  npx stream-metrics query page_views --from ${new Date(Date.now() - 3_600_000).toISOString().slice(0, 16)}Z --to ${new Date(Date.now() + 60_000).toISOString().slice(0, 16)}Z --grain 1m`,
        '',
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
  }
  if (options.producer) stack.startProducer(options.rate);
  if (options.dashboard) {
    if (!process.stdout.isTTY) log(`stream-metrics: one status line every 2 s on stdout; the workers' and pollers' log goes to ${logSink!.path} (problems are repeated here)`);
    toTerminal = false;
    stack.startDashboard(process.stdout, logSink);
  }
  await new Promise(() => {});
  return 0;
}
