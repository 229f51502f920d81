/**
 * In-memory de-duplication store: the same decisions as the DynamoDB store, kept in a Map.
 * Used by tests and by `DEDUPE_MODE=memory` (cheaper, but forgets on restart and is per
 * process, so a producer duplicate handled by another process is counted again).
 */
import type { DedupeClaim, DedupeStore, StreamKind } from '../types.ts';

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
  if (seen === undefined || seen.pos === claim.posKey || seen.arr < claim.arrivalMs - horizonMs) return { verdict: 'new', remember: true };
  if (seen.arr > claim.arrivalMs + horizonMs) return { verdict: 'new', remember: false };
  return { verdict: 'duplicate', remember: false };
}

/**
 * A `DedupeStore` in memory.
 *
 * @example
 * const store = new MemoryDedupeStore({ clickstream: 3_600_000, transactions: 86_400_000 });
 * await store.claim([{ stream: 'clickstream', key: 'e1', posKey, arrivalMs }]); // → ['new']
 */
export class MemoryDedupeStore implements DedupeStore {
  // One map per stream, keyed by the bare key: no `stream#key` string to build and hash
  // per claim (the key's hash is cached on the string, which de-duplication hashed already).
  private readonly seen: Record<StreamKind, Map<string, Seen>> = { clickstream: new Map(), transactions: new Map() };
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
      const s = seen.get(c.key);
      // `decideClaim`, inlined: this runs once per record and its result object is garbage.
      if (s === undefined || s.pos === c.posKey || s.arr < c.arrivalMs - horizon) {
        if (s === undefined) seen.set(c.key, { pos: c.posKey, arr: c.arrivalMs });
        else {
          s.pos = c.posKey;
          s.arr = c.arrivalMs;
        }
        out[i] = 'new';
      } else out[i] = s.arr > c.arrivalMs + horizon ? 'new' : 'duplicate';
      if (c.arrivalMs > this.latestArrival) this.latestArrival = c.arrivalMs;
    }
    this.claimsSincePrune += claims.length;
    if (this.claimsSincePrune >= 10_000) this.prune();
    return out;
  }

  /** Number of keys remembered (for tests and stats). */
  get size(): number {
    return this.seen.clickstream.size + this.seen.transactions.size;
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
      for (const [key, s] of this.seen[stream]) if (s.arr < limit) this.seen[stream].delete(key);
    }
  }
}
