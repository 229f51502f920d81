/**
 * A small bounded memo for pure functions of a string (cleaning a user agent, a page URL,
 * a referrer, an IP address). Values repeat heavily inside a batch — one session sends
 * the same user agent, IP and referrers with every event, and a shop has few pages — so
 * a hit replaces a scan, a parse or a regular expression with one map lookup, and
 * records share the cleaned strings instead of each keeping its own copy.
 *
 * Bounded in entries and in key length, so a hostile stream of distinct values costs at
 * most `maxEntries × maxKeyLength` characters: when full, the memo starts over (cheaper
 * than LRU bookkeeping, and a batch's working set is refilled within a few records).
 * Only pure functions may be memoised: a hit must equal a fresh call.
 */
export class StringMemo<V> {
  readonly #map = new Map<string, V>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyLength: number,
  ) {}

  /**
   * The remembered value for `key`, or undefined.
   *
   * @example
   * const memo = new StringMemo<number>(1000, 256);
   * memo.get('x'); // undefined
   */
  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  /**
   * Remembers `value` for `key` (not when the key is longer than the memo's limit).
   *
   * @example
   * const memo = new StringMemo<number>(1000, 256);
   * memo.set('x', 1);
   * memo.get('x'); // 1
   */
  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return;
    if (this.#map.size >= this.maxEntries) this.#map.clear();
    this.#map.set(key, value);
  }

  /** Number of entries (for tests). */
  get size(): number {
    return this.#map.size;
  }
}
