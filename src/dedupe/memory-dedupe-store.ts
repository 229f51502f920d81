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
  private readonly seen = new Map<string, Seen>();
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
    const out = claims.map((c) => {
      const id = `${c.stream}#${c.key}`;
      const { verdict, remember } = decideClaim(this.seen.get(id), c, this.horizonOf(c.stream));
      if (remember) this.seen.set(id, { pos: c.posKey, arr: c.arrivalMs });
      if (c.arrivalMs > this.latestArrival) this.latestArrival = c.arrivalMs;
      return verdict;
    });
    this.claimsSincePrune += claims.length;
    if (this.claimsSincePrune >= 10_000) this.prune();
    return out;
  }

  /** Number of keys remembered (for tests and stats). */
  get size(): number {
    return this.seen.size;
  }

  private horizonOf(stream: StreamKind): number {
    return this.horizons[stream];
  }

  /**
   * Forgets keys that can no longer make anything a duplicate: those that arrived more than
   * twice the horizon before the latest arrival seen (the second horizon is slack for shards
   * that lag behind the others). Arrival-based, like every decision here.
   */
  private prune(): void {
    this.claimsSincePrune = 0;
    for (const [id, s] of this.seen) {
      const stream = id.slice(0, id.indexOf('#')) as StreamKind;
      if (s.arr < this.latestArrival - 2 * this.horizonOf(stream)) this.seen.delete(id);
    }
  }
}
