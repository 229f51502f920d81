/**
 * Synthetic, realistic, seeded input data for both streams: used by the local producer
 * (`stream-metrics produce --generate N`, `up`), the end-to-end tests and the benchmarks.
 *
 * Each record says what it is meant to become (`kind`): `valid` and `late` are counted,
 * `bot` and `test` filtered, `bad` rejected, and `duplicate` is an exact copy (same JSON,
 * same partition key) of an earlier `valid` record of the same generator, so one of the two
 * copies is counted and the other is a duplicate (the later one when both reach the same
 * shard in order, as with the same partition key and no KPL re-keying).
 *
 * @example
 * const gen = createClickstreamGenerator({ seed: 1, startMs: Date.now() - 3_600_000, mix: { bad: 0.05 } });
 * for (let i = 0; i < 1000; i++) {
 *   const { partitionKey, data, kind } = gen.next();
 * }
 */
export { createClickstreamGenerator } from './clickstream.ts';
export { createTransactionGenerator } from './transactions.ts';
export { DEFAULT_MIX } from './common.ts';
export type { GeneratedKind, GeneratedRecord, GeneratorMix, GeneratorOptions, RecordGenerator } from './common.ts';
export { Rng } from './random.ts';
