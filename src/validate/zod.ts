/**
 * Reference validators built on the zod schemas (the source of truth). Same contract as the
 * fast validators in `index.ts`; used by the equivalence property tests and available to
 * anyone who prefers zod's full issue list over speed.
 */
import type { z } from 'zod';
import type { RejectReason, ValidClick, ValidTransaction } from '../types.ts';
import { clickstreamEventSchema } from '../schema/clickstream.ts';
import { currencyDigits } from '../schema/currencies.ts';
import { occurredAtMs } from '../schema/primitives.ts';
import { transactionSchema } from '../schema/transaction.ts';
import { fail, isObject, timeWindow, toMinor } from './rules.ts';
import type { Failure, ValidateOptions, ValidationResult } from './rules.ts';

/** Reasons a schema issue can carry, most important first (the module order of `index.ts`). */
const SCHEMA_REASONS: readonly RejectReason[] = ['schema_violation', 'invalid_timestamp', 'unknown_currency'];

function reasonOf(issue: z.core.$ZodIssue, input: unknown): RejectReason {
  if (issue.code === 'custom') {
    const reason = (issue.params as { reason?: RejectReason } | undefined)?.reason;
    if (reason) return reason;
  }
  // `occurredAt` of the right JSON type but a wrong value is a timestamp problem, not a
  // schema one (a wrong JSON type stays a schema violation).
  if (issue.path.length === 1 && issue.path[0] === 'occurredAt' && isObject(input)) {
    const t = typeof input.occurredAt;
    if (t === 'string' || t === 'number') return 'invalid_timestamp';
  }
  return 'schema_violation';
}

/** The failure of a failed zod parse: the most important reason, detail of its first issue. */
function fromIssues(issues: readonly z.core.$ZodIssue[], input: unknown): Failure {
  let best: { rank: number; issue: z.core.$ZodIssue; reason: RejectReason } | undefined;
  for (const issue of issues) {
    const reason = reasonOf(issue, input);
    const rank = SCHEMA_REASONS.indexOf(reason);
    if (!best || rank < best.rank) best = { rank, issue, reason };
  }
  if (!best) throw new Error('zod reported failure without issues');
  const path = best.issue.path.length ? best.issue.path.join('.') : '(root)';
  return fail(best.reason, `${path}: ${best.issue.message}`);
}

/** occurredAt → ms after the schema accepted it (regex and parser must agree). */
function msOf(v: string | number): number {
  const ms = occurredAtMs(v);
  if (Number.isNaN(ms)) throw new Error(`ISO_TIMESTAMP_PATTERN accepted ${JSON.stringify(v)} but the parser did not`);
  return ms;
}

/**
 * Validates one clickstream event with the zod schema (reference implementation of
 * `validateClick`).
 *
 * @example
 * validateClickWithZod({ eventId: 'e1' }, 0, { allowedLatenessMs: 1, futureToleranceMs: 1 });
 * // { ok: false, reason: 'schema_violation', detail: 'type: …' }
 */
export function validateClickWithZod(
  value: unknown,
  arrivalMs: number,
  options: ValidateOptions,
): ValidationResult<ValidClick> {
  const parsed = clickstreamEventSchema.safeParse(value);
  if (!parsed.success) return fromIssues(parsed.error.issues, value);
  const r = parsed.data;
  const ms = msOf(r.occurredAt);
  let product: ValidClick['product'];
  if (r.product) {
    const currency = r.product.currency.toUpperCase();
    const priceMinor = toMinor('product.price', r.product.price, currency, currencyDigits(currency)!);
    if (typeof priceMinor !== 'number') return priceMinor;
    product = { sku: r.product.sku, quantity: r.product.quantity, priceMinor, currency };
  }
  const late = timeWindow(ms, arrivalMs, options);
  if (late) return late;
  const page: ValidClick['page'] = { url: r.page.url };
  if (r.page.referrer !== undefined) page.referrer = r.page.referrer;
  if (r.page.title !== undefined) page.title = r.page.title;
  const out: ValidClick = {
    eventId: r.eventId,
    type: r.type,
    occurredAtMs: ms,
    sessionId: r.sessionId,
    anonymousId: r.anonymousId,
    userId: r.userId ?? null,
    page,
  };
  if (product) out.product = product;
  if (r.search) out.search = { query: r.search.query };
  if (r.userAgent !== undefined) out.userAgent = r.userAgent;
  if (r.ip !== undefined) out.ip = r.ip;
  if (typeof r.country === 'string') out.country = r.country;
  if (r.test !== undefined) out.test = r.test;
  return { ok: true, value: out };
}

/**
 * Validates one transaction with the zod schema (reference implementation of
 * `validateTransaction`).
 *
 * @example
 * validateTransactionWithZod(null, 0, { allowedLatenessMs: 1, futureToleranceMs: 1 });
 * // { ok: false, reason: 'schema_violation', detail: '(root): …' }
 */
export function validateTransactionWithZod(
  value: unknown,
  arrivalMs: number,
  options: ValidateOptions,
): ValidationResult<ValidTransaction> {
  const parsed = transactionSchema.safeParse(value);
  if (!parsed.success) return fromIssues(parsed.error.issues, value);
  const r = parsed.data;
  const ms = msOf(r.occurredAt);
  const currency = r.currency.toUpperCase();
  const digits = currencyDigits(currency)!;
  const amountMinor = toMinor('amount', r.amount, currency, digits);
  if (typeof amountMinor !== 'number') return amountMinor;
  const items: ValidTransaction['items'] = [];
  for (const [i, it] of (r.items ?? []).entries()) {
    let unitPriceMinor: number | null = null;
    if (it.unitPrice !== undefined) {
      const m = toMinor(`items.${i}.unitPrice`, it.unitPrice, currency, digits);
      if (typeof m !== 'number') return m;
      unitPriceMinor = m;
    }
    items.push({ sku: it.sku, quantity: it.quantity, unitPriceMinor });
  }
  const late = timeWindow(ms, arrivalMs, options);
  if (late) return late;
  const out: ValidTransaction = {
    transactionId: r.transactionId,
    type: r.type,
    status: r.status,
    occurredAtMs: ms,
    customerId: r.customerId,
    amountMinor,
    currency,
    items,
    paymentMethod: r.paymentMethod,
  };
  if (typeof r.country === 'string') out.country = r.country;
  if (r.sessionId !== undefined) out.sessionId = r.sessionId;
  if (r.originalTransactionId !== undefined) out.originalTransactionId = r.originalTransactionId;
  if (r.test !== undefined) out.test = r.test;
  return { ok: true, value: out };
}

