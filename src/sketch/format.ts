/**
 * The first two bytes of every serialised sketch: a format version and a type tag. A
 * reader refuses any other version with a `RangeError`, so a future format change cannot be
 * misread silently; the tag keeps an HLL from being read as a DDSketch and vice versa.
 */

/** Format version of every sketch written by this code. */
export const SKETCH_FORMAT_VERSION = 1;

/** HyperLogLog, sparse encoding (sorted (index, rho) entries, varint deltas). */
export const TAG_HLL_SPARSE = 0x01;
/** HyperLogLog, dense encoding (4096 registers, 6 bits each). */
export const TAG_HLL_DENSE = 0x02;
/** DDSketch (zero count, min, max, sorted (key, count) buckets). */
export const TAG_DDSKETCH = 0x03;
