/**
 * Classification of decoded user records (SPEC §2): rejected, then filtered; what survives
 * both is a *candidate* that de-duplication turns into counted or duplicate. Cleaning
 * (SPEC §3) happens here too, for candidates only: filtered records are not stored.
 */
import { cleanClick } from '../clean/clean-click.ts';
import { cleanTransaction } from '../clean/clean-transaction.ts';
import type { CidrMatcher } from '../filter/cidr.ts';
import { filterReason } from '../filter/filter.ts';
import type { ClassifiedRecord, CleanRecord, DecodedRecord, Outcome, StreamKind } from '../types.ts';
import { validateClick, validateTransaction, type ValidateOptions } from '../validate/index.ts';

export interface ClassifyOptions {
  validate: ValidateOptions;
  internalCidrs: CidrMatcher;
}

// One constructor, one object shape for every outcome: this runs once per record and V8
// keeps monomorphic code only when all records look alike.
function record(
  d: DecodedRecord,
  outcome: Outcome,
  reason: ClassifiedRecord['reason'],
  detail: string | undefined,
  dedupeKey: string | undefined,
  clean: CleanRecord | undefined,
  rawBase64: string | undefined,
): ClassifiedRecord {
  return { position: d.position, posKey: d.posKey, arrivalMs: d.arrivalMs, outcome, reason, detail, dedupeKey, clean, rawBase64, replaces: undefined };
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
  if (d.reject) return record(d, 'rejected', d.reject, d.detail ?? d.reject, undefined, undefined, d.rawBase64);
  if (stream === 'clickstream') {
    const v = validateClick(d.value, d.arrivalMs, options.validate);
    if (!v.ok) return record(d, 'rejected', v.reason, v.detail, undefined, undefined, d.rawBase64);
    const filtered = filterReason(v.value, stream, options.internalCidrs);
    if (filtered) return record(d, 'filtered', filtered, undefined, v.value.eventId, undefined, undefined);
    return record(d, 'counted', null, undefined, v.value.eventId, cleanClick(v.value), undefined);
  }
  const v = validateTransaction(d.value, d.arrivalMs, options.validate);
  if (!v.ok) return record(d, 'rejected', v.reason, v.detail, undefined, undefined, d.rawBase64);
  const filtered = filterReason(v.value, stream, options.internalCidrs);
  const dedupeKey = `${v.value.transactionId}|${v.value.type}|${v.value.status}`;
  if (filtered) return record(d, 'filtered', filtered, undefined, dedupeKey, undefined, undefined);
  return record(d, 'counted', null, undefined, dedupeKey, cleanTransaction(v.value), undefined);
}
