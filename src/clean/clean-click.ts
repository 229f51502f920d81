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
  const url = pageUrlOf(page.url);
  const pageHost = url?.host ?? '';
  const ua = userAgentOf(input.userAgent);
  const p = input.product;
  return {
    kind: 'clickstream',
    eventId: input.eventId,
    type: input.type,
    occurredAtMs: input.occurredAtMs,
    sessionId: idOf(input.sessionId) ?? '',
    anonymousId: idOf(input.anonymousId) ?? '',
    userId: idOf(input.userId),
    // Validation admits only URLs the parser reads as http(s): the fallback is defensive.
    page: url?.page ?? '',
    pageHost,
    pageUrl: url?.url ?? '',
    referrerHost: referrerHostFor(page.referrer, pageHost),
    utmSource: url?.utmSource ?? null,
    utmMedium: url?.utmMedium ?? null,
    utmCampaign: url?.utmCampaign ?? null,
    title: titleOf(page.title),
    searchQuery: cleanFreeText(input.search?.query, CAPS.searchQuery),
    product: p
      ? { sku: cleanId(p.sku, CAPS.shortId) ?? '', quantity: p.quantity, priceMinor: p.priceMinor, currency: p.currency }
      : null,
    device: ua.device,
    country: normalizeCountry(input.country),
    ipPrefix: ipPrefixOf(input.ip),
    userAgent: ua.userAgent,
  };
}
