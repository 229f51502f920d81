/**
 * In-memory de-duplication store: the same decisions as the DynamoDB store, kept in a Map.
 * Used by tests and by `DEDUPE_MODE=memory` (cheaper, but forgets on restart and is per
 * process, so a producer duplicate handled by another process is counted again).
 */
import type { DedupeClaim, DedupeStore, StreamKind } from '../types.ts';
import { KeyIndex } from './key-index.ts';

interface Seen {
  pos: string;
  arr: number;
}

/**
 * Decides one claim against what the store remembers for its key (shared with the DynamoDB
 * store so both decide alike). Returns whether the claim counts and whether the remembered
 * entry should become the claim.
 *
 * - no entry, or the entry's own position (a replay of itself) → new, remember;
 * - the entry arrived more than `horizon` before the claim (expired) → new, remember;
 * - the entry arrived more than `horizon` AFTER the claim → new (the claim came first and
 *   nothing within the horizon preceded it), but keep the later entry, which is the one
 *   that future copies must be compared with;
 * - otherwise → duplicate.
 *
 * All times are arrival times in the stream, never the processing clock, so a replay
 * decides the same way.
 *
 * @example
 * decideClaim({ pos: 'a', arr: 0 }, { stream: 'clickstream', key: 'e1', posKey: 'b', arrivalMs: 10 }, 3_600_000)
 * // → { verdict: 'duplicate', remember: false }
 */
export function decideClaim(seen: Seen | undefined, claim: DedupeClaim, horizonMs: number): { verdict: 'new' | 'duplicate'; remember: boolean } {
  // The bare sequence number too: what a store wrote before positions named their shard.
  if (seen === undefined || seen.pos === claimPosition(claim) || seen.pos === claim.posKey || seen.arr < claim.arrivalMs - horizonMs) return { verdict: 'new', remember: true };
  if (seen.arr > claim.arrivalMs + horizonMs) return { verdict: 'new', remember: false };
  return { verdict: 'duplicate', remember: false };
}

/**
 * The position a claim remembers: `<shardId>/<posKey>` (see `DedupeClaim.shardId`).
 *
 * @example
 * claimPosition({ stream: 'clickstream', key: 'e1', shardId: 'shardId-000000000001', posKey: '0021…', arrivalMs: 0 }); // → 'shardId-000000000001/0021…'
 */
export function claimPosition(c: DedupeClaim): string {
  return c.shardId === undefined ? c.posKey : `${c.shardId}/${c.posKey}`;
}

/**
 * A `DedupeStore` in memory.
 *
 * @example
 * const store = new MemoryDedupeStore({ clickstream: 3_600_000, transactions: 86_400_000 });
 * await store.claim([{ stream: 'clickstream', key: 'e1', posKey, arrivalMs }]); // → ['new']
 */
export class MemoryDedupeStore implements DedupeStore {
  // One table per stream, keyed by the bare key: no `stream#key` string to build per claim.
  // Each key's number indexes the position and arrival remembered for it: no entry object
  // per key, and the index's tables are typed arrays (see `KeyIndex`).
  private readonly seen: Record<StreamKind, Remembered> = { clickstream: remembered(), transactions: remembered() };
  private latestArrival = -Infinity;
  private claimsSincePrune = 0;

  constructor(private readonly horizons: { clickstream: number; transactions: number }) {}

  /**
   * Decides each claim in input order (see `decideClaim`).
   *
   * @example
   * await store.claim([{ stream: 'transactions', key: 't1|purchase|completed', posKey, arrivalMs }]); // → ['new']
   */
  async claim(claims: readonly DedupeClaim[]): Promise<('new' | 'duplicate')[]> {
    const out: ('new' | 'duplicate')[] = new Array(claims.length);
    for (let i = 0; i < claims.length; i++) {
      const c = claims[i]!;
      const seen = this.seen[c.stream];
      const horizon = this.horizons[c.stream];
      const before = seen.keys.size;
      const n = seen.keys.add(c.key);
      // `decideClaim`, inlined: this runs once per record and its result object is garbage.
      // Position compared as (shard, sequence number), kept apart: no string built per claim.
      if (n === before || (seen.pos[n] === c.posKey && seen.shard[n] === c.shardId) || seen.arr[n]! < c.arrivalMs - horizon) {
        seen.pos[n] = c.posKey;
        seen.shard[n] = c.shardId;
        seen.arr[n] = c.arrivalMs;
        out[i] = 'new';
      } else out[i] = seen.arr[n]! > c.arrivalMs + horizon ? 'new' : 'duplicate';
      if (c.arrivalMs > this.latestArrival) this.latestArrival = c.arrivalMs;
    }
    this.claimsSincePrune += claims.length;
    if (this.claimsSincePrune >= 10_000) this.prune();
    return out;
  }

  /** Number of keys remembered (for tests and stats). */
  get size(): number {
    return this.seen.clickstream.keys.size + this.seen.transactions.keys.size;
  }

  /**
   * Forgets keys that can no longer make anything a duplicate: those that arrived more than
   * twice the horizon before the latest arrival seen (the second horizon is slack for shards
   * that lag behind the others). Arrival-based, like every decision here.
   */
  private prune(): void {
    this.claimsSincePrune = 0;
    for (const stream of ['clickstream', 'transactions'] as const) {
      const limit = this.latestArrival - 2 * this.horizons[stream];
      const old = this.seen[stream];
      let keep = 0;
      for (let n = 0; n < old.keys.size; n++) if (!(old.arr[n]! < limit)) keep++;
      if (keep === old.keys.size) continue;
      const kept = remembered(keep);
      for (let n = 0; n < old.keys.size; n++) {
        if (old.arr[n]! < limit) continue;
        const m = kept.keys.add(old.keys.keys[n]!);
        kept.pos[m] = old.pos[n]!;
        kept.shard[m] = old.shard[n];
        kept.arr[m] = old.arr[n]!;
      }
      this.seen[stream] = kept;
    }
  }
}

/** What the store remembers of one stream: per key number, the claiming position and its arrival. */
interface Remembered {
  keys: KeyIndex;
  pos: string[];
  /** the shard of `pos` (a sequence number is unique within its shard only) */
  shard: (string | undefined)[];
  arr: number[];
}

function remembered(expected = 1024): Remembered {
  return { keys: new KeyIndex(expected), pos: [], shard: [], arr: [] };
}
