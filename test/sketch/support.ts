/**
 * Deterministic random data for the sketch tests: a seeded generator, so accuracy bounds are
 * checked on the same sets on every run (no flaky statistical tests).
 */

/**
 * SplitMix32-style generator of floats in [0, 1).
 *
 * @example
 * const rnd = seeded(1);
 * rnd(); // 0.…
 */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

/**
 * `n` distinct visitor-like ids of 20–40 characters (distinct by construction: the index is
 * part of each id; the random part varies the hash input).
 *
 * @example
 * distinctIds(3, 1); // ['v1-0-…', 'v1-1-…', 'v1-2-…']
 */
export function distinctIds(n: number, seed: number): string[] {
  const rnd = seeded(seed);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `v${seed}-${i}-${Math.floor(rnd() * 2 ** 32).toString(36)}-anon`.slice(0, 40);
  return out;
}

/**
 * A standard normal deviate (Box–Muller).
 *
 * @example
 * normal(seeded(1));
 */
export function normal(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/**
 * Splits `xs` into `k` consecutive chunks of random sizes.
 *
 * @example
 * chunks([1, 2, 3], [0, 2]); // [[], [1, 2], [3]]
 */
export function chunks<T>(xs: readonly T[], cuts: readonly number[]): T[][] {
  const sorted = [...cuts].map((c) => Math.min(Math.max(c, 0), xs.length)).sort((a, b) => a - b);
  const out: T[][] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(xs.slice(prev, c));
    prev = c;
  }
  out.push(xs.slice(prev));
  return out;
}
