/**
 * Cleaning of a validated transaction (SPEC §3) into the stored {@link CleanTransaction}.
 */
import type { CleanTransaction, ValidTransaction } from '../types.ts';
import { CAPS } from './caps.ts';
import { normalizeCountry } from './country.ts';
import { cleanId } from './privacy.ts';

/**
 * Cleans a validated transaction: `customerId`, `sessionId`, `originalTransactionId` and
 * every item's `sku` are cleaned like identifiers ({@link cleanId}: control characters
 * removed, trimmed, an e-mail address replaced by a stable pseudonym, capped; optional ones
 * that clean to nothing are `null`, required ones `''`); `country` is normalised (`ZZ` when
 * unknown). Money, currency (already upper-case), type, status and payment method are kept
 * as validation produced them; `transactionId` is kept as it is (`[A-Za-z0-9_-]` only, and
 * part of the de-duplication key).
 *
 * @example
 * const t = cleanTransaction({ transactionId: 't1', type: 'purchase', status: 'completed',
 *   occurredAtMs: 1714564800000, customerId: ' c1 ', amountMinor: 1999, currency: 'USD',
 *   items: [{ sku: ' SKU-1 ', quantity: 2, unitPriceMinor: 999 }], paymentMethod: 'card', country: 'us' });
 * // t.customerId === 'c1', t.items[0].sku === 'SKU-1', t.country === 'US', t.sessionId === null
 */
export function cleanTransaction(input: ValidTransaction): CleanTransaction {
  const items: CleanTransaction['items'] = new Array(input.items.length);
  for (let i = 0; i < input.items.length; i++) {
    const it = input.items[i]!;
    items[i] = { sku: cleanId(it.sku, CAPS.shortId) ?? '', quantity: it.quantity, unitPriceMinor: it.unitPriceMinor };
  }
  return {
    kind: 'transactions',
    transactionId: input.transactionId,
    type: input.type,
    status: input.status,
    occurredAtMs: input.occurredAtMs,
    customerId: cleanId(input.customerId, CAPS.longId) ?? '',
    amountMinor: input.amountMinor,
    currency: input.currency,
    items,
    paymentMethod: input.paymentMethod,
    country: normalizeCountry(input.country),
    sessionId: cleanId(input.sessionId, CAPS.longId),
    originalTransactionId: cleanId(input.originalTransactionId, CAPS.longId),
  };
}
