/**
 * The randomized soak of issue 3, seeded and bounded in time: round after round until the
 * budget is spent (`SOAK_SECONDS`, default 45), new records — producer duplicates within
 * and across shards, bad records, late events, KPL aggregates — go through the real
 * handlers' worker (`createSinks` + `createWorker`, a sandbox per shard, shards in
 * parallel) under a random mix of every fault at once: throttling storms and lost
 * acknowledgements on all three services, sandboxes dying mid-emit after some writes
 * landed, crashes between sink writes with bisection, partial-batch retries from
 * `batchItemFailures`, Data API statements ending FAILED, Firehose entries failing inside a
 * successful PutRecordBatch, and replays of committed batches. The stores keep everything
 * from round to round; after every round DynamoDB, the Redshift mirror, the Firehose event
 * tables and the bad records must equal the reference computed once over all input so far.
 *
 * Both stacks run each round at once: dynalite with PGlite, and DynamoDB Local (when Java is
 * installed) with PostgreSQL. The seed is printed; `SOAK_SEED=<seed>` replays a run's
 * records, batch boundaries, replays, crashes and fault rates (which of several concurrent
 * calls a fault hits still depends on timing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duplicateSpread, expectSinksEqualReference } from '../support/compare-sinks.ts';
import { emptyRunnerCounts, runShards, type RunnerCounts } from '../support/lambda-runner.ts';
import { classifyOnce, type RefRecord } from '../support/reference.ts';
import { buildScenario, rng } from '../support/scenario.ts';
import { emptyFaultCounts, hash, SinkStack, type FaultCounts, type FaultPlan, type StackOptions, type Tables } from '../support/sink-stack.ts';
import { BACKENDS } from './dynamodb/backends.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 45);
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Rounds run even when the budget is spent sooner (a loaded machine): every fault needs a chance. */
const MIN_ROUNDS = 3;
const START = Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000;

const STACKS: StackOptions[] = [
  { dynamo: 'dynalite', sql: 'pglite', seed: SEED },
  ...(BACKENDS.includes('dynamodb-local') ? [{ dynamo: 'dynamodb-local' as const, sql: 'postgres' as const, seed: SEED + 1 }] : []),
];

/** A rate between lo and hi. */
const between = (random: () => number, lo: number, hi: number) => lo + random() * (hi - lo);

/** Every fault at once, each at a random rate (never 0, so each can happen in any round). */
function roundFaults(random: () => number): Partial<FaultPlan> {
  const rate = (lo: number, hi: number) => ({ dynamodb: between(random, lo, hi), firehose: between(random, lo, hi), redshiftData: between(random, lo, hi) });
  return {
    throttle: rate(0.03, 0.2),
    lostAck: rate(0.02, 0.08),
    die: between(random, 0.05, 0.25),
    crash: between(random, 0.01, 0.05),
    failStatement: between(random, 0.03, 0.12),
    failRecord: between(random, 0.05, 0.3),
    sinkRetryAttempts: 2 + Math.floor(random() * 3),
  };
}

function addCounts<T extends object>(total: T, more: T): void {
  for (const [k, v] of Object.entries(more)) (total as Record<string, number>)[k] = ((total as Record<string, number>)[k] ?? 0) + (v as number);
}

describe(`soak: rounds of mixed faults for ${SECONDS} s on ${STACKS.map((s) => `${s.dynamo} + ${s.sql}`).join(' and on ')}`, () => {
  let stacks: { stack: SinkStack; tables: Tables; faults: FaultCounts; runner: RunnerCounts }[] = [];

  beforeAll(async () => {
    console.log(`soak: seed ${SEED} (SOAK_SEED=${SEED} replays it), ${SECONDS} s (SOAK_SECONDS)`);
    stacks = await Promise.all(
      STACKS.map(async (o) => {
        const stack = await SinkStack.start(o);
        return { stack, tables: await stack.freshTables('soak'), faults: emptyFaultCounts(), runner: emptyRunnerCounts() };
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.stack.stop()));
  });

  it(`DynamoDB and Redshift equal the reference after every round (seed ${SEED})`, async () => {
    // Prepare
    const deadline = Date.now() + SECONDS * 1000;
    const all: RefRecord[] = [];
    let sequenceAbove = 49_000_000_000_000_000_000n;
    let crossShardDuplicates = 0;
    let rounds = 0;
    let lastRoundMs = 0;

    // A round starts only when one as long as the last still fits in the budget.
    for (let round = 1; round <= MIN_ROUNDS || Date.now() + lastRoundMs < deadline; round++) {
      const roundStarted = Date.now();
      // Prepare: this round's records (after the earlier rounds' in time and in every shard) and faults
      const roundSeed = hash(`${SEED}/${round}`);
      const random = rng(roundSeed);
      const records = buildScenario({
        seed: roundSeed,
        records: 120 + Math.floor(random() * 120),
        shards: 2 + Math.floor(random() * 2),
        startMs: START + round * 120_000,
        duplicates: between(random, 0.05, 0.2),
        continueFrom: { idPrefix: `r${round}x`, sequenceAbove },
      });
      for (const r of records) if (BigInt(r.kinesis.sequenceNumber) > sequenceAbove) sequenceAbove = BigInt(r.kinesis.sequenceNumber);
      all.push(...records);
      const faults = roundFaults(random);
      const runnerOptions = { seed: roundSeed, maxBatch: 10 + Math.floor(random() * 30), replay: between(random, 0.05, 0.3), bisect: random() < 0.8 };
      const label = `seed ${SEED} round ${round}`;

      // Act: both stacks at once (they share nothing); allSettled so none runs on when one fails
      const outcomes = await Promise.allSettled(
        stacks.map(async (s) => {
          s.stack.setFaults(faults);
          const runner = emptyRunnerCounts();
          try {
            await runShards(records, (stream, shardKey) => s.stack.invoker(stream, shardKey, s.tables, roundSeed), runnerOptions, runner);
          } finally {
            s.stack.stopFaults();
            s.stack.retireAll();
            addCounts(s.faults, s.stack.counts);
            addCounts(s.runner, runner);
          }
          await s.stack.firehose.flush();
        }),
      );
      for (const o of outcomes) if (o.status === 'rejected') throw o.reason;

      // Assert: everything so far, on both stacks
      const classified = classifyOnce(all);
      for (const s of stacks) {
        const ddb = s.stack.backend.client();
        try {
          await expectSinksEqualReference({ label: `${label} [${s.stack.options.dynamo} + ${s.stack.options.sql}]`, ddb, tables: s.tables, redshift: s.stack.reader }, classified);
        } finally {
          ddb.destroy();
        }
      }
      crossShardDuplicates += duplicateSpread(classifyOnce(records)).crossShard;
      rounds = round;
      lastRoundMs = Date.now() - roundStarted;
    }

    // Assert: every kind of fault actually happened, on every stack
    console.log(`soak: seed ${SEED}, ${rounds} rounds, ${all.length} records, ${crossShardDuplicates} cross-shard duplicates; ${stacks.map((s) => `${s.stack.options.dynamo}: ${JSON.stringify({ ...s.faults, ...s.runner })}`).join('; ')}`);
    expect(crossShardDuplicates, `seed ${SEED}: producer duplicates across shards`).toBeGreaterThan(0);
    for (const s of stacks) {
      const seen = { ...s.faults, ...s.runner };
      const kinds: (keyof typeof seen)[] = ['throttled', 'lostAcks', 'deathsAfterWrites', 'crashes', 'failedStatements', 'statementConflicts', 'failedRecords', 'bisects', 'partialRetries', 'partialFromMiddle', 'replays'];
      const missing = kinds.filter((k) => !(seen[k] > 0));
      expect(missing, `seed ${SEED} on ${s.stack.options.dynamo}: faults that never happened`).toEqual([]);
    }
  }, (SECONDS + 180) * 1000);
});

