/**
 * The `stream-metrics` command (SPEC §7). Each subcommand parses its flags with
 * `node:util`'s `parseArgs`; usage and configuration errors print one line that says what
 * to do, with exit code 2, never a stack trace.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { StreamMetricsError, UsageError } from '../errors.ts';
import { METRICS } from '../metrics/catalog.ts';
import { DERIVED_METRICS } from '../query/derived.ts';
import { GRAIN_MS, type Grain } from '../query/rollup.ts';
import { parseQueryTime } from '../query/time.ts';
import { formatRows, type Format } from './format.ts';

/** Each command's usage lines, for `stream-metrics help` and `stream-metrics COMMAND --help`. */
const USAGE: Record<string, string> = {
  up: `  stream-metrics up [--no-producer] [--rate N] [--data-dir DIR] [--pg-url URL] [--chaos SPEC] [--json] [--dashboard]
                    [--port-base N] [--shards N]
      starts the local stack (ports 4567–4570; --port-base 0 = any free ports); SIGINT/SIGTERM stop it`,
  produce: `  stream-metrics produce --stream clickstream|transactions (--file F.jsonl | --generate N) [--rate N] [--kpl N] [--seed N]
      writes records with PutRecords (--file: one record per line)`,
  query: `  stream-metrics query METRIC --from ISO --to ISO [--by DIM[,DIM]] [--grain 1m|5m|1h|1d] [--top N]
                       [--source dynamodb|redshift] [--format table|json|csv]`,
  metrics: `  stream-metrics metrics                     list the metric catalog`,
  'bad-records': `  stream-metrics bad-records list [--stream NAME] [--reason CODE] [--limit N] [--all] [--format table|json]
  stream-metrics bad-records replay [--stream NAME] [--reason CODE] [--format table|json]`,
  failures: `  stream-metrics failures list --data-dir DIR [--format table|json]   batches sent to the on-failure destination`,
  serve: `  stream-metrics serve kinesis|dynamodb|endpoints [--port N] [--host H] [--data-dir DIR] [--pg-url URL]   one part of the stack`,
  worker: `  stream-metrics worker --stream clickstream|transactions [--shards N] [--data-dir DIR]   one stream's poller + handler (endpoints from env)`,
};

const ENV_NOTE = `Endpoints and region come from the usual AWS variables (AWS_REGION, AWS_ENDPOINT_URL,
AWS_ENDPOINT_URL_<SERVICE>): 'up' prints them.`;

const HELP = `stream-metrics — real-time stream analytics workers

Usage:
${Object.values(USAGE).join('\n')}
  stream-metrics --version

${ENV_NOTE}`;

/** `COMMAND --help` / `-h` (before a `--`): that command's usage, exit 0, nothing run. */
function wantsHelp(rest: string[]): boolean {
  const end = rest.indexOf('--');
  return (end < 0 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

const QUERY_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  // Repeated --by flags add up: `--by currency --by country` is `--by currency,country`.
  by: { type: 'string', multiple: true },
  grain: { type: 'string' },
  top: { type: 'string' },
  source: { type: 'string', default: 'dynamodb' },
  format: { type: 'string', default: 'table' },
} as const;

const PRODUCE_OPTIONS = {
  stream: { type: 'string' },
  file: { type: 'string' },
  generate: { type: 'string' },
  rate: { type: 'string' },
  kpl: { type: 'string' },
  seed: { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const;

/**
 * Checks a command line's command and flags without running it (used by the test that
 * keeps docker-compose.yml honest). Throws like the command would.
 *
 * @example
 * await checkCommandLine(['worker', '--stream', 'clickstream']);
 */
export async function checkCommandLine(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const serve = await import('../local/serve.ts');
  switch (command) {
    case 'up':
      (await import('../local/up.ts')).parseUpArgs(rest);
      return;
    case 'produce':
      parseArgs({ args: rest, options: PRODUCE_OPTIONS });
      return;
    case 'query':
      parseArgs({ args: rest, allowPositionals: true, options: QUERY_OPTIONS });
      return;
    case 'serve':
      serve.parseServeArgs(rest);
      return;
    case 'worker':
      serve.parseWorkerArgs(rest);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

const recordCount = (n: number) => `${n} record${n === 1 ? '' : 's'}`;

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && Object.hasOwn(USAGE, command) && wantsHelp(rest)) {
      process.stdout.write(`Usage:\n${USAGE[command]}\n\n${ENV_NOTE}\n`);
      return 0;
    }
    switch (command) {
      case 'up':
        return await (await import('../local/up.ts')).upCommand(rest);
      case 'produce':
        return await produceCommand(rest);
      case 'serve':
        return await (await import('../local/serve.ts')).serveCommand(rest);
      case 'worker':
        return await (await import('../local/serve.ts')).workerCommand(rest);
      case 'query':
        return await queryCommand(rest);
      case 'metrics':
        if (rest.length > 0) throw new UsageError(`metrics takes no arguments, got "${rest.join(' ')}"`);
        const line = (name: string, kind: string, combos: readonly (readonly string[])[], description: string) =>
          process.stdout.write(`${name.padEnd(21)} ${kind.padEnd(8)} by ${combos.map((c) => (c.length ? c.join('×') : '(none)')).join(', ').padEnd(40)} ${description}\n`);
        for (const m of METRICS) line(m.name, m.kind, m.combos, m.description);
        for (const d of DERIVED_METRICS) line(d.name, 'derived', d.combos, `${d.description}; also: ${d.aliases.join(', ')}`);
        return 0;
      case 'bad-records':
        return await (await import('./bad-records.ts')).badRecordsCommand(rest);
      case 'failures':
        return await (await import('./failures.ts')).failuresCommand(rest);
      case 'version':
      case '--version':
      case '-v': {
        const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
        process.stdout.write(`stream-metrics ${pkg.version}\n`);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"; run "stream-metrics help"`);
    }
  } catch (err) {
    return reportError(err);
  }
}

/** Prints an error as one line (no stack for expected errors) and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof StreamMetricsError) {
    process.stderr.write(`stream-metrics: ${err.message}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || e?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    // `--rate -1`: parseArgs takes `-1` for a flag and asks, in three sentences, whether the
    // value was forgotten. Say it in the terms of the command line instead.
    const ambiguous = /^Option '(--[\w-]+)(?:, -\w)?' argument is ambiguous/.exec(String(e.message));
    if (ambiguous) {
      process.stderr.write(`stream-metrics: ${ambiguous[1]} has no value: the next argument starts with "-" and is read as a flag (write ${ambiguous[1]}=VALUE for a value that starts with "-"); run "stream-metrics help"\n`);
      return 2;
    }
    // parseArgs words some errors over several lines (`--top -1`): one line, as every error.
    process.stderr.write(`stream-metrics: ${String(e.message).replace(/\s*\n\s*/g, ' ')}; run "stream-metrics help"\n`);
    return 2;
  }
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(e?.message))) {
    process.stderr.write(`stream-metrics: cannot reach the endpoint (${e.message}); is "stream-metrics up" running, and are AWS_ENDPOINT_URL_* set to what it printed?\n`);
    return 1;
  }
  // The SDK's own words for a missing setup say nothing about the local stack: say what to do.
  const LOCAL_HINT = 'for the local stack, run the "export" lines that "stream-metrics up" prints';
  if (e?.name === 'CredentialsProviderError') {
    process.stderr.write(`stream-metrics: no AWS credentials found; ${LOCAL_HINT} (any credentials work there), or configure credentials for your AWS account (AWS_PROFILE, aws configure)\n`);
    return 1;
  }
  if (e?.code === 'ENOTFOUND' || /ENOTFOUND/.test(String(e?.message))) {
    const host = /ENOTFOUND (\S+)/.exec(String(e?.message))?.[1] ?? 'the endpoint';
    process.stderr.write(`stream-metrics: cannot resolve ${host} (no network, or AWS_ENDPOINT_URL_* not set to the local stack); ${LOCAL_HINT}\n`);
    return 1;
  }
  if (e?.name === 'ResourceNotFoundException') {
    process.stderr.write(`stream-metrics: ${e.message ?? 'resource not found'}; is the stack running ("stream-metrics up") or deployed ("npm run deploy"), and are AWS_REGION and AWS_ENDPOINT_URL_* set for it?\n`);
    return 1;
  }
  process.stderr.write(`stream-metrics: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}\n`);
  return 1;
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} needs a non-negative integer, got "${value}"`);
  return n;
}

function parseTime(name: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`${name} is required (an ISO time such as 2026-11-23T10:00:00Z)`);
  const ms = parseQueryTime(value);
  if (Number.isNaN(ms)) throw new UsageError(`${name}: "${value}" is not an ISO time (e.g. 2026-11-23T10:00:00Z)`);
  return ms;
}

async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: QUERY_OPTIONS });
  const metric = positionals[0];
  if (!metric) throw new UsageError('query needs a METRIC; run "stream-metrics metrics" for the list');
  if (positionals.length > 1) throw new UsageError(`query takes one METRIC, got also "${positionals.slice(1).join(' ')}"`);
  const fromMs = parseTime('--from', values.from);
  const toMs = parseTime('--to', values.to);
  if (toMs <= fromMs) throw new UsageError('--to must be after --from');
  if (values.grain !== undefined && !(values.grain in GRAIN_MS)) throw new UsageError(`--grain must be one of ${Object.keys(GRAIN_MS).join(', ')}`);
  if (!['dynamodb', 'redshift'].includes(values.source!)) throw new UsageError('--source must be dynamodb or redshift');
  if (!['table', 'json', 'csv'].includes(values.format!)) throw new UsageError('--format must be table, json or csv');
  const req = {
    metric,
    fromMs,
    toMs,
    by: (values.by ?? []).flatMap((b) => b.split(',')),
    ...(values.grain ? { grain: values.grain as Grain } : {}),
    ...(values.top !== undefined ? { top: positiveInt('--top', values.top)! } : {}),
  };
  // Validate the metric and dimensions before touching the network.
  const { runQuery, validateQuery } = await import('../query/run-query.ts');
  validateQuery(req);
  const config = loadConfig();
  const { createQuerySource } = await import('../sinks/query-source.ts');
  const source = createQuerySource(config, values.source as 'dynamodb' | 'redshift');
  const rows = await runQuery(req, source);
  process.stdout.write(formatRows(rows, values.format as Format));
  return 0;
}

async function produceCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: PRODUCE_OPTIONS });
  const stream = values.stream;
  if (stream !== 'clickstream' && stream !== 'transactions') throw new UsageError('--stream must be clickstream or transactions');
  if (!values.file === !values.generate) throw new UsageError('give exactly one of --file F.jsonl or --generate N');
  const rate = positiveInt('--rate', values.rate);
  const kpl = positiveInt('--kpl', values.kpl);
  const config = loadConfig();
  const { createKinesisClient, produce, MAX_RECORD_BYTES } = await import('../local/producer.ts');
  const kinesis = createKinesisClient({ region: config.region });
  const streamName = config.streams[stream];
  let records: AsyncIterable<{ partitionKey: string; data: string | Uint8Array; line?: number }>;
  if (values.file) {
    const stat = fs.statSync(values.file, { throwIfNoEntry: false });
    if (!stat) throw new UsageError(`--file: no such file "${values.file}"`);
    if (stat.isDirectory()) throw new UsageError(`--file: "${values.file}" is a directory, not a JSON Lines file`);
    records = (await import('./jsonl.ts')).fileRecords(values.file);
  } else {
    const n = positiveInt('--generate', values.generate)!;
    const gen = await import('../generate/index.ts');
    const g = stream === 'clickstream' ? gen.createClickstreamGenerator({ seed: positiveInt('--seed', values.seed) ?? Date.now() % 2 ** 31 }) : gen.createTransactionGenerator({ seed: positiveInt('--seed', values.seed) ?? Date.now() % 2 ** 31 });
    records = (async function* () {
      for (let i = 0; i < n; i++) {
        const r = g.next();
        yield { partitionKey: r.partitionKey, data: r.data };
      }
    })();
  }
  const progress = !values.quiet && process.stderr.isTTY;
  let tooLarge = 0;
  const sent = await produce(kinesis, streamName, records, {
    ...(rate ? { rate } : {}),
    ...(kpl ? { kplAggregate: kpl } : {}),
    onProgress: progress ? (n) => process.stderr.write(`\rproduced ${recordCount(n)} to ${streamName}`) : undefined,
    // Kinesis refuses a record over 1 MiB (and PutRecords the whole batch with it): that one
    // is not sent, said here, and the others go on.
    onTooLarge: (r, bytes) => {
      tooLarge++;
      const where = r.line !== undefined ? `line ${r.line}` : 'a record';
      process.stderr.write(`${progress ? '\n' : ''}stream-metrics: ${where} not sent: ${bytes} bytes, over Kinesis's limit of ${MAX_RECORD_BYTES} bytes per record\n`);
    },
  });
  if (progress) process.stderr.write('\n');
  process.stderr.write(`produced ${recordCount(sent)} to ${streamName}${tooLarge ? `; ${tooLarge} not sent (over 1 MiB)` : ''}\n`);
  kinesis.destroy();
  return tooLarge ? 1 : 0;
}
