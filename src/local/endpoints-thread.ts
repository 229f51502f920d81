/**
 * Runs the SQL backend (PGlite, or a PostgreSQL URL) and the local Firehose and Redshift
 * Data API endpoints in a worker thread of their own. On the main thread, PGlite's
 * synchronous WebAssembly work (every Firehose record is written to its buffer table and
 * then loaded) held up kinesalite and the pollers that share the event loop
 * (docs/e2e-performance.md). A worker thread, unlike a child process, goes with the process
 * whatever ends it, so a restart after `kill -9` never finds the old one still holding
 * PGlite's data directory.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../errors.ts';
import { tsxApiUrl } from './tsx-api.ts';
import type { EndpointsWorkerMessage, EndpointsWorkerOptions, EndpointsWorkerRequest } from './endpoints-worker.ts';

const WORKER_MODULE = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'endpoints-worker.ts')).href;

// Plain JavaScript evaluated in the worker: register tsx, then hand over to the TypeScript module.
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { register } = await import(workerData.tsxApi);
  register();
  const { serveEndpoints } = await import(workerData.module);
  await serveEndpoints(workerData.options, parentPort);
})().catch((err) => parentPort.postMessage({ type: 'error', message: String(err && err.stack || err) }));
`;

export interface EndpointsThread {
  firehose: string;
  redshiftData: string;
  /** delivers every record the Firehose endpoint buffers */
  flush(): Promise<void>;
  /** a last flush, then the endpoints and the backend close and the thread ends */
  close(): Promise<void>;
}

/**
 * Starts the endpoints thread; resolves once both endpoints listen.
 *
 * @example
 * const endpoints = await startEndpointsThread({ firehosePort: 0, redshiftDataPort: 0, flushIntervalMs: 1000 });
 * console.log(endpoints.firehose, endpoints.redshiftData);
 * await endpoints.close();
 */
export async function startEndpointsThread(options: EndpointsWorkerOptions): Promise<EndpointsThread> {
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { tsxApi: tsxApiUrl(), module: WORKER_MODULE, options } });
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let next = 0;
  let exited = false;
  const ready = new Promise<{ firehose: string; redshiftData: string }>((resolve, reject) => {
    worker.on('message', (m: EndpointsWorkerMessage) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'error') reject(m.setting ? new ConfigError(m.setting, m.message) : new Error(`local endpoints: ${m.message}`));
      else {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error) w?.reject(new Error(m.error));
        else w?.resolve();
      }
    });
    worker.on('error', (err) => reject(err));
    worker.on('exit', (code) => {
      exited = true;
      reject(new Error(`the local endpoints' thread exited with code ${code} before it was ready`));
      for (const w of waiting.values()) w.reject(new Error('the local endpoints thread has ended'));
      waiting.clear();
    });
  });
  const request = (type: EndpointsWorkerRequest['type']) =>
    new Promise<void>((resolve, reject) => {
      if (exited) return resolve();
      const id = ++next;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ type, id } satisfies EndpointsWorkerRequest);
    });
  let urls: { firehose: string; redshiftData: string };
  try {
    urls = await ready;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    firehose: urls.firehose,
    redshiftData: urls.redshiftData,
    flush: () => request('flush'),
    async close() {
      await request('close').catch(() => {});
      if (!exited) await worker.terminate();
    },
  };
}
