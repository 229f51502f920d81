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
