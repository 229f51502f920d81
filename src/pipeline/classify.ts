/**
 * Classification of decoded user records (SPEC §2): rejected, then filtered; what survives
 * both is a *candidate* that de-duplication turns into counted or duplicate. Cleaning
 * (SPEC §3) happens here too, for candidates only: filtered records are not stored.
 */
import { cleanClick } from '../clean/clean-click.ts';
import { cleanTransaction } from '../clean/clean-transaction.ts';
import type { CidrMatcher } from '../filter/cidr.ts';
import { filterReason } from '../filter/filter.ts';
import type { ClassifiedRecord, DecodedRecord, StreamKind } from '../types.ts';
import { validateClick, validateTransaction, type ValidateOptions } from '../validate/index.ts';

export interface ClassifyOptions {
  validate: ValidateOptions;
  internalCidrs: CidrMatcher;
}

/**
 * Classifies one decoded record. Candidates come back with `outcome: 'counted'` and a
 * `dedupeKey`; de-duplication may still turn them into duplicates.
 *
 * @example
 * const r = classify('clickstream', decoded, { validate: { allowedLatenessMs, futureToleranceMs }, internalCidrs });
 * if (r.outcome === 'rejected') console.log(r.reason);
 */
export function classify(stream: StreamKind, d: DecodedRecord, options: ClassifyOptions): ClassifiedRecord {
  const base = { position: d.position, posKey: d.posKey, arrivalMs: d.arrivalMs };
  if (d.reject) return { ...base, outcome: 'rejected', reason: d.reject, detail: d.detail ?? d.reject, rawBase64: d.rawBase64 };
  if (stream === 'clickstream') {
    const v = validateClick(d.value, d.arrivalMs, options.validate);
    if (!v.ok) return { ...base, outcome: 'rejected', reason: v.reason, detail: v.detail, rawBase64: d.rawBase64 };
    const filtered = filterReason(v.value, stream, options.internalCidrs);
    if (filtered) return { ...base, outcome: 'filtered', reason: filtered, dedupeKey: v.value.eventId };
    return { ...base, outcome: 'counted', reason: null, dedupeKey: v.value.eventId, clean: cleanClick(v.value) };
  }
  const v = validateTransaction(d.value, d.arrivalMs, options.validate);
  if (!v.ok) return { ...base, outcome: 'rejected', reason: v.reason, detail: v.detail, rawBase64: d.rawBase64 };
  const filtered = filterReason(v.value, stream, options.internalCidrs);
  const dedupeKey = `${v.value.transactionId}|${v.value.type}|${v.value.status}`;
  if (filtered) return { ...base, outcome: 'filtered', reason: filtered, dedupeKey };
  return { ...base, outcome: 'counted', reason: null, dedupeKey, clean: cleanTransaction(v.value) };
}
