/**
 * Local and AWS cannot drift: the pollers of the local runner (`createPoller` of
 * `src/local/stack.ts`, what `up` and `worker` start) get their event source settings,
 * timeout, memory and handler from `FUNCTIONS` of `src/settings.ts`, and the stack's event
 * source mappings and functions carry the same values. The poller and invoker modules are
 * wrapped only to see the options they are given; they behave as they do.
 */
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPoller } from '../../src/local/stack.ts';
import type { KinesisPollerOptions } from '../../src/local/poller/poller.ts';
import type { WorkerInvokerOptions } from '../../src/local/poller/invoker.ts';
import { FUNCTIONS } from '../../src/settings.ts';
import { PROJECT_ROOT } from '../stream-metrics-stack.ts';
import { logicalId, removeTempDirs, resources, synth } from './support.ts';

const seen = vi.hoisted(() => ({ pollers: [] as unknown[], invokers: [] as unknown[] }));

vi.mock('../../src/local/poller/poller.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/local/poller/poller.ts')>();
  class RecordingPoller extends mod.KinesisPoller {
    constructor(options: KinesisPollerOptions) {
      seen.pollers.push(options);
      super(options);
    }
  }
  return { ...mod, KinesisPoller: RecordingPoller };
});

vi.mock('../../src/local/poller/invoker.ts', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/local/poller/invoker.ts')>();
  return {
    ...mod,
    workerInvoker: (options: WorkerInvokerOptions) => {
      seen.invokers.push(options);
      return mod.workerInvoker(options);
    },
  };
});

afterAll(removeTempDirs);

describe('the local runner and the stack read the same FUNCTIONS', () => {
  for (const s of ['clickstream', 'transactions'] as const) {
    it(`${s}: the local poller's event source settings, timeout, memory and handler are the stack's`, async () => {
      // Prepare
      const { stack, template } = synth();
      seen.pollers.length = 0;
      seen.invokers.length = 0;
      // Act: the poller as `stream-metrics worker` creates it (no overrides)
      const poller = createPoller(s, { kinesis: {} as never, checkpoints: {} as never, failures: {} as never, root: PROJECT_ROOT, env: {} });
      // Assert: the poller got FUNCTIONS' settings …
      expect(poller).toBeDefined();
      const options = seen.pollers[0] as KinesisPollerOptions;
      const invoker = seen.invokers[0] as WorkerInvokerOptions;
      const fn = FUNCTIONS[s];
      expect(options.settings).toEqual(fn.eventSource);
      expect(invoker).toMatchObject({ handlerModule: path.join(PROJECT_ROOT, fn.entry), timeoutMs: fn.timeoutSeconds * 1000, memoryMb: fn.memoryMb });
      // … and the stack deployed the same values
      const functionId = logicalId(stack, stack.functions[s]);
      const esm = Object.values(resources(template, 'AWS::Lambda::EventSourceMapping')).find((m) => JSON.stringify(m.Properties!.FunctionName) === JSON.stringify({ Ref: functionId }))!.Properties!;
      const es = options.settings;
      expect({
        BatchSize: esm.BatchSize,
        MaximumBatchingWindowInSeconds: esm.MaximumBatchingWindowInSeconds,
        StartingPosition: esm.StartingPosition,
        BisectBatchOnFunctionError: esm.BisectBatchOnFunctionError,
        MaximumRetryAttempts: esm.MaximumRetryAttempts,
        MaximumRecordAgeInSeconds: esm.MaximumRecordAgeInSeconds,
        ParallelizationFactor: esm.ParallelizationFactor,
        ReportBatchItemFailures: (esm.FunctionResponseTypes as string[]).includes('ReportBatchItemFailures'),
      }).toEqual({
        BatchSize: es.batchSize,
        MaximumBatchingWindowInSeconds: es.maximumBatchingWindowInSeconds,
        StartingPosition: es.startingPosition,
        BisectBatchOnFunctionError: es.bisectBatchOnFunctionError,
        MaximumRetryAttempts: es.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: es.maximumRecordAgeInSeconds,
        ParallelizationFactor: es.parallelizationFactor,
        ReportBatchItemFailures: es.reportBatchItemFailures,
      });
      const deployed = resources(template, 'AWS::Lambda::Function')[functionId]!.Properties!;
      expect({ timeoutMs: deployed.Timeout * 1000, memoryMb: deployed.MemorySize }).toEqual({ timeoutMs: invoker.timeoutMs, memoryMb: invoker.memoryMb });
    });
  }
});
