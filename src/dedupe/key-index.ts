/**
 * A set of string keys that numbers them 0, 1, 2, … in insertion order: open addressing
 * over typed arrays, for de-duplication, which adds one fresh key per record (thousands per
 * batch). A `Map` or `Set` that grows to that size rebuilds its table at every doubling, in
 * the garbage-collected heap, and a batch's worth of tables and entries is what a scavenge
 * then has to copy; here the tables are typed arrays (outside the scanned heap) and only
 * the key strings themselves are references.
 *
 * The hash covers the whole key, seeded per process, so keys sent by a producer cannot be
 * chosen to collide in every process. Should a batch still probe far too long (a flood of
 * colliding keys), the index falls back to a `Map` for the rest of its life: correctness
 * never depends on the hash.
 */

/** Per-process seed of the key hash. */
const SEED = (Math.random() * 0x100000000) | 0;

/** Probes per key, on average, beyond which the index gives up on its own table. */
const MAX_AVERAGE_PROBES = 8;

function hashKey(s: string): number {
  let h = SEED ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

/**
 * Keys numbered in insertion order.
 *
 * @example
 * const index = new KeyIndex(16);
 * index.add('e1'); // 0
 * index.add('e2'); // 1
 * index.find('e1'); // 0
 * index.find('e3'); // -1
 */
export class KeyIndex {
  /** key of each number */
  readonly keys: string[] = [];
  #hashes: Int32Array;
  /** number + 1 of the key in each slot, 0 for an empty slot */
  #slots: Int32Array;
  #mask: number;
  #probes = 0;
  /** the fallback, once probing went too far */
  #map: Map<string, number> | null = null;

  /**
   * `expected`: how many keys will likely be added (the table grows beyond it as needed).
   * `maxAverageProbes`: the flood guard (tests lower it to reach the fallback).
   */
  constructor(
    expected: number,
    private readonly maxAverageProbes = MAX_AVERAGE_PROBES,
  ) {
    let slots = 16;
    while (slots < expected * 2) slots *= 2;
    this.#slots = new Int32Array(slots);
    this.#hashes = new Int32Array(slots >> 1);
    this.#mask = slots - 1;
  }

  /** Number of keys. */
  get size(): number {
    return this.keys.length;
  }

  /**
   * The number of `key`, or -1 when it was never added.
   *
   * @example
   * new KeyIndex(4).find('x'); // -1
   */
  find(key: string): number {
    if (this.#map !== null) return this.#map.get(key) ?? -1;
    const h = hashKey(key);
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const n = slots[i]! - 1;
      if (n < 0) return -1;
      if (this.#hashes[n] === h && this.keys[n] === key) return n;
    }
  }

  /**
   * Adds `key` and returns its number; a key already there keeps (and returns) its number.
   *
   * @example
   * const index = new KeyIndex(4);
   * index.add('x'); // 0
   * index.add('x'); // 0
   */
  add(key: string): number {
    if (this.#map !== null) return this.#addToMap(key);
    const h = hashKey(key);
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const n = slots[i]! - 1;
      if (n < 0) break;
      if (this.#hashes[n] === h && this.keys[n] === key) return n;
      this.#probes++;
    }
    const n = this.keys.length;
    if (this.#probes > this.maxAverageProbes * (n + 16)) {
      this.#toMap();
      return this.#addToMap(key);
    }
    this.keys.push(key);
    if (n >= this.#hashes.length) {
      const hashes = new Int32Array(this.#hashes.length * 2);
      hashes.set(this.#hashes);
      this.#hashes = hashes;
    }
    this.#hashes[n] = h;
    slots[i] = n + 1;
    // At most half full, so probes stay short.
    if ((n + 1) * 2 > slots.length) this.#grow();
    return n;
  }

  #grow(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let n = 0; n < this.keys.length; n++) {
      let i = this.#hashes[n]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = n + 1;
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  #toMap(): void {
    const map = new Map<string, number>();
    for (let n = 0; n < this.keys.length; n++) map.set(this.keys[n]!, n);
    this.#map = map;
  }

  #addToMap(key: string): number {
    const map = this.#map!;
    const known = map.get(key);
    if (known !== undefined) return known;
    const n = this.keys.length;
    this.keys.push(key);
    map.set(key, n);
    return n;
  }
}
