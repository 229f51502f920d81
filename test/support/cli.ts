/**
 * Drives the real `stream-metrics` command in tests: `up` as a child process (its own
 * process group, so kill -9 takes the whole tree), and one-shot commands with the
 * environment its ready line implies.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/stream-metrics.js');

export interface Ready {
  ready: true;
  region: string;
  endpoints: { kinesis: string; dynamodb: string; firehose: string; redshiftData: string };
  streams: { clickstream: string; transactions: string };
}

export interface Up {
  child: ChildProcess;
  ready: Ready;
  env: NodeJS.ProcessEnv;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `stream-metrics up --json` with extra flags; resolves at the ready line. */
export function startUp(flags: string[], timeoutMs = 120_000): Promise<Up> {
  const child = spawn(process.execPath, [BIN, 'up', '--json', '--port-base', '0', ...flags], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in ${timeoutMs} ms: ${output.slice(-10).join('\n')}`)), timeoutMs);
    readline.createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      if (!line.startsWith('{')) return;
      const ready = JSON.parse(line) as Ready;
      if (!ready.ready) return;
      clearTimeout(timer);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        AWS_REGION: ready.region,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_KINESIS: ready.endpoints.kinesis,
        AWS_ENDPOINT_URL_DYNAMODB: ready.endpoints.dynamodb,
        AWS_ENDPOINT_URL_FIREHOSE: ready.endpoints.firehose,
        AWS_ENDPOINT_URL_REDSHIFT_DATA: ready.endpoints.redshiftData,
        REDSHIFT_DIALECT: 'postgres',
        REDSHIFT_WORKGROUP: 'local',
      };
      resolve({
        child,
        ready,
        env,
        output,
        async stop(signal = 'SIGTERM') {
          if (child.exitCode !== null) return child.exitCode;
          try {
            process.kill(-child.pid!, signal);
          } catch {
            /* gone */
          }
          return exited;
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`up exited with ${code}: ${output.slice(-10).join('\n')}`));
    });
  });
}

/** Runs a one-shot command; resolves with its exit code and output. */
export function run(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Polls `fn` until it stops throwing (or rethrows after `ms`). */
export async function eventually<T>(fn: () => Promise<T>, ms = 90_000, every = 1_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, every));
    }
  }
}
