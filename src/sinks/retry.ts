/**
 * Capped exponential back-off with full jitter for sink calls (SPEC §5: sink errors are
 * retried with back-off, then reported as batch item failures).
 */

export interface RetryOptions {
  /** attempts in all, the first included */
  attempts?: number;
  baseMs?: number;
  capMs?: number;
  /** decides whether an error is worth another attempt; default `isRetryableError` */
  retryable?: (err: unknown) => boolean;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'ActiveStatementsExceededException',
  'LimitExceededException',
  'TransactionConflictException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** True for throttling, 5xx and connection errors: the kinds a later attempt can cure. */
export function isRetryableError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRYABLE_NAMES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && (status >= 500 || status === 429);
}

/**
 * Runs `fn` until it succeeds, retrying retryable errors with capped exponential back-off
 * and full jitter; the last error is rethrown.
 *
 * @example
 * const out = await withRetry(() => ddb.send(new UpdateItemCommand(input)), { attempts: 6 });
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const baseMs = options.baseMs ?? 50;
  const capMs = options.capMs ?? 2_000;
  const retryable = options.retryable ?? isRetryableError;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      await sleep(Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1))));
    }
  }
}
