import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fastParseSequence, type SequenceFields } from '../../src/local/kinesalite-sequence.ts';

const require = createRequire(import.meta.url);
// kinesalite's own functions, as shipped (the stack swaps only parseSequence, on the module).
const db = require('kinesalite/db') as { stringifySequence(o: object): string };
const { parseSequence: original } = (() => {
  // A fresh copy of the module, so the comparison holds whether or not a test in this
  // process already installed the fast version on the shared one.
  const path = require.resolve('kinesalite/db');
  const cached = require.cache[path];
  delete require.cache[path];
  try {
    return require('kinesalite/db') as { parseSequence(s: string): SequenceFields };
  } finally {
    if (cached) require.cache[path] = cached;
  }
})();
const fast = fastParseSequence(original);

function outcome(parse: (s: string) => SequenceFields, s: string): { ok: SequenceFields } | { error: string } {
  try {
    return { ok: parse(s) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

// What kinesalite itself writes: every version, the whole range of each field.
const seconds = fc.integer({ min: 0, max: 16_025_174_999 });
const version2 = fc.record({
  version: fc.constant(2),
  shardCreateTime: seconds.map((s) => s * 1000),
  seqTime: seconds.map((s) => s * 1000),
  seqIx: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  shardIx: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  byte1: fc.stringMatching(/^[0-9a-f]{2}$/),
});
const version1 = fc.record({
  version: fc.constant(1),
  shardCreateTime: seconds.map((s) => s * 1000),
  seqTime: seconds.map((s) => s * 1000),
  seqIx: fc.integer({ min: 0, max: 255 }),
  shardIx: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  byte1: fc.stringMatching(/^[0-9a-f]{2}$/),
  seqRand: fc.stringMatching(/^[0-9a-f]{14}$/),
});
const version0 = fc.record({
  version: fc.constant(0),
  shardCreateTime: seconds.map((s) => s * 1000),
  shardIx: fc.integer({ min: 0, max: 65_535 }),
  byte1: fc.stringMatching(/^[0-9a-f]{2}$/),
  seqRand: fc.stringMatching(/^[0-9a-f]{16}$/),
});

describe('fastParseSequence (kinesalite db.parseSequence with BigInt)', () => {
  it('returns what kinesalite returns for every sequence number kinesalite writes', () => {
    fc.assert(
      fc.property(fc.oneof(version2, version1, version0), (fields) => {
        // Prepare
        const seq = db.stringifySequence(fields);

        // Act
        const got = outcome(fast, seq);

        // Assert
        expect(got).toEqual(outcome(original, seq));
        expect('ok' in got).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it('returns or throws as kinesalite does for any other input', () => {
    const input = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 200n }).map(String),
      fc.stringMatching(/^[0-9]{1,70}$/),
      fc.string(),
      fc.constantFrom('', '0', '-1', '1e5', '0x10', ' 12', '12.5', 'NaN', '9'.repeat(81)),
    );
    fc.assert(
      fc.property(input, (seq) => {
        // Act
        const got = outcome(fast, seq);
        const want = outcome(original, seq);

        // Assert: the same fields, or an error in both
        if ('ok' in want) expect(got).toEqual(want);
        else expect(got).toHaveProperty('error');
      }),
      { numRuns: 3_000 },
    );
  });
});
