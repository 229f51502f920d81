/**
 * Validation of both input streams (SPEC §1, §2 "rejected"): turns a parsed JSON value into
 * a {@link ValidClick} / {@link ValidTransaction} (times in epoch ms, money in integer minor
 * units, currency upper-cased, `paymentMethod` defaulted; strings as sent) or a reject
 * reason.
 *
 * Two implementations with one contract:
 * - {@link validateClick} / {@link validateTransaction}: hand-written checks, run on every
 *   record (no zod issue objects, char loops instead of regexes, `new URL` only when a
 *   cheap pre-check cannot vouch for a URL).
 * - {@link validateClickWithZod} / {@link validateTransactionWithZod}: the zod schemas of
 *   `src/schema/` (the source of truth) plus the same post-schema rules. Property tests
 *   show the two agree.
 *
 * ## Order of checks (the first failing rule decides the reason)
 *
 * 1. `schema_violation` — not an object; a required field missing; a wrong JSON type;
 *    a length, charset, enum, integer, URL, IP or `digits[.digits]` rule broken; a negative
 *    amount; `product` missing on a cart event or `search` missing on a `search` event.
 *    Detail: `<field path>: <rule>` of the first failing field in schema order.
 * 2. `invalid_timestamp` — `occurredAt` is a string that is not a valid v1 timestamp, or a
 *    number that is not a non-negative safe integer (a wrong JSON type is rule 1).
 * 3. `unknown_currency` — the transaction's or the product's currency is not an active
 *    ISO-4217 code (case-insensitive).
 * 4. `too_many_decimals` — `amount`, `product.price` or an item's `unitPrice` has more
 *    decimals than its currency allows (items use the transaction's currency). Amounts, then
 *    items in order.
 * 5. `amount_out_of_range` — that amount in minor units exceeds `Number.MAX_SAFE_INTEGER`
 *    (checked per amount right after its decimals).
 * 6. `future_timestamp` — `occurredAt` more than `futureToleranceMs` after `arrivalMs`.
 * 7. `too_late` — `occurredAt` more than `allowedLatenessMs` before `arrivalMs`.
 *
 * Both time rules use the record's arrival time only, never the clock, so a replay
 * validates the same way.
 */
import { parseIp } from '../clean/ip.ts';
import type { ValidClick, ValidTransaction } from '../types.ts';
import { fail, invalidTimestamp, isObject, timeWindow, toMinor, typeName } from './rules.ts';
import type { ValidateOptions, ValidationResult } from './rules.ts';
import { currencyDigits } from '../schema/currencies.ts';
import { CLICK_TYPES } from '../schema/clickstream.ts';
import { MAX_ITEMS, PAYMENT_METHODS, TRANSACTION_STATUSES, TRANSACTION_TYPES } from '../schema/transaction.ts';
import {
  codePointLength,
  hasLength,
  isDecimalText,
  isHttpUrl,
  isIdText,
  occurredAtMs as toOccurredAtMs,
} from '../schema/primitives.ts';

export type { ValidateOptions, ValidationResult } from './rules.ts';

const CLICK_TYPE_SET: ReadonlySet<string> = new Set(CLICK_TYPES);
const TX_TYPE_SET: ReadonlySet<string> = new Set(TRANSACTION_TYPES);
const TX_STATUS_SET: ReadonlySet<string> = new Set(TRANSACTION_STATUSES);
const PAYMENT_SET: ReadonlySet<string> = new Set(PAYMENT_METHODS);
/** Scratch for `parseIp` (its groups are not needed here). */
const ipGroups = new Uint16Array(8);

// ---------------------------------------------------------------------------------------
// Field rules of the fast path. Each returns an error text, or undefined when the value is
// fine. Texts name the rule; the caller prefixes the field path.

function str(v: unknown, min: number, max: number): string | undefined {
  if (typeof v !== 'string') return `expected string, received ${typeName(v)}`;
  if (hasLength(v, min, max)) return undefined;
  return v.length < min || codePointLength(v) < min ? `must be at least ${min} chars` : `must be at most ${max} chars`;
}

function optStr(v: unknown, min: number, max: number): string | undefined {
  return v === undefined ? undefined : str(v, min, max);
}

function id(v: unknown): string | undefined {
  if (typeof v !== 'string') return `expected string, received ${typeName(v)}`;
  return isIdText(v, 64) ? undefined : 'must be 1–64 chars of [A-Za-z0-9_-]';
}

function quantity(v: unknown): string | undefined {
  if (typeof v !== 'number') return `expected integer, received ${typeName(v)}`;
  return Number.isSafeInteger(v) && v >= 1 ? undefined : 'must be a safe integer ≥ 1';
}

function decimal(v: unknown): string | undefined {
  if (typeof v === 'string') return isDecimalText(v) ? undefined : 'not a decimal digits[.digits]';
  // JSON.parse reads a number beyond the double range (`1e400`) as Infinity.
  if (typeof v === 'number') return !Number.isFinite(v) ? 'must be a finite number (the JSON number is out of range)' : v >= 0 ? undefined : 'must be ≥ 0';
  return `expected decimal string or number, received ${typeName(v)}`;
}

function timestampType(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number'
    ? undefined
    : `expected ISO-8601 string or epoch milliseconds, received ${typeName(v)}`;
}

function product(v: unknown): [string, string] | undefined {
  if (!isObject(v)) return ['product', `expected object, received ${typeName(v)}`];
  let e = str(v.sku, 1, 64);
  if (e) return ['product.sku', e];
  if ((e = quantity(v.quantity))) return ['product.quantity', e];
  if ((e = decimal(v.price))) return ['product.price', e];
  if (typeof v.currency !== 'string') return ['product.currency', `expected string, received ${typeName(v.currency)}`];
  return undefined;
}

function search(v: unknown): [string, string] | undefined {
  if (!isObject(v)) return ['search', `expected object, received ${typeName(v)}`];
  if (typeof v.query !== 'string') return ['search.query', `expected string, received ${typeName(v.query)}`];
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Clickstream

/**
 * Validates one clickstream event (fast path). See the module comment for the rules and
 * their order.
 *
 * @example
 * const r = validateClick(
 *   { eventId: 'e1', type: 'page_view', occurredAt: '2024-05-01T12:00:00Z', sessionId: 's1',
 *     anonymousId: 'a1', page: { url: 'https://shop.example.com/' } },
 *   Date.parse('2024-05-01T12:00:01Z'),
 *   { allowedLatenessMs: 604_800_000, futureToleranceMs: 300_000 },
 * );
 * // r.ok === true, r.value.occurredAtMs === 1714564800000
 */
export function validateClick(value: unknown, arrivalMs: number, options: ValidateOptions): ValidationResult<ValidClick> {
  if (!isObject(value)) return fail('schema_violation', `(root): expected object, received ${typeName(value)}`);
  const v = value;
  // 1. schema
  let e = id(v.eventId);
  if (e) return fail('schema_violation', `eventId: ${e}`);
  const type = v.type;
  if (typeof type !== 'string' || !CLICK_TYPE_SET.has(type)) {
    return fail('schema_violation', `type: expected one of ${CLICK_TYPES.join('|')}`);
  }
  if ((e = timestampType(v.occurredAt))) return fail('schema_violation', `occurredAt: ${e}`);
  if ((e = str(v.sessionId, 1, 128))) return fail('schema_violation', `sessionId: ${e}`);
  if ((e = str(v.anonymousId, 1, 128))) return fail('schema_violation', `anonymousId: ${e}`);
  const userId = v.userId;
  if (userId !== null && (e = optStr(userId, 1, 128))) return fail('schema_violation', `userId: ${e}`);
  const page = v.page;
  if (!isObject(page)) return fail('schema_violation', `page: expected object, received ${typeName(page)}`);
  const url = page.url;
  if ((e = str(url, 0, 2048))) return fail('schema_violation', `page.url: ${e}`);
  const referrer = page.referrer;
  if (referrer !== undefined && typeof referrer !== 'string') {
    return fail('schema_violation', `page.referrer: expected string, received ${typeName(referrer)}`);
  }
  const title = page.title;
  if (title !== undefined && typeof title !== 'string') {
    return fail('schema_violation', `page.title: expected string, received ${typeName(title)}`);
  }
  const userAgent = v.userAgent;
  if ((e = optStr(userAgent, 0, 1024))) return fail('schema_violation', `userAgent: ${e}`);
  const ip = v.ip;
  if ((e = optStr(ip, 0, Infinity))) return fail('schema_violation', `ip: ${e}`);
  // Not a string (null, a number…): an unknown country, `ZZ` after cleaning, never a rejection (SPEC §1.1).
  const country = typeof v.country === 'string' ? v.country : undefined;
  const test = v.test;
  if (test !== undefined && typeof test !== 'boolean') {
    return fail('schema_violation', `test: expected boolean, received ${typeName(test)}`);
  }
  const prod = v.product;
  if (prod !== undefined || type === 'add_to_cart' || type === 'remove_from_cart') {
    const pe = product(prod);
    if (pe) return fail('schema_violation', `${pe[0]}: ${prod === undefined ? `required for ${type}` : pe[1]}`);
  }
  const srch = v.search;
  if (srch !== undefined || type === 'search') {
    const se = search(srch);
    if (se) return fail('schema_violation', `${se[0]}: ${srch === undefined ? `required for ${type}` : se[1]}`);
  }
  // The costlier schema rules last, once the cheap ones passed.
  if (!isHttpUrl(url as string)) return fail('schema_violation', 'page.url: not an absolute http(s) URL');
  // `parseIp` accepts exactly what `isIP` does (property-tested in test/clean/ip.test.ts), without its regular expressions.
  if (ip !== undefined && parseIp(ip as string, ipGroups) === 0) return fail('schema_violation', 'ip: not an IPv4 or IPv6 address');

  // 2. timestamp
  const occurredAt = v.occurredAt as string | number;
  const ms = toOccurredAtMs(occurredAt);
  if (Number.isNaN(ms)) return invalidTimestamp(occurredAt);

  // 3–5. money
  let productOut: ValidClick['product'];
  if (prod !== undefined) {
    const p = prod as { sku: string; quantity: number; price: string | number; currency: string };
    const digits = currencyDigits(p.currency);
    if (digits === undefined) return fail('unknown_currency', `product.currency: ${JSON.stringify(p.currency)} is not an active ISO-4217 code`);
    const currency = p.currency.toUpperCase();
    const priceMinor = toMinor('product.price', p.price, currency, digits);
    if (typeof priceMinor !== 'number') return priceMinor;
    productOut = { sku: p.sku, quantity: p.quantity, priceMinor, currency };
  }

  // 6–7. time window
  const late = timeWindow(ms, arrivalMs, options);
  if (late) return late;

  const eventId = v.eventId as string;
  const sessionId = v.sessionId as string;
  const anonymousId = v.anonymousId as string;
  const uid = (userId as string | null | undefined) ?? null;
  const pageValue = pageOut(url as string, referrer, title);
  let out: ValidClick;
  // The usual event (user agent, IP and country, no product, search or test flag) in one
  // literal: one object shape with every field in the object itself, instead of a chain of
  // added properties kept out of line, which every later read pays for.
  if (userAgent !== undefined && ip !== undefined && country !== undefined) {
    out = { eventId, type: type as ValidClick['type'], occurredAtMs: ms, sessionId, anonymousId, userId: uid, page: pageValue, userAgent: userAgent as string, ip: ip as string, country: country as string };
  } else {
    out = { eventId, type: type as ValidClick['type'], occurredAtMs: ms, sessionId, anonymousId, userId: uid, page: pageValue };
    if (userAgent !== undefined) out.userAgent = userAgent as string;
    if (ip !== undefined) out.ip = ip as string;
    if (country !== undefined) out.country = country as string;
  }
  if (productOut) out.product = productOut;
  if (srch !== undefined) out.search = { query: (srch as { query: string }).query };
  if (test !== undefined) out.test = test;
  return { ok: true, value: out };
}

function pageOut(url: string, referrer: unknown, title: unknown): ValidClick['page'] {
  // A literal per combination (see above).
  if (referrer !== undefined) return title !== undefined ? { url, referrer: referrer as string, title: title as string } : { url, referrer: referrer as string };
  return title !== undefined ? { url, title: title as string } : { url };
}

// ---------------------------------------------------------------------------------------
// Transactions

/**
 * Validates one transaction (fast path). See the module comment for the rules and their
 * order.
 *
 * @example
 * const r = validateTransaction(
 *   { transactionId: 't1', type: 'purchase', status: 'completed', occurredAt: 1714564800000,
 *     customerId: 'c1', amount: 19.99, currency: 'usd' },
 *   1714564801000,
 *   { allowedLatenessMs: 604_800_000, futureToleranceMs: 300_000 },
 * );
 * // r.ok === true, r.value.amountMinor === 1999, r.value.currency === 'USD',
 * // r.value.paymentMethod === 'other', r.value.items = []
 */
export function validateTransaction(
  value: unknown,
  arrivalMs: number,
  options: ValidateOptions,
): ValidationResult<ValidTransaction> {
  if (!isObject(value)) return fail('schema_violation', `(root): expected object, received ${typeName(value)}`);
  const v = value;
  // 1. schema
  let e = id(v.transactionId);
  if (e) return fail('schema_violation', `transactionId: ${e}`);
  const type = v.type;
  if (typeof type !== 'string' || !TX_TYPE_SET.has(type)) {
    return fail('schema_violation', `type: expected one of ${TRANSACTION_TYPES.join('|')}`);
  }
  const status = v.status;
  if (typeof status !== 'string' || !TX_STATUS_SET.has(status)) {
    return fail('schema_violation', `status: expected one of ${TRANSACTION_STATUSES.join('|')}`);
  }
  if ((e = timestampType(v.occurredAt))) return fail('schema_violation', `occurredAt: ${e}`);
  if ((e = str(v.customerId, 1, 128))) return fail('schema_violation', `customerId: ${e}`);
  if ((e = decimal(v.amount))) return fail('schema_violation', `amount: ${e}`);
  const currencyIn = v.currency;
  if (typeof currencyIn !== 'string') return fail('schema_violation', `currency: expected string, received ${typeName(currencyIn)}`);
  const items = v.items;
  if (items !== undefined) {
    if (!Array.isArray(items)) return fail('schema_violation', `items: expected array, received ${typeName(items)}`);
    if (items.length > MAX_ITEMS) return fail('schema_violation', `items: at most ${MAX_ITEMS} items`);
    for (let i = 0; i < items.length; i++) {
      const it: unknown = items[i];
      if (!isObject(it)) return fail('schema_violation', `items.${i}: expected object, received ${typeName(it)}`);
      if ((e = str(it.sku, 1, 64))) return fail('schema_violation', `items.${i}.sku: ${e}`);
      if ((e = quantity(it.quantity))) return fail('schema_violation', `items.${i}.quantity: ${e}`);
      if (it.unitPrice !== undefined && (e = decimal(it.unitPrice))) return fail('schema_violation', `items.${i}.unitPrice: ${e}`);
    }
  }
  const paymentMethod = v.paymentMethod;
  if (paymentMethod !== undefined && (typeof paymentMethod !== 'string' || !PAYMENT_SET.has(paymentMethod))) {
    return fail('schema_violation', `paymentMethod: expected one of ${PAYMENT_METHODS.join('|')}`);
  }
  // Not a string: an unknown country (`ZZ`), never a rejection (SPEC §1.1).
  const country = typeof v.country === 'string' ? v.country : undefined;
  const sessionId = v.sessionId;
  if ((e = optStr(sessionId, 1, 128))) return fail('schema_violation', `sessionId: ${e}`);
  const originalTransactionId = v.originalTransactionId;
  if ((e = optStr(originalTransactionId, 1, 128))) return fail('schema_violation', `originalTransactionId: ${e}`);
  const test = v.test;
  if (test !== undefined && typeof test !== 'boolean') {
    return fail('schema_violation', `test: expected boolean, received ${typeName(test)}`);
  }

  // 2. timestamp
  const occurredAt = v.occurredAt as string | number;
  const ms = toOccurredAtMs(occurredAt);
  if (Number.isNaN(ms)) return invalidTimestamp(occurredAt);

  // 3. currency
  const digits = currencyDigits(currencyIn);
  if (digits === undefined) return fail('unknown_currency', `currency: ${JSON.stringify(currencyIn)} is not an active ISO-4217 code`);
  const currency = currencyIn.toUpperCase();

  // 4–5. money: the amount, then each item's unit price
  const amountMinor = toMinor('amount', v.amount as string | number, currency, digits);
  if (typeof amountMinor !== 'number') return amountMinor;
  const itemsOut: ValidTransaction['items'] = [];
  if (items !== undefined) {
    for (let i = 0; i < (items as unknown[]).length; i++) {
      const it = (items as { sku: string; quantity: number; unitPrice?: string | number }[])[i]!;
      let unitPriceMinor: number | null = null;
      if (it.unitPrice !== undefined) {
        const m = toMinor(`items.${i}.unitPrice`, it.unitPrice, currency, digits);
        if (typeof m !== 'number') return m;
        unitPriceMinor = m;
      }
      itemsOut.push({ sku: it.sku, quantity: it.quantity, unitPriceMinor });
    }
  }

  // 6–7. time window
  const late = timeWindow(ms, arrivalMs, options);
  if (late) return late;

  const out: ValidTransaction = {
    transactionId: v.transactionId as string,
    type: type as ValidTransaction['type'],
    status: status as ValidTransaction['status'],
    occurredAtMs: ms,
    customerId: v.customerId as string,
    amountMinor,
    currency,
    items: itemsOut,
    paymentMethod: (paymentMethod as ValidTransaction['paymentMethod'] | undefined) ?? 'other',
  };
  if (country !== undefined) out.country = country as string;
  if (sessionId !== undefined) out.sessionId = sessionId as string;
  if (originalTransactionId !== undefined) out.originalTransactionId = originalTransactionId as string;
  if (test !== undefined) out.test = test;
  return { ok: true, value: out };
}

export { validateClickWithZod, validateTransactionWithZod } from './zod.ts';
