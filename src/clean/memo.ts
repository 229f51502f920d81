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
  /**
   * A two-way set-associative front of the map, indexed by a hash of a few sampled characters: most
   * keys are fresh strings parsed from this record's JSON, whose full hash `Map.get` must
   * compute character by character (a 130-character user agent, a URL, three ids per
   * record); a slot hit costs a few `charCodeAt` and one or two string comparisons. A slot
   * only ever holds a key the map held, with its value, so a hit is what the map would say.
   */
  readonly #slotKeys: (string | undefined)[];
  readonly #slotValues: (V | undefined)[];
  readonly #mask: number;

  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyLength: number,
  ) {
    // A power of two at least `maxEntries`, at most 8,192 slots: a batch's keys (up to a
    // couple of thousand ids) collide little.
    let slots = 2;
    while (slots < Math.min(maxEntries, 8192)) slots *= 2;
    this.#slotKeys = new Array<string | undefined>(slots).fill(undefined);
    this.#slotValues = new Array<V | undefined>(slots).fill(undefined);
    // even slot numbers: each names a pair of slots
    this.#mask = slots - 2;
  }

  /**
   * The remembered value for `key`, or undefined.
   *
   * @example
   * const memo = new StringMemo<number>(1000, 256);
   * memo.get('x'); // undefined
   */
  get(key: string): V | undefined {
    // Two-way: a key may sit in either slot of its pair (the most recent in the first).
    const slot = sampleHash(key) & this.#mask;
    if (this.#slotKeys[slot] === key) return this.#slotValues[slot];
    if (this.#slotKeys[slot + 1] === key) return this.#slotValues[slot + 1];
    const value = this.#map.get(key);
    if (value !== undefined) this.#remember(slot, key, value);
    return value;
  }

  #remember(slot: number, key: string, value: V): void {
    this.#slotKeys[slot + 1] = this.#slotKeys[slot];
    this.#slotValues[slot + 1] = this.#slotValues[slot];
    this.#slotKeys[slot] = key;
    this.#slotValues[slot] = value;
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
    if (this.#map.size >= this.maxEntries) {
      this.#map.clear();
      this.#slotKeys.fill(undefined);
      this.#slotValues.fill(undefined);
    }
    this.#map.set(key, value);
    this.#remember(sampleHash(key) & this.#mask, key, value);
  }

  /** Number of entries (for tests). */
  get size(): number {
    return this.#map.size;
  }
}

/**
 * A cheap hash of a string: its length and eight characters spread over it (the last ones
 * included, where ids and addresses tend to differ; titles and URLs of one shop share long
 * stretches, so the samples cover the whole string). Only for spreading keys over the slots
 * of a direct-mapped cache: equality must always be checked on the whole key.
 *
 * @example
 * const slot = sampleHash('sess_TiSowhwfRgV7wicv') & 1023;
 */
export function sampleHash(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  const q = n >> 3;
  let h = Math.imul(n, 0x9e3779b1);
  h = Math.imul(h ^ s.charCodeAt(n - 1), 0x85ebca6b);
  h = Math.imul(h ^ s.charCodeAt(n >> 1), 0xc2b2ae35);
  h = Math.imul(h ^ s.charCodeAt(q), 0x27d4eb2f);
  h = Math.imul(h ^ s.charCodeAt(q * 2), 0x165667b1);
  h = Math.imul(h ^ s.charCodeAt(q * 3), 0x9e3779b1);
  h = Math.imul(h ^ s.charCodeAt(q * 5), 0x85ebca6b);
  h = Math.imul(h ^ s.charCodeAt(q * 6), 0xc2b2ae35);
  h = Math.imul(h ^ s.charCodeAt(n > 1 ? n - 2 : 0), 0x27d4eb2f);
  return h ^ (h >>> 15);
}
