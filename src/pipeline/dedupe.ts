/**
 * De-duplication of candidates (SPEC §2 "duplicate"), in two steps: within the batch (a
 * later copy of a key is a duplicate of the first), then against the durable store, which
 * remembers the position that first counted each key, so a replay of the same record is
 * never its own duplicate.
 */
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
  const firstByKey = new Map<string, ClassifiedRecord>();
  const claimants: ClassifiedRecord[] = [];
  for (const r of records) {
    if (r.outcome !== 'counted' || r.dedupeKey === undefined) continue;
    if (firstByKey.has(r.dedupeKey)) {
      // One reason for both kinds: a bisected retry may see the same copy alone and find
      // its twin in the store instead, and the `records` metric must not depend on batching.
      r.outcome = 'duplicate';
      r.reason = 'duplicate';
      continue;
    }
    firstByKey.set(r.dedupeKey, r);
    claimants.push(r);
  }
  if (store && claimants.length > 0) {
    const claims: DedupeClaim[] = claimants.map((r) => ({ stream, key: r.dedupeKey!, posKey: r.posKey, arrivalMs: r.arrivalMs }));
    const verdicts = await store.claim(claims);
    verdicts.forEach((v, i) => {
      if (v === 'duplicate') {
        const r = claimants[i]!;
        r.outcome = 'duplicate';
        r.reason = 'duplicate';
      }
    });
  }
  return records;
}
