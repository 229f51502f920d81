/**
 * De-duplication of candidates (SPEC §2 "duplicate"), in two steps: within the batch (a
 * later copy of a key is a duplicate of the first), then against the durable store, which
 * remembers the position that first counted each key, so a replay of the same record is
 * never its own duplicate.
 */
import { KeyIndex } from '../dedupe/key-index.ts';
import type { ClassifiedRecord, DedupeClaim, DedupeStore, StreamKind } from '../types.ts';

/**
 * Marks duplicates among `records` (in place) and returns them. Only candidates
 * (`outcome: 'counted'`) are considered. With `store` null (clickstream de-duplication
 * switched off) only in-batch copies are duplicates.
 *
 * @example
 * await dedupe('clickstream', records, new MemoryDedupeStore({ clickstream: 3_600_000, transactions: 86_400_000 }));
 */
export async function dedupe(stream: StreamKind, records: ClassifiedRecord[], store: DedupeStore | null): Promise<ClassifiedRecord[]> {
  // A typed-array index rather than a Set: one fresh key per record, and a Set's growing
  // tables are garbage-collected heap that a scavenge in the middle of a batch would copy.
  const firstKeys = new KeyIndex(records.length);
  const claimants: ClassifiedRecord[] = [];
  const claims: DedupeClaim[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const key = r.dedupeKey;
    if (r.outcome !== 'counted' || key === undefined) continue;
    // One lookup: the index grows exactly when the key is new.
    const before = firstKeys.size;
    firstKeys.add(key);
    if (firstKeys.size === before) {
      // One reason for both kinds: a bisected retry may see the same copy alone and find
      // its twin in the store instead, and the `records` metric must not depend on batching.
      r.outcome = 'duplicate';
      r.reason = 'duplicate';
      continue;
    }
    claimants.push(r);
    if (store) claims.push({ stream, key, posKey: r.posKey, shardId: r.position.shardId, arrivalMs: r.arrivalMs });
  }
  if (store && claims.length > 0) {
    const verdicts = await store.claim(claims);
    for (let i = 0; i < verdicts.length; i++) {
      if (verdicts[i] === 'duplicate') {
        const r = claimants[i]!;
        r.outcome = 'duplicate';
        r.reason = 'duplicate';
      }
    }
  }
  return records;
}
