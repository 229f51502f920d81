/**
 * Classification of decoded user records (SPEC §2): rejected, then filtered; what survives
 * both is a *candidate* that de-duplication turns into counted or duplicate. Cleaning
 * (SPEC §3) happens here too, for candidates only: filtered records are not stored.
 */
import { ClickFields, cleanClick, cleanClickFacts, EXACT_FIELDS } from '../clean/clean-click.ts';
import { cleanTransaction } from '../clean/clean-transaction.ts';
import type { CidrMatcher } from '../filter/cidr.ts';
import { filterReason } from '../filter/filter.ts';
import { CLICK_TYPES } from '../schema/clickstream.ts';
import { currencyDigits } from '../schema/currencies.ts';
import { exactDecoded, exactString } from '../decode/decode-batch.ts';
import { hasLength, isDecimalText, isIdText, occurredAtMs } from '../schema/primitives.ts';
import type { ClassifiedRecord, CleanClick, CleanRecord, DecodedRecord, FilterReason, Outcome, StreamKind, ValidClick } from '../types.ts';
import { validateClick, validateTransaction, type ValidateOptions } from '../validate/index.ts';
import { toMinor } from '../validate/rules.ts';

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
 * A clickstream event that is valid goes through {@link classifyValidClick}, one pass over
 * the parsed object; any other record takes the path of {@link classifyReference}, which
 * decides (and words) every rejection, with its exact value (`exactDecoded`) when the
 * decoder gave a Latin-1 one.
 *
 * @example
 * const r = classify('clickstream', decoded, { validate: { allowedLatenessMs, futureToleranceMs }, internalCidrs });
 * if (r.outcome === 'rejected') console.log(r.reason);
 */
export function classify(stream: StreamKind, d: DecodedRecord, options: ClassifyOptions): ClassifiedRecord {
  if (stream === 'clickstream' && !d.reject) {
    const r = classifyValidClick(d, options, d.latin1 === true ? LATIN1_FIELDS : EXACT_FIELDS);
    if (r !== null) return r;
  }
  return classifyReference(stream, exactDecoded(d), options);
}

/**
 * Classification as the steps read in the spec: validate ({@link validateClick},
 * {@link validateTransaction}), filter ({@link filterReason}), clean ({@link cleanClick},
 * {@link cleanTransaction}). The reference `classify` is property-tested against
 * (`test/pipeline/classify.test.ts`).
 *
 * @example
 * const r = classifyReference('transactions', decoded, options);
 * if (r.outcome === 'counted') console.log(r.dedupeKey); // 't1|purchase|completed'
 */
export function classifyReference(stream: StreamKind, d: DecodedRecord, options: ClassifyOptions): ClassifiedRecord {
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

const CLICK_TYPE_SET: ReadonlySet<string> = new Set(CLICK_TYPES);
/** Field cleaning for the decoder's Latin-1 values (strings of UTF-8 bytes), with its own memos. */
const LATIN1_FIELDS = new ClickFields(exactString);

/**
 * A valid clickstream event, classified in one pass over the parsed object: the checks of
 * {@link validateClick}, the rules of {@link filterReason} and the cleaning of
 * {@link cleanClick}, without the intermediate `ValidClick`, its page object and result
 * (this runs once per record, and what it allocates decides how often the garbage
 * collector runs). Returns null as soon as any check fails: the record then takes the
 * reference path, which finds the same failure and words its detail, so rejections have
 * exactly one implementation.
 *
 * `fields` reads the strings: {@link EXACT_FIELDS}, or for a `latin1` value (strings of
 * UTF-8 bytes, see `DecodeOptions.latin1Strings`) one that converts them. Every check made
 * here on a string as given is either about ASCII (ids, type, timestamp, currency, decimal
 * text, IP address: any other byte fails, in both readings) or a length bound that the
 * bytes meet only if the characters do (a character is 1–4 bytes, and ≥ 1 byte only when
 * ≥ 1 character): a Latin-1 string can fail where its text would pass, sending the record
 * to the reference path, but never pass where its text would fail. What needs the text
 * itself (URL, user agent, ids, titles, country, …) goes through `fields`.
 *
 * @example
 * const r = classifyValidClick(decoded, options, EXACT_FIELDS) ?? classifyReference('clickstream', decoded, options);
 */
export function classifyValidClick(d: DecodedRecord, options: ClassifyOptions, fields: ClickFields): ClassifiedRecord | null {
  const v = d.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const e = v as Record<string, unknown>;
  // 1. schema, the checks of `validateClick` in its order (any failure → null)
  const eventId = e.eventId;
  if (typeof eventId !== 'string' || !isIdText(eventId, 64)) return null;
  const type = e.type;
  if (typeof type !== 'string' || !CLICK_TYPE_SET.has(type)) return null;
  const occurredAt = e.occurredAt;
  if (typeof occurredAt !== 'string' && typeof occurredAt !== 'number') return null;
  const sessionId = e.sessionId;
  if (typeof sessionId !== 'string' || !hasLength(sessionId, 1, 128)) return null;
  const anonymousId = e.anonymousId;
  if (typeof anonymousId !== 'string' || !hasLength(anonymousId, 1, 128)) return null;
  const userId = e.userId;
  if (userId !== null && userId !== undefined && (typeof userId !== 'string' || !hasLength(userId, 1, 128))) return null;
  const page = e.page;
  if (typeof page !== 'object' || page === null || Array.isArray(page)) return null;
  const url = (page as Record<string, unknown>).url;
  if (typeof url !== 'string' || !hasLength(url, 0, 2048)) return null;
  const referrer = (page as Record<string, unknown>).referrer;
  if (referrer !== undefined && typeof referrer !== 'string') return null;
  const title = (page as Record<string, unknown>).title;
  if (title !== undefined && typeof title !== 'string') return null;
  const userAgent = e.userAgent;
  if (userAgent !== undefined && (typeof userAgent !== 'string' || !hasLength(userAgent, 0, 1024))) return null;
  const ip = e.ip;
  if (ip !== undefined && typeof ip !== 'string') return null;
  // Any other type is an unknown country (`ZZ`), not a rejection (SPEC §1.1).
  const country = typeof e.country === 'string' ? e.country : undefined;
  const test = e.test;
  if (test !== undefined && typeof test !== 'boolean') return null;
  const prod = e.product;
  if (prod !== undefined || type === 'add_to_cart' || type === 'remove_from_cart') {
    if (!isValidProduct(prod)) return null;
  }
  const srch = e.search;
  let query: string | undefined;
  if (srch !== undefined || type === 'search') {
    if (typeof srch !== 'object' || srch === null || Array.isArray(srch)) return null;
    const q = (srch as Record<string, unknown>).query;
    if (typeof q !== 'string') return null;
    query = q;
  }
  // What is looked up here to validate and filter (page URL, address, user agent) is handed
  // to the cleaning below rather than looked up again.
  const pageFacts = fields.pageUrl(url);
  if (!pageFacts.http) return null;
  // `truncateIp` is null exactly when `parseIp` is 0, and is remembered per address.
  const ipPrefix = fields.ipPrefix(ip);
  if (ip !== undefined && ipPrefix === null) return null;
  // 2. timestamp
  const ms = occurredAtMs(occurredAt);
  if (Number.isNaN(ms)) return null;
  // 3–5. money
  let product: ValidClick['product'];
  if (prod !== undefined) {
    const p = prod as { sku: string; quantity: number; price: string | number; currency: string };
    const digits = currencyDigits(p.currency);
    if (digits === undefined) return null;
    const currency = p.currency.toUpperCase();
    const priceMinor = toMinor('product.price', p.price, currency, digits);
    if (typeof priceMinor !== 'number') return null;
    product = { sku: p.sku, quantity: p.quantity, priceMinor, currency };
  }
  // 6–7. time window (`timeWindow`, without building the failure)
  const { futureToleranceMs, allowedLatenessMs } = options.validate;
  if (ms - d.arrivalMs > futureToleranceMs || d.arrivalMs - ms > allowedLatenessMs) return null;

  // Filters, in the order of `filterReason`.
  let filtered: FilterReason | null = null;
  const ua = test === true ? null : fields.userAgent(userAgent);
  if (ua === null) filtered = 'test';
  else if (ua.bot) filtered = 'bot';
  else if (ip !== undefined && options.internalCidrs.size > 0 && options.internalCidrs.contains(ip)) filtered = 'internal_ip';
  if (filtered !== null) return record(d, 'filtered', filtered, undefined, eventId, undefined, undefined);

  const clean = cleanClickFacts(
    fields,
    eventId,
    type as CleanClick['type'],
    ms,
    sessionId,
    anonymousId,
    (userId as string | null | undefined) ?? null,
    pageFacts,
    referrer,
    title,
    query,
    product,
    ua!,
    ipPrefix,
    country,
  );
  return record(d, 'counted', null, undefined, eventId, clean, undefined);
}

/** The product rules of `validateClick` (schema part; currency and price come later). */
function isValidProduct(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = v as Record<string, unknown>;
  const sku = p.sku;
  if (typeof sku !== 'string' || !hasLength(sku, 1, 64)) return false;
  const quantity = p.quantity;
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1) return false;
  const price = p.price;
  if (typeof price === 'string') {
    if (!isDecimalText(price)) return false;
  } else if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) return false;
  return typeof p.currency === 'string';
}
