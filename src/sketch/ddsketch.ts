/**
 * DDSketch (Masson, Rim, Lee, VLDB 2019) for quantiles of non-negative integer amounts
 * (minor units), with relative accuracy α = 0.005, a logarithmic index mapping, integer
 * counts, a separate zero count, exact min and max, and deterministic bytes. Written here
 * because the libraries at hand fall short (DESIGN-NOTES "Sketch libraries": e.g.
 * `@datadog/sketches-js` loses min and max when deserialised) and SPEC §5 needs bytes that
 * depend on the content only.
 *
 * Accuracy. A value x ≥ 1 goes to bucket k = ⌈ln x / ln γ⌉ with γ = (1+α)/(1−α); the bucket
 * covers (γ^(k−1), γ^k] and is represented by γ^(k−1)·(1+α), within α of every value in it.
 * The quantile is then rounded to an integer and clamped to the exact [min, max]. For
 * x < 100 the bucket value is within 0.5 of x, so rounding gives x exactly; above, the error
 * is at most α + 0.5/x ≤ 1%. That is why α = 0.005 and not 0.01: it leaves room for the
 * rounding (SPEC §4 asks for ≤ 1% relative error).
 *
 * Quantile definition: linear interpolation between the elements at 0-based indexes ⌊h⌋ and
 * ⌊h⌋+1 of the sorted values, h = q·(n−1) — what `PERCENTILE_CONT` gives an analyst on the
 * cleaned `transactions` table in Redshift, and numpy's and pandas' default. Each element is
 * estimated as DDSketch does (the value of the first bucket whose cumulative count exceeds
 * its rank); the first and last are the exact min and max.
 *
 * Bounded size without collapsing. Values are integers in [0, 2^53 − 1], so keys lie in
 * [0, 3674]: a sketch never has more than 3,675 buckets, whatever it holds. The bound holds
 * by construction, so no bucket is ever collapsed and every quantile keeps its 1% guarantee
 * over the whole range (a collapsing store with
 * 2,048 buckets, as DataDog's, loses accuracy as soon as one window holds amounts more than
 * ~8·10^8 apart, e.g. 1 and 1,200,000,000 minor units). Worst case bytes: under 30 KB
 * (every bucket used, counts summing to 2^53: a 1-byte key delta and at most 7-byte count per
 * bucket; base64 under 40 K characters, below Redshift's 65,535-character varchar; the test
 * measures 23 KB with counts of 2^40). Realistic: ~2 bytes per distinct bucket. fromBytes
 * refuses more buckets than keys exist.
 *
 * Determinism. Bucket keys come from `Math.log`, which V8 computes with its own fdlibm port
 * (the same on every platform Node runs on), so one value maps to one key everywhere we
 * run. The bytes list buckets in key order, so they depend on the multiset of values only.
 *
 * Bytes (version 1): `01 03` varint(zeroCount) varint(bucketCount), then when the total
 * count is positive varint(min) varint(max), then the buckets in increasing key order:
 * varint(key for the first, key − previous key after) varint(count).
 */
import { ByteReader, ByteWriter } from './varint.ts';
import { SKETCH_FORMAT_VERSION, TAG_DDSKETCH } from './format.ts';

/** Relative accuracy of the bucket values (before integer rounding). */
export const DDSKETCH_RELATIVE_ACCURACY = 0.005;
const ALPHA = DDSKETCH_RELATIVE_ACCURACY;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LN_GAMMA = Math.log(GAMMA);

/** Bucket key of a value ≥ 1. */
function keyOf(v: number): number {
  return Math.ceil(Math.log(v) / LN_GAMMA);
}

/** Representative value of bucket `k`: within α of every value in (γ^(k−1), γ^k]. */
function valueOf(k: number): number {
  return Math.pow(GAMMA, k - 1) * (1 + ALPHA);
}

/** Largest key a valid value (≤ 2^53 − 1) can have. */
const MAX_KEY = keyOf(Number.MAX_SAFE_INTEGER);

/** Most buckets a sketch can hold: one per key 0..MAX_KEY (3,675). */
export const DDSKETCH_MAX_BUCKETS = MAX_KEY + 1;

/**
 * A mergeable quantile sketch of non-negative integers (amounts in minor units).
 *
 * @example
 * const s = DDSketch.empty();
 * for (const v of [100, 200, 300, 400, 500]) s.add(v);
 * s.quantile(0.5); // 300 (within 1%)
 * DDSketch.fromBytes(s.toBytes()).count(); // 5
 */
export class DDSketch {
  private zeroCount = 0;
  private total = 0;
  private min = Infinity;
  private max = -Infinity;
  /** bucket key → count (positive values only) */
  private buckets = new Map<number, number>();
  /** keys in increasing order, cached for quantile(); null when stale */
  private sorted: number[] | null = null;

  private constructor() {}

  /**
   * A sketch of no values.
   *
   * @example
   * DDSketch.empty().count(); // 0
   */
  static empty(): DDSketch {
    return new DDSketch();
  }

  /**
   * Adds `value` `count` times. `value` must be a safe integer ≥ 0 (minor units) and
   * `count` a safe integer ≥ 0; anything else, or a total count beyond 2^53 − 1, throws a
   * `RangeError` (the amount validation upstream already guarantees this).
   *
   * @example
   * const s = DDSketch.empty();
   * s.add(1999);
   * s.add(0, 3);
   */
  add(value: number, count = 1): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`DDSketch: value must be a safe integer ≥ 0, got ${value}`);
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`DDSketch: count must be a safe integer ≥ 0, got ${count}`);
    if (count === 0) return;
    if (this.total + count > Number.MAX_SAFE_INTEGER) throw new RangeError('DDSketch: total count above 2^53 − 1');
    this.total += count;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value === 0) this.zeroCount += count;
    else this.addKey(keyOf(value), count);
  }

  /**
   * Merges `other` into this sketch (multiset union: bucket-wise sum, zero counts summed,
   * min of mins, max of maxes). Exact: equals the sketch built at once. `other` is not
   * modified.
   *
   * @example
   * const a = DDSketch.empty(); a.add(10);
   * const b = DDSketch.empty(); b.add(20);
   * a.merge(b);
   * a.count(); // 2
   */
  merge(other: DDSketch): void {
    if (other.total === 0) return;
    if (this.total + other.total > Number.MAX_SAFE_INTEGER) throw new RangeError('DDSketch: total count above 2^53 − 1');
    // snapshot first: merging a sketch into itself must double it, not loop
    const entries = [...other.buckets];
    this.total += other.total;
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    for (const [k, c] of entries) this.addKey(k, c);
  }

  /**
   * The value at quantile `q` (0 ≤ q ≤ 1), interpolated linearly between the two elements
   * around rank q·(n−1), as PostgreSQL's and Redshift's `PERCENTILE_CONT`, numpy's and
   * pandas' default and a spreadsheet's `PERCENTILE.INC` define it: with h = q·(n−1),
   * x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]) over the sorted values. Each of the two elements
   * is estimated within 1% (exact for the first and last and for values below 100), so their
   * weighted mean is too; it is rounded to hundredths of a minor unit. NaN for an empty sketch.
   *
   * @example
   * const s = DDSketch.empty();
   * for (let v = 1; v <= 1000; v++) s.add(v * 100);
   * s.quantile(0.9); // ≈ 90,010 (within 1%: x[899] = 90,000, x[900] = 90,100, h = 899.1)
   * const two = DDSketch.empty();
   * two.add(1000); two.add(2050);
   * two.quantile(0.5); // 1525
   */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`DDSketch: quantile must be in [0, 1], got ${q}`);
    if (this.total === 0) return NaN;
    const h = q * (this.total - 1);
    const lo = Math.floor(h);
    const v = this.valueAt(lo);
    const frac = h - lo;
    if (frac === 0) return v;
    const x = v + (this.valueAt(lo + 1) - v) * frac;
    const hundredths = Math.round(x * 100);
    return Number.isSafeInteger(hundredths) ? hundredths / 100 : x;
  }

  /**
   * An integer within 1% of the element at 0-based index `i` of the sorted values: the value
   * of the first bucket whose cumulative count exceeds `i`, clamped to the exact [min, max];
   * the exact min and max for the first and last element.
   */
  private valueAt(i: number): number {
    if (i <= 0) return this.min;
    if (i >= this.total - 1) return this.max;
    if (i < this.zeroCount) return 0;
    const r = i - this.zeroCount;
    let cum = 0;
    const keys = this.sortedKeys();
    let key = keys[keys.length - 1]!; // unreachable fallback: counts add up to the total
    for (const k of keys) {
      cum += this.buckets.get(k)!;
      if (cum > r) {
        key = k;
        break;
      }
    }
    const v = Math.round(valueOf(key));
    return v < this.min ? this.min : v > this.max ? this.max : v;
  }

  /**
   * Number of values added.
   *
   * @example
   * DDSketch.empty().count(); // 0
   */
  count(): number {
    return this.total;
  }

  /**
   * The canonical bytes (see the file comment for the format).
   *
   * @example
   * DDSketch.empty().toBytes(); // Uint8Array [1, 3, 0, 0]
   */
  toBytes(): Uint8Array {
    const keys = this.sortedKeys();
    const w = new ByteWriter(16 + keys.length * 4);
    w.byte(SKETCH_FORMAT_VERSION);
    w.byte(TAG_DDSKETCH);
    w.varint(this.zeroCount);
    w.varint(keys.length);
    if (this.total > 0) {
      w.varint(this.min);
      w.varint(this.max);
    }
    let prev = 0;
    for (const k of keys) {
      w.varint(k - prev);
      w.varint(this.buckets.get(k)!);
      prev = k;
    }
    return w.finish();
  }

  /**
   * Reads bytes written by `toBytes`. Corrupt or inconsistent input (wrong version or tag,
   * truncation, trailing bytes, unsorted or too many buckets, zero counts, min/max that do
   * not match the buckets, totals beyond 2^53 − 1) throws a `RangeError`; work and memory
   * are bounded by the input length.
   *
   * @example
   * DDSketch.fromBytes(DDSketch.empty().toBytes()).count(); // 0
   */
  static fromBytes(bytes: Uint8Array): DDSketch {
    const r = new ByteReader(bytes, 'DDSketch');
    const version = r.byte();
    if (version !== SKETCH_FORMAT_VERSION) r.fail(`unsupported format version ${version}`);
    const tag = r.byte();
    if (tag !== TAG_DDSKETCH) r.fail(`not a DDSketch (type tag ${tag})`);
    const s = new DDSketch();
    s.zeroCount = r.varint();
    const n = r.varint();
    if (n > DDSKETCH_MAX_BUCKETS || n * 2 > r.remaining) r.fail(`implausible bucket count ${n}`);
    let total = s.zeroCount;
    if (total > 0 || n > 0) {
      s.min = r.varint();
      s.max = r.varint();
    }
    let key = 0;
    const keys: number[] = [];
    for (let i = 0; i < n; i++) {
      const delta = r.varint();
      if (i > 0 && delta === 0) r.fail('buckets not strictly increasing');
      key += delta;
      if (key > MAX_KEY) r.fail(`bucket key ${key} out of range`);
      const c = r.varint();
      if (c === 0) r.fail('empty bucket');
      total += c;
      if (total > Number.MAX_SAFE_INTEGER) r.fail('total count above 2^53 − 1');
      s.buckets.set(key, c);
      keys.push(key);
    }
    r.end();
    s.total = total;
    if (total > 0) {
      const first = keys[0];
      const last = keys[keys.length - 1];
      if (s.min > s.max) r.fail('min above max');
      if ((s.zeroCount > 0) !== (s.min === 0)) r.fail('min disagrees with the zero count');
      if (last === undefined || first === undefined) {
        if (s.max !== 0) r.fail('max disagrees with the buckets');
      } else {
        if (s.max === 0 || keyOf(s.max) !== last) r.fail('max disagrees with the buckets');
        if (s.min > 0 && keyOf(s.min) !== first) r.fail('min disagrees with the buckets');
      }
      s.sorted = keys;
    }
    return s;
  }

  /** Adds `count` to bucket `k`. */
  private addKey(k: number, count: number): void {
    const old = this.buckets.get(k);
    if (old === undefined) this.sorted = null;
    this.buckets.set(k, (old ?? 0) + count);
  }

  private sortedKeys(): number[] {
    this.sorted ??= [...this.buckets.keys()].sort((a, b) => a - b);
    return this.sorted;
  }
}
