/**
 * Starts the local DynamoDB endpoint (dynalite plus `TransactWriteItems`,
 * `src/local/dynamodb/server.ts`) in a child process. The local stack is CPU-bound on one thread otherwise:
 * kinesalite, PGlite, the endpoints and the pollers share the main event loop, and the
 * de-duplication's conditional put per record makes dynalite the busiest of them
 * (docs/e2e-performance.md). The child exits when its parent goes, however it goes.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { portInUseError } from '../errors.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dynamodb', 'child.mjs');

/**
 * Forks the endpoint on `port` (0: any free port), persisting under `dataPath` when given.
 *
 * @example
 * const ddb = await startDynaliteProcess(0);
 * console.log(ddb.url); // http://127.0.0.1:41234
 * await ddb.close();
 */
export async function startDynaliteProcess(port: number, dataPath?: string): Promise<{ url: string; close(): Promise<void> }> {
  // SIGINT from the terminal and SIGTERM to the process group reach the child too: it
  // ignores both and leaves when the parent disconnects, after the parent's clean shutdown.
  const child = fork(CHILD, [String(port), ...(dataPath ? [dataPath] : [])], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const actual = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port?: number; error?: string }) => {
      if (m.port !== undefined) resolve(m.port);
      else reject(m.error === 'EADDRINUSE' ? portInUseError(port) : new Error(`dynalite: ${m.error}`));
    });
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
