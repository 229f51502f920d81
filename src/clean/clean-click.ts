/**
 * Cleaning of a validated clickstream event (SPEC §3) into the stored {@link CleanClick}.
 */
import type { CleanClick, ValidClick } from '../types.ts';
import { CAPS } from './caps.ts';
import { normalizeCountry } from './country.ts';
import { deviceClass } from './device.ts';
import { cleanFreeText, cleanId, truncateIp } from './privacy.ts';
import { cleanPageUrl, referrerHost } from './url.ts';

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
  const url = cleanPageUrl(input.page.url);
  const pageHost = url?.host ?? '';
  const userAgent = cleanFreeText(input.userAgent, CAPS.userAgent);
  const p = input.product;
  return {
    kind: 'clickstream',
    eventId: input.eventId,
    type: input.type,
    occurredAtMs: input.occurredAtMs,
    sessionId: cleanId(input.sessionId, CAPS.longId) ?? '',
    anonymousId: cleanId(input.anonymousId, CAPS.longId) ?? '',
    userId: cleanId(input.userId, CAPS.longId),
    // Validation admits only URLs the parser reads as http(s): the fallback is defensive.
    page: url?.page ?? '',
    pageHost,
    pageUrl: url?.url ?? '',
    referrerHost: referrerHost(input.page.referrer, pageHost),
    utmSource: url?.utmSource ?? null,
    utmMedium: url?.utmMedium ?? null,
    utmCampaign: url?.utmCampaign ?? null,
    title: cleanFreeText(input.page.title, CAPS.title),
    searchQuery: cleanFreeText(input.search?.query, CAPS.searchQuery),
    product: p
      ? { sku: cleanId(p.sku, CAPS.shortId) ?? '', quantity: p.quantity, priceMinor: p.priceMinor, currency: p.currency }
      : null,
    device: deviceClass(userAgent),
    country: normalizeCountry(input.country),
    ipPrefix: input.ip === undefined ? null : truncateIp(input.ip),
    userAgent,
  };
}
