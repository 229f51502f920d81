/**
 * Issue 3's fault matrix: each fault on its own, through the real handlers' worker
 * (`loadConfig` → `createSinks` → `createWorker`, one sandbox per shard, shards in
 * parallel) against the real local parts, and then DynamoDB, the Redshift mirror, the
 * Firehose event tables and the bad records compared with the reference computed once over
 * the same input (test/support/compare-sinks.ts: cell by cell, sketches byte for byte).
 *
 * Two stacks cover the four parts: dynalite with PGlite (what `stream-metrics up` runs) and
 * DynamoDB Local with PostgreSQL (the higher-fidelity pair; DynamoDB Local only when Java is
 * installed, required on CI as for the other DynamoDB tests). Every case also proves its fault happened, by count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRunnerCounts, runShards, type RunnerCounts, type RunnerOptions } from '../support/lambda-runner.ts';
import { duplicateSpread, expectSinksEqualReference, type Classified } from '../support/compare-sinks.ts';
import { classifyOnce } from '../support/reference.ts';
import { buildScenario } from '../support/scenario.ts';
import { SinkStack, type FaultCounts, type FaultPlan, type StackOptions } from '../support/sink-stack.ts';
import { BACKENDS } from './dynamodb/backends.ts';

const START = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;
const RECORDS = 140;

interface FaultCase {
  name: string;
  seed: number;
  plan?: Partial<FaultPlan>;
  runner?: Partial<RunnerOptions>;
  duplicates?: number;
  /** proves the fault happened (and what the runner did about it) */
  happened(faults: FaultCounts, runner: RunnerCounts, classified: readonly Classified[]): void;
}

const storm = (p: number) => ({ dynamodb: p, firehose: p, redshiftData: p });

const CASES: FaultCase[] = [
  {
    name: 'replay of committed batches (lost checkpoints, new batch boundaries)',
    seed: 101,
    runner: { replay: 0.25 },
    happened: (_f, r) => {
      expect(r.replays).toBeGreaterThan(3);
      expect(r.replayedRecords).toBeGreaterThan(50);
    },
  },
  {
    name: 'bisected retries after crashes between sink writes',
    seed: 102,
    plan: { crash: 0.08 },
    happened: (f, r) => {
      expect(f.crashes).toBeGreaterThan(2);
      expect(r.bisects).toBeGreaterThan(2);
    },
  },
  {
    name: 'partial-batch retry from a failed record (sinks give up on some items)',
    seed: 103,
    // Only items whose first record is often not the batch's first (pages, SKUs): so the
    // lowest failed record is mid-batch and Lambda retries just the tail.
    plan: {
      throttle: { dynamodb: 0.4, firehose: 0, redshiftData: 0 },
      throttleOnly: (command, input) => command === 'UpdateItemCommand' && /^C#(cs_page|tx_sku)#/.test(String((input.Key as { pk?: { S?: string } } | undefined)?.pk?.S)),
      sinkRetryAttempts: 2,
    },
    happened: (f, r) => {
      expect(f.throttled).toBeGreaterThan(10);
      expect(r.partialFromMiddle).toBeGreaterThan(0);
    },
  },
  {
    name: 'crash after some items were written (the sandbox dies mid-emit, retried whole)',
    seed: 104,
    plan: { die: 0.4 },
    runner: { bisect: false },
    happened: (f, r) => {
      expect(f.deathsAfterWrites).toBeGreaterThan(2);
      expect(f.deathsAfterWrites).toBe(f.deaths);
      expect(r.functionErrors).toBe(f.deaths);
    },
  },
  {
    name: 'throttling storms, also with lost acknowledgements (the write landed, the client saw an error)',
    seed: 105,
    plan: { throttle: storm(0.25), lostAck: storm(0.1) },
    happened: (f) => {
      expect(f.throttled).toBeGreaterThan(30);
      expect(f.lostAcks).toBeGreaterThan(10);
    },
  },
  {
    name: 'Data API statement failures (FAILED loads and serialisation conflicts)',
    seed: 106,
    plan: { failStatement: 0.12 },
    happened: (f, r) => {
      expect(f.failedStatements).toBeGreaterThan(1);
      expect(f.statementConflicts).toBeGreaterThan(1);
      expect(r.partialRetries).toBeGreaterThan(0);
    },
  },
  {
    name: 'Firehose partial failures (failed entries inside a successful PutRecordBatch)',
    seed: 107,
    plan: { failRecord: 0.4, sinkRetryAttempts: 3 },
    happened: (f, r) => {
      expect(f.failedRecords).toBeGreaterThan(10);
      expect(r.partialRetries).toBeGreaterThan(0);
    },
  },
  {
    name: 'producer duplicates across batches and shards',
    seed: 108,
    duplicates: 0.25,
    happened: (_f, _r, classified) => {
      const spread = duplicateSpread(classified);
      expect(spread.crossShard).toBeGreaterThan(3);
      expect(spread.sameShard).toBeGreaterThan(3);
    },
  },
];

const STACKS: StackOptions[] = [
  { dynamo: 'dynalite', sql: 'pglite', seed: 1 },
  ...(BACKENDS.includes('dynamodb-local') ? [{ dynamo: 'dynamodb-local' as const, sql: 'postgres' as const, seed: 2 }] : []),
];

/** Runs one case on one stack: fresh tables, empty Redshift, this case's faults only; then compares. */
async function runCase(stack: SinkStack, c: FaultCase): Promise<void> {
  const label = `${c.name} [${stack.options.dynamo} + ${stack.options.sql}]`;
  // Prepare
  const tables = await stack.freshTables(`xo${c.seed}`);
  await stack.truncateRedshift();
  const records = buildScenario({ seed: c.seed, records: RECORDS, shards: 2, startMs: START, ...(c.duplicates !== undefined ? { duplicates: c.duplicates } : {}) });
  const classified = classifyOnce(records);
  stack.setFaults(c.plan ?? {});
  const runner = emptyRunnerCounts();
  const options: RunnerOptions = { seed: c.seed, maxBatch: 20, replay: 0, bisect: true, ...c.runner };

  // Act
  try {
    await runShards(records, (stream, shardKey) => stack.invoker(stream, shardKey, tables, c.seed), options, runner);
  } finally {
    stack.stopFaults();
    stack.retireAll();
  }
  await stack.firehose.flush();

  // Assert: the stores first (the point), then that the fault really happened
  const ddb = stack.backend.client();
  try {
    await expectSinksEqualReference({ label, ddb, tables, redshift: stack.reader }, classified);
    try {
      c.happened(stack.counts, runner, classified);
    } catch (err) {
      (err as Error).message += `\n${label}: faults ${JSON.stringify(stack.counts)}, runner ${JSON.stringify(runner)}, duplicates ${JSON.stringify(duplicateSpread(classified))}`;
      throw err;
    }
  } finally {
    ddb.destroy();
    await stack.deleteTables(tables);
  }
}

describe(`exactly-once under each fault on ${STACKS.map((s) => `${s.dynamo} + ${s.sql}`).join(' and on ')}`, () => {
  let stacks: SinkStack[] = [];
  beforeAll(async () => {
    stacks = await Promise.all(STACKS.map((o) => SinkStack.start(o)));
  });
  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
  });

  // The stacks share nothing (their own endpoints, tables and schema): both run each case at once.
  it.each(CASES)('$name', async (c) => {
    // allSettled: a stack whose case failed must not still be running when the next case resets it.
    const outcomes = await Promise.allSettled(stacks.map((s) => runCase(s, c)));
    for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
  });
});
