/**
 * kinesalite's `GetRecords` parses every record's sequence number (a decimal of up to 58
 * digits) into its fields with bignumber.js, converting it to hexadecimal digit by digit:
 * in `bench:e2e` that was ~20 % of the local stack's main thread. This module gives
 * kinesalite an exact `BigInt` version of that one function (`db.parseSequence`), with
 * the same results and the same errors, and leaves everything else — in particular the
 * `PutRecords` path, whose rate `bench:e2e` reports as its yardstick — as it is.
 * `test/local/kinesalite-sequence.test.ts` compares the two on random sequence numbers of
 * every version.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The fields of a sequence number, as kinesalite's `parseSequence` returns them. */
export type SequenceFields = Record<string, string | number>;
type Parse = (seq: string) => SequenceFields;

const POW_2_124 = 2n ** 124n;
const POW_2_124_NEXT = 2n ** 125n * 16n;
const POW_2_185 = 2n ** 185n;
const POW_2_185_NEXT = (2n ** 185n * 3n) / 2n;
const DIGITS = /^[0-9]{1,80}$/;

/**
 * kinesalite's `parseSequence`, computed with `BigInt`; anything but a plain decimal goes
 * to `original` (bignumber.js accepts more notations, and fails its own way).
 *
 * @example
 * const parse = fastParseSequence(require('kinesalite/db').parseSequence);
 * parse('49590338271490256608559692538361571095921575989136588898'); // → { shardCreateTime, seqIx, byte1, seqTime, shardIx, version: 2 }
 */
export function fastParseSequence(original: Parse): Parse {
  return function parseSequence(seq: string): SequenceFields {
    if (typeof seq !== 'string' || !DIGITS.test(seq)) return original(seq);
    let n = BigInt(seq);
    if (n < POW_2_124) n += POW_2_124;
    const hex = n.toString(16);
    const version = n < POW_2_124_NEXT ? 0 : n > POW_2_185 && n < POW_2_185_NEXT ? parseInt(hex.slice(hex.length - 1), 16) : null;
    if (version === 2) {
      const seqIxHex = hex.slice(11, 27);
      let shardIxHex = hex.slice(38, 46);
      if (parseInt(seqIxHex[0]!, 16) > 7) throw new Error('Sequence index too high');
      if (parseInt(shardIxHex[0]!, 16) > 7) shardIxHex = `-${shardIxHex}`;
      const shardCreateSecs = parseInt(hex.slice(1, 10), 16);
      if (shardCreateSecs >= 16025175000) throw new Error(`Date too large: ${shardCreateSecs}`);
      return {
        shardCreateTime: shardCreateSecs * 1000,
        seqIx: BigInt(`0x${seqIxHex}`).toString(),
        byte1: hex.slice(27, 29),
        seqTime: parseInt(hex.slice(29, 38), 16) * 1000,
        shardIx: parseInt(shardIxHex, 16),
        version,
      };
    }
    if (version === 1) {
      return {
        shardCreateTime: parseInt(hex.slice(1, 10), 16) * 1000,
        byte1: hex.slice(11, 13),
        seqTime: parseInt(hex.slice(13, 22), 16) * 1000,
        seqRand: hex.slice(22, 36),
        seqIx: parseInt(hex.slice(36, 38), 16),
        shardIx: parseInt(hex.slice(38, 46), 16),
        version,
      };
    }
    if (version === 0) {
      const shardCreateSecs = parseInt(hex.slice(1, 10), 16);
      if (shardCreateSecs >= 16025175000) throw new Error(`Date too large: ${shardCreateSecs}`);
      return {
        shardCreateTime: shardCreateSecs * 1000,
        byte1: hex.slice(10, 12),
        seqRand: hex.slice(12, 28),
        shardIx: parseInt(hex.slice(28, 32), 16),
        version,
      };
    }
    throw new Error(`Unknown version: ${version}`);
  };
}

let installed = false;

/**
 * Replaces kinesalite's `db.parseSequence` (looked up on the module at every call) with
 * `fastParseSequence`. Idempotent; call before serving requests.
 *
 * @example
 * installFastSequenceParsing();
 * const kinesalite = require('kinesalite')({});
 */
export function installFastSequenceParsing(): void {
  if (installed) return;
  const db = require('kinesalite/db') as { parseSequence: Parse };
  db.parseSequence = fastParseSequence(db.parseSequence);
  installed = true;
}

let stableEmptyReads = false;

/**
 * How far behind the clock an empty read's next iterator stays: longer than a PutRecords
 * takes from reading the clock to its LevelDB write, even on a loaded machine.
 */
export const EMPTY_READ_LAG_MS = 3_000;

/**
 * An empty `GetRecords` no longer skips a record whose PutRecords was still being written.
 * kinesalite answers an empty read with an iterator at the same sequence index but the
 * current second (`incrementSequence(seqObj, now)`), and records sort by index, then by
 * the second their PutRecords began: a record of that same index, begun in an earlier
 * second and written after the read, sorts before the new iterator and is never read. The
 * index is one not yet consumed after a TRIM_HORIZON or LATEST iterator (a read that
 * returns records moves the iterator to the last one's index), so a reader at the tip of a
 * fresh shard — the poller, every ~200 ms — lost the first record whenever its empty read
 * fell between that record's PutRecords second and its write, in the next second (found by
 * a soak test: one record of a 500-record PutRecords sent just before a second boundary
 * never reached the handler). The next iterator's time now stays `EMPTY_READ_LAG_MS` behind
 * the clock (never before the iterator's own): it still moves on, which is how kinesalite
 * finds the end of a closed shard, a few seconds later than before. `incrementSequence` is
 * called with a time only for that empty read (`actions/getRecords.js`). Idempotent.
 *
 * @example
 * installStableEmptyReads();
 * const kinesalite = require('kinesalite')({});
 */
export function installStableEmptyReads(): void {
  if (stableEmptyReads) return;
  const db = require('kinesalite/db') as {
    incrementSequence: (seqObj: SequenceFields | string, seqTime?: number | null) => string;
    parseSequence: Parse;
  };
  const increment = db.incrementSequence;
  db.incrementSequence = (seqObj, seqTime) => {
    if (seqTime === undefined || seqTime === null) return increment(seqObj, seqTime);
    const own = typeof seqObj === 'string' ? db.parseSequence(seqObj) : seqObj;
    const ownTime = Number(own.seqTime ?? own.shardCreateTime ?? 0);
    return increment(own, Math.max(ownTime, seqTime - EMPTY_READ_LAG_MS));
  };
  stableEmptyReads = true;
}

/**
 * Every change this project makes to kinesalite: {@link installFastSequenceParsing} and
 * {@link installStableEmptyReads}. Call before serving requests.
 *
 * @example
 * installKinesalitePatches();
 * const kinesalite = require('kinesalite')({});
 */
export function installKinesalitePatches(): void {
  installFastSequenceParsing();
  installStableEmptyReads();
}
