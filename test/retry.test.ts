import { describe, expect, it } from 'vitest';
import { isRetryableError, withRetry } from '../src/sinks/retry.ts';

describe('withRetry', () => {
  it('retries throttling until it succeeds, with capped back-off', async () => {
    // Prepare
    const sleeps: number[] = [];
    let calls = 0;
    // Act
    const out = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
        return 'ok';
      },
      { sleep: async (ms) => void sleeps.push(ms), random: () => 0.999, baseMs: 100, capMs: 250 },
    );
    // Assert
    expect(out).toBe('ok');
    expect(calls).toBe(4);
    expect(sleeps).toEqual([99, 199, 249]);
  });

  it('gives up after the attempts and rethrows the last error', async () => {
    // Prepare
    const err = Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
    // Act / Assert
    await expect(withRetry(async () => { throw err; }, { attempts: 3, sleep: async () => {} })).rejects.toBe(err);
  });

  it('does not retry a validation error', async () => {
    // Prepare
    let calls = 0;
    // Act
    await expect(withRetry(async () => { calls++; throw Object.assign(new Error('bad'), { name: 'ValidationException' }); }, { sleep: async () => {} })).rejects.toThrow('bad');
    // Assert
    expect(calls).toBe(1);
  });
});

describe('isRetryableError', () => {
  it('knows throttling, 5xx and connection errors', () => {
    expect(isRetryableError({ name: 'ThrottlingException' })).toBe(true);
    expect(isRetryableError({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isRetryableError({ code: 'ECONNRESET' })).toBe(true);
    expect(isRetryableError({ name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } })).toBe(false);
    expect(isRetryableError('nope')).toBe(false);
  });
});
