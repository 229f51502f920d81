/**
 * Invokers run a Kinesis handler the way the Lambda service does for the event source
 * mapping: one event per invocation, a timeout, and (for `workerInvoker`) a memory limit and
 * a sandbox that dies on timeout, crash or out-of-memory and is replaced by a fresh one (a
 * cold start) for the next invocation. Concurrent invocations (one per shard) get their own
 * sandboxes, as Lambda gives them their own execution environments.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { tsxApiUrl } from '../tsx-api.ts';
import { sandboxOutput } from './sandbox-output.ts';
import type { InvokeOutcome, Invoker, KinesisHandler } from './types.ts';


function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** Builds the Lambda `Context` of one invocation. */
function makeContext(functionName: string, memoryMb: number, deadline: number): Context {
  const requestId = randomUUID();
  const fail = () => {
    throw new Error('callback-style handlers are not supported by the local runner');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

/**
 * Runs a handler function in this process, with Lambda's timeout. A timed-out handler cannot
 * be killed in-process: its promise is abandoned (it keeps running in the background), which
 * is why the local stack uses `workerInvoker`. Events are deep-copied, as Lambda hands every
 * invocation its own JSON.
 *
 * @example
 * const invoker = inProcessInvoker(async (event) => ({ batchItemFailures: [] }), { timeoutMs: 60_000, functionName: 'test' });
 * const outcome = await invoker.invoke(event);
 */
export function inProcessInvoker(handler: KinesisHandler, options: { timeoutMs: number; functionName: string; memoryMb?: number }): Invoker {
  return {
    async invoke(event: KinesisStreamEvent): Promise<InvokeOutcome> {
      const deadline = Date.now() + options.timeoutMs;
      const copy = JSON.parse(JSON.stringify(event)) as KinesisStreamEvent;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<InvokeOutcome>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, kind: 'timeout', error: `Task timed out after ${(options.timeoutMs / 1000).toFixed(2)} seconds` }), options.timeoutMs);
      });
      const run = (async (): Promise<InvokeOutcome> => {
        try {
          const response = await handler(copy, makeContext(options.functionName, options.memoryMb ?? 128, deadline));
          // The response crosses a JSON boundary in Lambda too.
          return { ok: true, response: response === undefined ? undefined : (JSON.parse(JSON.stringify(response)) as KinesisStreamBatchResponse) };
        } catch (err) {
          return { ok: false, kind: 'error', error: errorText(err) };
        }
      })();
      try {
        return await Promise.race([run, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {},
  };
}

export interface WorkerInvokerOptions {
  /** absolute path of a .ts (or .js) module exporting the handler */
  handlerModule: string;
  /** export name of the handler; default `handler` */
  exportName?: string;
  timeoutMs: number;
  memoryMb: number;
  /** the sandbox's environment (added to this process's) */
  env?: Record<string, string>;
  /** function name for the context; default the module's base name */
  functionName?: string;
  /** limit of a cold start (module import); default 60 s (Lambda: 10 s, but laptops are slower) */
  initTimeoutMs?: number;
  /**
   * receives the sandbox's stdout/stderr (Lambda sends them to CloudWatch) as whole lines,
   * each ending in a newline, Embedded Metric Format metadata left out (`sandboxOutput`);
   * default: this process's stderr, keeping stdout free for the command line's own output
   */
  log?: (lines: string) => void;
}

// The sandbox's bootstrap, plain JavaScript evaluated in the worker: it registers tsx (so
// .ts handlers load as they do under `node --import tsx`), imports the handler module (the
// cold start) and then serves one invocation at a time.
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const text = (e) => (e instanceof Error ? e.name + ': ' + e.message : String(e));
(async () => {
  let handler;
  try {
    const { register } = await import(workerData.tsxApi);
    register();
    const mod = await import(workerData.moduleUrl);
    handler = mod[workerData.exportName];
    if (typeof handler !== 'function') throw new Error('the module exports no function ' + workerData.exportName);
  } catch (err) {
    parentPort.postMessage({ type: 'init-error', error: text(err) });
    return;
  }
  parentPort.on('message', async (msg) => {
    const fail = () => { throw new Error('callback-style handlers are not supported by the local runner'); };
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: workerData.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + workerData.functionName,
      memoryLimitInMB: String(workerData.memoryMb),
      awsRequestId: msg.requestId,
      logGroupName: '/aws/lambda/' + workerData.functionName,
      logStreamName: 'local/[$LATEST]' + workerData.sandboxId,
      getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
      done: fail, fail, succeed: fail,
    };
    try {
      const response = await handler(msg.event, context);
      parentPort.postMessage({ type: 'result', id: msg.id, ok: true, response: response === undefined ? undefined : JSON.parse(JSON.stringify(response)) });
    } catch (err) {
      parentPort.postMessage({ type: 'result', id: msg.id, ok: false, error: text(err) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
})();
`;

type WorkerMessage = { type: 'ready' } | { type: 'init-error'; error: string } | { type: 'result'; id: number; ok: true; response: KinesisStreamBatchResponse | undefined } | { type: 'result'; id: number; ok: false; error: string };

interface Sandbox {
  worker: Worker;
  ready: Promise<InvokeOutcome | null>;
  /** settles the invocation in flight when the worker dies */
  onDeath: ((outcome: InvokeOutcome) => void) | null;
  dead: boolean;
}

/**
 * Runs a handler module in worker threads, one sandbox per concurrent invocation: V8 heap
 * capped at `memoryMb` (`resourceLimits.maxOldGenerationSizeMb`), terminated at the timeout,
 * replaced after a timeout, a crash or running out of memory (the next invocation is a cold
 * start), reused after a success or a handled error, as Lambda reuses warm environments.
 *
 * @example
 * const invoker = workerInvoker({ handlerModule: path.resolve('handlers/clickstream.ts'), timeoutMs: 60_000, memoryMb: 256, env });
 * const outcome = await invoker.invoke(event);
 * await invoker.close();
 */
export function workerInvoker(options: WorkerInvokerOptions): Invoker {
  const idle: Sandbox[] = [];
  const all = new Set<Sandbox>();
  const functionName = options.functionName ?? path.basename(options.handlerModule).replace(/\.[cm]?[jt]s$/, '');
  const initTimeoutMs = options.initTimeoutMs ?? 60_000;
  // Two writers, not one: a sandbox's stdout and stderr each split lines where they like.
  const output = () => sandboxOutput(options.log ?? ((text) => void process.stderr.write(text)));
  let nextId = 1;
  let closed = false;
  let tsxApi: string | undefined;

  function kill(sb: Sandbox): void {
    sb.dead = true;
    all.delete(sb);
    const i = idle.indexOf(sb);
    if (i >= 0) idle.splice(i, 1);
    void sb.worker.terminate().catch(() => {});
  }

  function start(): Sandbox {
    tsxApi ??= tsxApiUrl();
    const sandboxId = randomUUID().replace(/-/g, '');
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: { ...process.env, ...options.env, AWS_LAMBDA_FUNCTION_NAME: functionName, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb), AWS_LAMBDA_FUNCTION_VERSION: '$LATEST' },
      workerData: { tsxApi, moduleUrl: pathToFileURL(options.handlerModule).href, exportName: options.exportName ?? 'handler', functionName, memoryMb: options.memoryMb, sandboxId },
      resourceLimits: { maxOldGenerationSizeMb: options.memoryMb },
      stdout: true,
      stderr: true,
    });
    worker.stdout.setEncoding('utf8').on('data', output());
    worker.stderr.setEncoding('utf8').on('data', output());
    const sb: Sandbox = { worker, ready: Promise.resolve(null), onDeath: null, dead: false };
    const death = (outcome: InvokeOutcome) => {
      if (sb.dead && !sb.onDeath) return;
      const settle = sb.onDeath;
      sb.onDeath = null;
      kill(sb);
      settle?.(outcome);
    };
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') death({ ok: false, kind: 'out_of_memory', error: `Runtime.OutOfMemory: ${err.message}` });
      else death({ ok: false, kind: 'crash', error: `Runtime.ExitError: ${errorText(err)}` });
    });
    worker.on('exit', (code) => death({ ok: false, kind: 'crash', error: `Runtime.ExitError: the runtime exited with code ${code}` }));
    sb.ready = new Promise<InvokeOutcome | null>((resolve) => {
      const timer = setTimeout(() => {
        sb.onDeath = null;
        kill(sb);
        resolve({ ok: false, kind: 'timeout', error: `Init timed out after ${initTimeoutMs} ms` });
      }, initTimeoutMs);
      sb.onDeath = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      const onMessage = (msg: WorkerMessage) => {
        if (msg.type === 'ready' || msg.type === 'init-error') {
          clearTimeout(timer);
          worker.off('message', onMessage);
          sb.onDeath = null;
          if (msg.type === 'ready') resolve(null);
          else {
            kill(sb);
            resolve({ ok: false, kind: 'error', error: `Runtime.ImportModuleError: ${msg.error}` });
          }
        }
      };
      worker.on('message', onMessage);
    });
    all.add(sb);
    return sb;
  }

  async function invoke(event: KinesisStreamEvent): Promise<InvokeOutcome> {
    if (closed) throw new Error('invoker is closed');
    const sb = idle.pop() ?? start();
    const initFailure = await sb.ready;
    if (initFailure) return initFailure;
    if (sb.dead) return { ok: false, kind: 'crash', error: 'Runtime.ExitError: the sandbox died before the invocation' };
    const id = nextId++;
    const deadline = Date.now() + options.timeoutMs;
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        sb.onDeath = null;
        kill(sb);
        resolve({ ok: false, kind: 'timeout', error: `Task timed out after ${(options.timeoutMs / 1000).toFixed(2)} seconds` });
      }, options.timeoutMs);
      const onMessage = (msg: WorkerMessage) => {
        if (msg.type !== 'result' || msg.id !== id) return;
        clearTimeout(timer);
        sb.worker.off('message', onMessage);
        sb.onDeath = null;
        if (!closed && !sb.dead) idle.push(sb);
        resolve(msg.ok ? { ok: true, response: msg.response } : { ok: false, kind: 'error', error: msg.error });
      };
      sb.onDeath = (outcome) => {
        clearTimeout(timer);
        sb.worker.off('message', onMessage);
        resolve(outcome);
      };
      sb.worker.on('message', onMessage);
      sb.worker.postMessage({ id, event, deadline, requestId: randomUUID() });
    });
  }

  return {
    invoke,
    async close() {
      closed = true;
      const sandboxes = [...all];
      idle.length = 0;
      await Promise.all(
        sandboxes.map(async (sb) => {
          sb.dead = true;
          all.delete(sb);
          await sb.worker.terminate().catch(() => {});
        }),
      );
    },
  };
}
