/**
 * URL cleaning of SPEC §3: the page dimension (`host + path`), the cleaned URL, the
 * campaign fields and the referrer host.
 *
 * The WHATWG URL parser (`new URL`) does the hard part — scheme and host lower-casing,
 * IDNA to punycode, default ports, dot segments, percent-encoding — exactly as browsers
 * do; this module only decides what to keep.
 *
 * Choices (README "Cleaning"):
 * - `host` is the URL's host *with* a non-default port (`shop.example.com:8080`), as the
 *   WHATWG `host` is; default ports are gone (`:443` on https, `:80` on http).
 * - `url` is `scheme://host/path` plus the campaign parameters that were present, in the
 *   fixed order `utm_source`, `utm_medium`, `utm_campaign` (so `cleanPageUrl(r.url)` gives
 *   `r` again); every other query parameter, the fragment and any user name or password
 *   are dropped.
 * - Campaign parameter names are case-sensitive (`UTM_SOURCE` is not a campaign field);
 *   the first occurrence wins; values are decoded, cleaned like free text (e-mail
 *   addresses redacted) and capped at {@link MAX_UTM_LENGTH}; an empty value is `null`.
 * - `url` is capped at {@link MAX_URL_LENGTH} code units: the campaign query goes first,
 *   then the path is cut.
 */
import { cleanFreeText, redactEmails } from './privacy.ts';

/** Cap of the cleaned URL (and so of `page`), in UTF-16 code units (the output is ASCII). */
export const MAX_URL_LENGTH = 2048;
/** Cap of each campaign field. */
export const MAX_UTM_LENGTH = 256;
/** Cap of a referrer host. */
export const MAX_HOST_LENGTH = 256;

/** The result of {@link cleanPageUrl}. */
export interface CleanUrl {
  /** page dimension: host + path (`shop.example.com/Cart`) */
  page: string;
  /** lower-case host, with a non-default port */
  host: string;
  /** `scheme://host/path[?utm_*]` */
  url: string;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
}

const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign'] as const;

function stripTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  return end === path.length ? path : path.slice(0, end);
}

/**
 * Reads the three campaign parameters from a serialised query (`?a=1&utm_source=x`).
 * Without `%` the pairs are split by hand (what `URLSearchParams` would do: `+` is a
 * space); with `%` escapes `URLSearchParams` decodes them, names included.
 */
function readUtm(search: string, out: (string | null)[]): void {
  if (search.includes('%')) {
    const params = new URLSearchParams(search);
    for (let k = 0; k < 3; k++) out[k] = params.get(UTM_KEYS[k]!);
    return;
  }
  let i = 1; // after '?'
  const n = search.length;
  while (i < n) {
    let amp = search.indexOf('&', i);
    if (amp < 0) amp = n;
    if (search.startsWith('utm_', i)) {
      let eq = search.indexOf('=', i);
      if (eq < 0 || eq > amp) eq = amp;
      const name = search.slice(i, eq);
      const k: number = name === 'utm_source' ? 0 : name === 'utm_medium' ? 1 : name === 'utm_campaign' ? 2 : -1;
      if (k >= 0 && out[k] === null) {
        const raw = eq < amp ? search.slice(eq + 1, amp) : '';
        out[k] = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
      }
    }
    i = amp + 1;
  }
}

/**
 * Cleans a page URL (SPEC §3): lower-case scheme and host, no default port, no fragment,
 * no trailing slashes except the root, no query parameters but the campaign ones, which
 * become fields; e-mail addresses in the path (also written `%40`) are redacted. `null`
 * when the text is not an absolute http(s) URL.
 *
 * @example
 * cleanPageUrl('HTTPS://Shop.Example.com:443/Cart/?x=1&utm_source=news#top');
 * // { page: 'shop.example.com/Cart', host: 'shop.example.com',
 * //   url: 'https://shop.example.com/Cart?utm_source=news',
 * //   utmSource: 'news', utmMedium: null, utmCampaign: null }
 * cleanPageUrl('https://shop.example.com')?.page; // 'shop.example.com/'
 */
export function cleanPageUrl(url: string): CleanUrl | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const protocol = u.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') return null;
  const host = u.host;
  const origin = `${protocol}//${host}`;
  let path = redactEmails(stripTrailingSlashes(u.pathname));
  if (origin.length + path.length > MAX_URL_LENGTH) {
    // The parser's output is ASCII: any cut is a clean one.
    path = stripTrailingSlashes(path.slice(0, Math.max(1, MAX_URL_LENGTH - origin.length)));
  }
  const utm: (string | null)[] = [null, null, null];
  let query = '';
  const search = u.search;
  // `%` too: a parameter name may be percent-encoded (`utm%5Fsource`).
  if (search.length > 4 && (search.includes('utm_') || search.includes('%'))) {
    readUtm(search, utm);
    for (let k = 0; k < 3; k++) {
      const value = cleanFreeText(utm[k], MAX_UTM_LENGTH);
      utm[k] = value;
      if (value !== null) query += `${query === '' ? '?' : '&'}${UTM_KEYS[k]}=${encodeURIComponent(value)}`;
    }
  }
  const base = origin + path;
  return {
    page: host + path,
    host,
    url: base.length + query.length <= MAX_URL_LENGTH ? base + query : base,
    utmSource: utm[0] ?? null,
    utmMedium: utm[1] ?? null,
    utmCampaign: utm[2] ?? null,
  };
}

/**
 * The referrer's host (SPEC §3), lower-case and with a non-default port like
 * {@link CleanUrl.host}, when the referrer parses as an absolute URL with a host and that
 * host differs from the page's; otherwise `null` (no referrer, a relative or opaque one
 * such as `about:blank`, or an internal navigation). Any scheme with a host counts:
 * `android-app://com.google.android.gm/` gives `com.google.android.gm`.
 *
 * @example
 * referrerHost('https://www.google.com/search?q=shoes', 'shop.example.com'); // 'www.google.com'
 * referrerHost('https://shop.example.com/cart', 'shop.example.com');          // null
 * referrerHost('not a url', 'shop.example.com');                              // null
 */
export function referrerHost(referrer: string | undefined, pageHost: string): string | null {
  if (!referrer) return null;
  let host: string;
  try {
    host = new URL(referrer).host;
  } catch {
    return null;
  }
  if (host === '') return null;
  // Special schemes come lower-cased already; opaque hosts (`android-app:`) keep case.
  host = redactEmails(host.toLowerCase());
  if (host.length > MAX_HOST_LENGTH) host = host.slice(0, MAX_HOST_LENGTH);
  return host === pageHost ? null : host;
}
