/**
 * Mergeable sketches of SPEC §4: HyperLogLog for `unique_visitors` and `sessions`, DDSketch
 * for `order_value`. Both serialise to deterministic bytes (same content → same bytes,
 * whatever the order of adds and merges), so "sketch metrics equal the same sketch built
 * once" (SPEC §5) can be checked byte for byte.
 */
import type { SketchKind } from '../types.ts';
import { DDSketch } from './ddsketch.ts';
import { HyperLogLog } from './hll.ts';

export { HyperLogLog, HLL_PRECISION } from './hll.ts';
export { DDSketch, DDSKETCH_MAX_BUCKETS, DDSKETCH_RELATIVE_ACCURACY } from './ddsketch.ts';
export { SKETCH_FORMAT_VERSION } from './format.ts';

/**
 * Merges serialised sketches of the given kind; the result is the bytes of the union.
 * With `a` undefined the result is `b` in canonical form. Corrupt input throws a
 * `RangeError`.
 *
 * @example
 * const x = HyperLogLog.empty(); x.add('a');
 * const y = HyperLogLog.empty(); y.add('b');
 * const both = mergeSketchBytes('hll', x.toBytes(), y.toBytes());
 * sketchValue('hll', both); // 2
 */
export function mergeSketchBytes(kind: SketchKind, a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  if (kind === 'hll') {
    const s = HyperLogLog.fromBytes(b);
    if (a !== undefined) s.merge(HyperLogLog.fromBytes(a));
    return s.toBytes();
  }
  if (kind === 'ddsketch') {
    const s = DDSketch.fromBytes(b);
    if (a !== undefined) s.merge(DDSketch.fromBytes(a));
    return s.toBytes();
  }
  throw new RangeError(`unknown sketch kind ${String(kind)}`);
}

/**
 * The distinct-count estimate of serialised HyperLogLog bytes, rounded to an integer.
 *
 * @example
 * sketchValue('hll', HyperLogLog.empty().toBytes()); // 0
 */
export function sketchValue(kind: 'hll', bytes: Uint8Array): number {
  if (kind !== 'hll') throw new RangeError(`sketchValue: unsupported kind ${String(kind)}`);
  return Math.round(HyperLogLog.fromBytes(bytes).estimate());
}

/**
 * p50, p90 and p99 of serialised DDSketch bytes (integers, minor units). An empty sketch
 * gives zeros, like the query roll-up.
 *
 * @example
 * const s = DDSketch.empty(); s.add(1999);
 * sketchQuantiles(s.toBytes()); // { p50: 1999, p90: 1999, p99: 1999 }
 */
export function sketchQuantiles(bytes: Uint8Array): { p50: number; p90: number; p99: number } {
  const s = DDSketch.fromBytes(bytes);
  if (s.count() === 0) return { p50: 0, p90: 0, p99: 0 };
  return { p50: s.quantile(0.5), p90: s.quantile(0.9), p99: s.quantile(0.99) };
}
