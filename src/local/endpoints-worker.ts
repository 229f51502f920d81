/**
 * The worker-thread side of `endpoints-thread.ts`: the SQL backend (PGlite or PostgreSQL)
 * with the local Firehose and Redshift Data API endpoints in front of it. Answers `flush`
 * and `close` requests from the main thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { ConfigError, portInUseError } from '../errors.ts';
import { startFirehoseServer } from './firehose/server.ts';
import { startRedshiftDataServer } from './redshift-data/server.ts';
import { createPgliteBackend, createPostgresBackend, type SqlBackend } from './sql-backend.ts';

export interface EndpointsWorkerOptions {
  /** an external PostgreSQL instead of the embedded PGlite */
  pgUrl?: string;
  /** PGlite's data directory; in memory when absent */
  pgDataDir?: string;
  firehosePort: number;
  redshiftDataPort: number;
  /** caps every delivery stream's `IntervalInSeconds`, ms (the Firehose endpoint's `maxFlushIntervalMs`) */
  flushIntervalMs: number;
}

/** Messages from the worker: `ready` once serving, `error` when it could not start. */
export type EndpointsWorkerMessage =
  | { type: 'ready'; firehose: string; redshiftData: string }
  | { type: 'error'; message: string; setting?: string }
  | { type: 'done'; id: number; error?: string };

/** Requests to the worker. */
export type EndpointsWorkerRequest = { type: 'flush' | 'close'; id: number };

function portInUse(err: unknown, port: number): unknown {
  return (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? portInUseError(port) : err;
}

/**
 * Starts the backend and both endpoints, then serves requests on `port` until `close`.
 *
 * @example
 * // inside the worker thread: await serveEndpoints(workerData, parentPort);
 */
export async function serveEndpoints(o: EndpointsWorkerOptions, port: MessagePort): Promise<void> {
  let backend: SqlBackend | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  // Endpoints first (the Firehose endpoint's close is its last flush), then the backend.
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await backend?.close().catch(() => {});
  };
  try {
    backend = o.pgUrl ? await createPostgresBackend(o.pgUrl) : await createPgliteBackend(o.pgDataDir ? { dataDir: o.pgDataDir } : {});
    const firehose = await startFirehoseServer({ backend, port: o.firehosePort, maxFlushIntervalMs: o.flushIntervalMs }).catch((err) => {
      throw portInUse(err, o.firehosePort);
    });
    closers.push(() => firehose.close());
    const redshiftData = await startRedshiftDataServer({ backend, port: o.redshiftDataPort }).catch((err) => {
      throw portInUse(err, o.redshiftDataPort);
    });
    closers.push(() => redshiftData.close());
    port.on('message', (m: EndpointsWorkerRequest) => {
      const work = m.type === 'flush' ? firehose.flush() : closeAll();
      work.then(
        () => port.postMessage({ type: 'done', id: m.id } satisfies EndpointsWorkerMessage),
        (err: Error) => port.postMessage({ type: 'done', id: m.id, error: err.message } satisfies EndpointsWorkerMessage),
      );
      if (m.type === 'close') void work.finally(() => port.close());
    });
    port.postMessage({ type: 'ready', firehose: firehose.url, redshiftData: redshiftData.url } satisfies EndpointsWorkerMessage);
  } catch (err) {
    await closeAll();
    const setting = err instanceof ConfigError ? err.setting : undefined;
    const message = err instanceof ConfigError ? err.message.replace(`${err.setting}: `, '') : (err as Error).message;
    port.postMessage({ type: 'error', message, ...(setting ? { setting } : {}) } satisfies EndpointsWorkerMessage);
    port.close();
  }
}
