/**
 * Cleaning of a validated clickstream event (SPEC §3) into the stored {@link CleanClick}.
 */
import type { CleanClick, ValidClick } from '../types.ts';
import { CAPS } from './caps.ts';
import { normalizeCountry } from './country.ts';
import { deviceClass, type DeviceClass } from './device.ts';
import { StringMemo } from './memo.ts';
import { cleanFreeText, cleanId, truncateIp } from './privacy.ts';
import { cleanPageUrl, referrerHostOf, type CleanUrl } from './url.ts';
import { isBotUserAgent } from '../filter/bot.ts';
import { isHttpUrl } from '../schema/primitives.ts';

/** What cleaning remembers of a page URL: whether validation accepts it, and its parts. */
export interface PageUrlFacts {
  /** `isHttpUrl`: an absolute http(s) URL, as validation requires */
  http: boolean;
  clean: CleanUrl | null;
}

/** What cleaning and filtering remember of a user agent. */
export interface UserAgentFacts {
  userAgent: string | null;
  device: DeviceClass;
  /** `isBotUserAgent` */
  bot: boolean;
}

const NO_USER_AGENT: UserAgentFacts = { userAgent: null, device: deviceClass(null), bot: false };

/**
 * The pure per-field steps of cleaning, each behind a memo (see `memo.ts`): a session
 * repeats its user agent, ids and referrers, a shop has few pages and titles. Hits also
 * share one cleaned string (and one `CleanUrl`, read-only) among all records that have it,
 * so a batch's records do not each keep a copy the garbage collector has to move.
 *
 * `text` turns a field as given into its text before any rule reads it: the identity for
 * {@link EXACT_FIELDS}; for strings that hold UTF-8 bytes as characters (the decoder's
 * `latin1Strings`), `exactString`. Memos are keyed by the field as given, so an instance
 * only ever sees one kind of string and a hit skips the conversion too.
 *
 * @example
 * const fields = new ClickFields((s) => s);
 * fields.id(' session-1 '); // 'session-1'
 */
export class ClickFields {
  readonly #pageUrls = new StringMemo<PageUrlFacts>(2048, 512);
  readonly #userAgents = new StringMemo<UserAgentFacts>(1024, CAPS.userAgent);
  readonly #referrers = new StringMemo<string | null>(2048, 512);
  readonly #titles = new StringMemo<string | null>(2048, 256);
  readonly #ids = new StringMemo<string | null>(8192, 128);

  constructor(readonly text: (field: string) => string) {}

  /**
   * Whether a page URL is an absolute http(s) URL, and its cleaned parts ({@link cleanPageUrl}).
   *
   * @example
   * EXACT_FIELDS.pageUrl('HTTPS://Shop.Example.com/Cart').clean?.page; // 'shop.example.com/Cart'
   */
  pageUrl(raw: string): PageUrlFacts {
    let r = this.#pageUrls.get(raw);
    if (r === undefined) {
      const url = this.text(raw);
      this.#pageUrls.set(raw, (r = { http: isHttpUrl(url), clean: cleanPageUrl(url) }));
    }
    return r;
  }

  /**
   * A user agent cleaned as free text, its device class and whether it is a bot's.
   *
   * @example
   * EXACT_FIELDS.userAgent('curl/8.5.0').bot; // true
   */
  userAgent(raw: string | undefined): UserAgentFacts {
    if (raw === undefined) return NO_USER_AGENT;
    let r = this.#userAgents.get(raw);
    if (r === undefined) {
      const text = this.text(raw);
      const userAgent = cleanFreeText(text, CAPS.userAgent);
      this.#userAgents.set(raw, (r = { userAgent, device: deviceClass(userAgent), bot: isBotUserAgent(text) }));
    }
    return r;
  }

  /**
   * The referrer's host as `referrerHost` gives it: null without a referrer or for an
   * internal navigation.
   *
   * @example
   * EXACT_FIELDS.referrerHost('https://www.google.com/', 'shop.example.com'); // 'www.google.com'
   */
  referrerHost(raw: string | undefined, pageHost: string): string | null {
    if (!raw) return null;
    let host = this.#referrers.get(raw);
    if (host === undefined) this.#referrers.set(raw, (host = referrerHostOf(this.text(raw))));
    // As `referrerHost`: an internal navigation has no referrer host.
    return host === pageHost ? null : host;
  }

  /**
   * A title cleaned as free text ({@link cleanFreeText}, capped at `CAPS.title`).
   *
   * @example
   * EXACT_FIELDS.title(' Cart \n'); // 'Cart'
   */
  title(raw: string | undefined): string | null {
    if (raw === undefined) return null;
    let r = this.#titles.get(raw);
    if (r === undefined) this.#titles.set(raw, (r = cleanFreeText(this.text(raw), CAPS.title)));
    return r;
  }

  /**
   * A session, visitor or user id cleaned as an identifier ({@link cleanId}, `CAPS.longId`).
   *
   * @example
   * EXACT_FIELDS.id('jane@example.com'); // '[email:…]'
   */
  id(raw: string | null | undefined): string | null {
    if (raw === null || raw === undefined) return null;
    let r = this.#ids.get(raw);
    if (r === undefined) this.#ids.set(raw, (r = cleanId(this.text(raw), CAPS.longId)));
    return r;
  }

  /**
   * A search query as free text (not remembered: queries rarely repeat).
   *
   * @example
   * EXACT_FIELDS.searchQuery(' red shoes '); // 'red shoes'
   */
  searchQuery(raw: string | undefined): string | null {
    return raw === undefined ? null : cleanFreeText(this.text(raw), CAPS.searchQuery);
  }

  /**
   * A product's SKU as an identifier (`CAPS.shortId`); `''` when nothing is left.
   *
   * @example
   * EXACT_FIELDS.sku(' SKU-1 '); // 'SKU-1'
   */
  sku(raw: string): string {
    return cleanId(this.text(raw), CAPS.shortId) ?? '';
  }

  /**
   * The address's network prefix (`truncateIp`), null when it is not an IP address. An
   * address is ASCII, so the string as given is its text (anything else is null either way).
   *
   * @example
   * EXACT_FIELDS.ipPrefix('203.0.113.7'); // '203.0.113.0/24'
   */
  ipPrefix(raw: string | undefined): string | null {
    return ipPrefixOf(raw);
  }

  /**
   * The country, normalised ({@link normalizeCountry}).
   *
   * @example
   * EXACT_FIELDS.country(' de '); // 'DE'
   */
  country(raw: string | undefined): string {
    return normalizeCountry(raw === undefined ? undefined : this.text(raw));
  }
}

/** Field cleaning for strings that are their own text (every caller but the pipeline's Latin-1 path). */
export const EXACT_FIELDS = new ClickFields((field) => field);

const ipPrefixes = new StringMemo<string | null>(4096, 64);

function ipPrefixOf(ip: string | undefined): string | null {
  if (ip === undefined) return null;
  let r = ipPrefixes.get(ip);
  if (r === undefined) ipPrefixes.set(ip, (r = truncateIp(ip)));
  return r;
}

/**
 * Cleans a validated clickstream event:
 * - `page.url` → `page` (host + path), `pageHost`, `pageUrl` and the campaign fields
 *   ({@link cleanPageUrl}); `page.referrer` → `referrerHost` ({@link referrerHost});
 * - `title`, `search.query`, `userAgent`: free text — control characters removed, trimmed,
 *   e-mail addresses redacted, capped ({@link CAPS}); empty → `null`;
 * - `sessionId`, `anonymousId`, `userId`, `product.sku`: identifiers — cleaned and capped
 *   likewise, an e-mail address replaced by a stable pseudonym ({@link cleanId}); a
 *   required id that cleans to nothing is `''`;
 * - `ip` → `ipPrefix` (/24 or /48), the address itself is never kept;
 * - `device` from the user agent, `country` normalised (`ZZ` when unknown).
 * `eventId` is kept as it is: validation allows only `[A-Za-z0-9_-]`, and it is the
 * de-duplication key.
 *
 * @example
 * const c = cleanClick({ eventId: 'e1', type: 'page_view', occurredAtMs: 1714564800000,
 *   sessionId: 's1', anonymousId: 'a1', userId: null,
 *   page: { url: 'HTTPS://Shop.Example.com:443/Cart/?x=1#top' }, ip: '203.0.113.7', country: 'de' });
 * // c.page === 'shop.example.com/Cart', c.ipPrefix === '203.0.113.0/24', c.country === 'DE'
 */
export function cleanClick(input: ValidClick): CleanClick {
  const page = input.page;
  return cleanClickParts(
    EXACT_FIELDS,
    input.eventId,
    input.type,
    input.occurredAtMs,
    input.sessionId,
    input.anonymousId,
    input.userId,
    page.url,
    page.referrer,
    page.title,
    input.search?.query,
    input.product,
    input.userAgent,
    input.ip,
    input.country,
  );
}

/**
 * {@link cleanClick} from the validated fields one by one, for the pipeline's one-pass
 * classification (`src/pipeline/classify.ts`), which reads them straight from the parsed
 * event instead of building a {@link ValidClick} first. Both build the record here, so
 * they cannot clean differently. `fields` reads the strings ({@link ClickFields}); an IP
 * address is ASCII once validated, and so its own text.
 *
 * @example
 * const c = cleanClickParts(EXACT_FIELDS, 'e1', 'page_view', 1714564800000, 's1', 'a1', null,
 *   'https://shop.example.com/cart', undefined, undefined, undefined, undefined, undefined, '203.0.113.7', 'de');
 * // c.page === 'shop.example.com/cart', c.ipPrefix === '203.0.113.0/24', c.country === 'DE'
 */
export function cleanClickParts(
  fields: ClickFields,
  eventId: string,
  type: CleanClick['type'],
  occurredAtMs: number,
  sessionId: string,
  anonymousId: string,
  userId: string | null,
  pageUrl: string,
  referrer: string | undefined,
  title: string | undefined,
  searchQuery: string | undefined,
  p: ValidClick['product'] | undefined,
  userAgent: string | undefined,
  ip: string | undefined,
  country: string | undefined,
): CleanClick {
  return cleanClickFacts(fields, eventId, type, occurredAtMs, sessionId, anonymousId, userId, fields.pageUrl(pageUrl), referrer, title, searchQuery, p, fields.userAgent(userAgent), ipPrefixOf(ip), country);
}

/**
 * {@link cleanClickParts} with the page URL, user agent and IP address already looked up
 * (`fields.pageUrl`, `fields.userAgent`, `fields.ipPrefix`): the one-pass classification
 * looks them up to validate and filter, and hands what it found on instead of looking the
 * same three strings up again. Every cleaned click is built here.
 *
 * @example
 * const page = EXACT_FIELDS.pageUrl('https://shop.example.com/cart');
 * const c = cleanClickFacts(EXACT_FIELDS, 'e1', 'page_view', 1714564800000, 's1', 'a1', null, page,
 *   undefined, undefined, undefined, undefined, EXACT_FIELDS.userAgent(undefined), EXACT_FIELDS.ipPrefix('203.0.113.7'), 'de');
 * // c.page === 'shop.example.com/cart', c.ipPrefix === '203.0.113.0/24', c.country === 'DE'
 */
export function cleanClickFacts(
  fields: ClickFields,
  eventId: string,
  type: CleanClick['type'],
  occurredAtMs: number,
  sessionId: string,
  anonymousId: string,
  userId: string | null,
  page: PageUrlFacts,
  referrer: string | undefined,
  title: string | undefined,
  searchQuery: string | undefined,
  p: ValidClick['product'] | undefined,
  ua: UserAgentFacts,
  ipPrefix: string | null,
  country: string | undefined,
): CleanClick {
  const url = page.clean;
  const pageHost = url?.host ?? '';
  return {
    kind: 'clickstream',
    eventId,
    type,
    occurredAtMs,
    sessionId: fields.id(sessionId) ?? '',
    anonymousId: fields.id(anonymousId) ?? '',
    userId: fields.id(userId),
    // Validation admits only URLs the parser reads as http(s): the fallback is defensive.
    page: url?.page ?? '',
    pageHost,
    pageUrl: url?.url ?? '',
    referrerHost: fields.referrerHost(referrer, pageHost),
    utmSource: url?.utmSource ?? null,
    utmMedium: url?.utmMedium ?? null,
    utmCampaign: url?.utmCampaign ?? null,
    title: fields.title(title),
    searchQuery: fields.searchQuery(searchQuery),
    product: p ? { sku: fields.sku(p.sku), quantity: p.quantity, priceMinor: p.priceMinor, currency: p.currency } : null,
    device: ua.device,
    country: fields.country(country),
    ipPrefix,
    userAgent: ua.userAgent,
  };
}
