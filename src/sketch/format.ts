/**
 * The first two bytes of every serialised sketch: a format version and a type tag. A
 * reader refuses any other version with a `RangeError`, so a future format change cannot be
 * misread silently; the tag keeps an HLL from being read as a DDSketch and vice versa.
 */

/** Format version of every sketch written by this code. */
export const SKETCH_FORMAT_VERSION = 1;

/** HyperLogLog of precision 12, sparse: written before December 2026, no longer read. */
export const TAG_HLL_P12_SPARSE = 0x01;
/** HyperLogLog of precision 12, dense: written before December 2026, no longer read. */
export const TAG_HLL_P12_DENSE = 0x02;
/** HyperLogLog (precision 15), sparse encoding (sorted (index, rho) entries, varint deltas). */
export const TAG_HLL_SPARSE = 0x04;
/** HyperLogLog (precision 15), dense encoding (32,768 registers, 6 bits each). */
export const TAG_HLL_DENSE = 0x05;
/** DDSketch (zero count, min, max, sorted (key, count) buckets). */
export const TAG_DDSKETCH = 0x03;
