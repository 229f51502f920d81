/**
 * Types shared by the local event-source poller: the handler signature Lambda calls, the
 * invoker that runs it (in-process or in a worker thread with Lambda's limits), and the
 * outcome of one invocation as the event source mapping sees it.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';

/** A Kinesis-triggered Lambda handler (what `handlers/*.ts` export as `handler`). */
export type KinesisHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void>;

/**
 * How one invocation ended, as the event source mapping sees it. `ok: false` is a function
 * error (Lambda's `FunctionError: Unhandled`): a throw, a timeout, running out of memory,
 * or the runtime dying (`crash`); the whole batch failed.
 */
export type InvokeOutcome =
  | { ok: true; response: KinesisStreamBatchResponse | void }
  | { ok: false; error: string; kind: 'error' | 'timeout' | 'out_of_memory' | 'crash' };

/** Runs a handler for one event at a time (the poller keeps one batch in flight per shard). */
export interface Invoker {
  invoke(event: KinesisStreamEvent): Promise<InvokeOutcome>;
  close(): Promise<void>;
}
