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

// Memos of the pure per-field cleaning steps (see `memo.ts`): a session repeats its user
// agent, IP address and referrers, and a shop has few pages. Hits also share one cleaned
// string (and one CleanUrl, read-only here) among all records that have it.
const pageUrls = new StringMemo<CleanUrl | null>(2048, 512);
const userAgents = new StringMemo<{ userAgent: string | null; device: DeviceClass }>(1024, CAPS.userAgent);
const referrers = new StringMemo<string | null>(2048, 512);
const ipPrefixes = new StringMemo<string | null>(4096, 64);
// Titles repeat per page and ids per session or visitor: remembering them costs a lookup
// (about what the already-clean check costs) and lets each record keep the one shared
// string instead of its own copy, which the garbage collector would have to move twice.
const titles = new StringMemo<string | null>(2048, 256);
const ids = new StringMemo<string | null>(8192, 128);

function titleOf(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let r = titles.get(raw);
  if (r === undefined) titles.set(raw, (r = cleanFreeText(raw, CAPS.title)));
  return r;
}

function idOf(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  let r = ids.get(raw);
  if (r === undefined) ids.set(raw, (r = cleanId(raw, CAPS.longId)));
  return r;
}

function pageUrlOf(url: string): CleanUrl | null {
  let r = pageUrls.get(url);
  if (r === undefined) pageUrls.set(url, (r = cleanPageUrl(url)));
  return r;
}

function userAgentOf(raw: string | undefined): { userAgent: string | null; device: DeviceClass } {
  if (raw === undefined) return NO_USER_AGENT;
  let r = userAgents.get(raw);
  if (r === undefined) {
    const userAgent = cleanFreeText(raw, CAPS.userAgent);
    userAgents.set(raw, (r = { userAgent, device: deviceClass(userAgent) }));
  }
  return r;
}
const NO_USER_AGENT = { userAgent: null, device: deviceClass(null) };

function referrerHostFor(referrer: string | undefined, pageHost: string): string | null {
  if (!referrer) return null;
  let host = referrers.get(referrer);
  if (host === undefined) referrers.set(referrer, (host = referrerHostOf(referrer)));
  // As `referrerHost`: an internal navigation has no referrer host.
  return host === pageHost ? null : host;
}

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
 * they cannot clean differently.
 *
 * @example
 * const c = cleanClickParts('e1', 'page_view', 1714564800000, 's1', 'a1', null,
 *   'https://shop.example.com/cart', undefined, undefined, undefined, undefined, undefined, '203.0.113.7', 'de');
 * // c.page === 'shop.example.com/cart', c.ipPrefix === '203.0.113.0/24', c.country === 'DE'
 */
export function cleanClickParts(
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
  const url = pageUrlOf(pageUrl);
  const pageHost = url?.host ?? '';
  const ua = userAgentOf(userAgent);
  return {
    kind: 'clickstream',
    eventId,
    type,
    occurredAtMs,
    sessionId: idOf(sessionId) ?? '',
    anonymousId: idOf(anonymousId) ?? '',
    userId: idOf(userId),
    // Validation admits only URLs the parser reads as http(s): the fallback is defensive.
    page: url?.page ?? '',
    pageHost,
    pageUrl: url?.url ?? '',
    referrerHost: referrerHostFor(referrer, pageHost),
    utmSource: url?.utmSource ?? null,
    utmMedium: url?.utmMedium ?? null,
    utmCampaign: url?.utmCampaign ?? null,
    title: titleOf(title),
    searchQuery: cleanFreeText(searchQuery, CAPS.searchQuery),
    product: p ? { sku: cleanId(p.sku, CAPS.shortId) ?? '', quantity: p.quantity, priceMinor: p.priceMinor, currency: p.currency } : null,
    device: ua.device,
    country: normalizeCountry(country),
    ipPrefix: ipPrefixOf(ip),
    userAgent: ua.userAgent,
  };
}
