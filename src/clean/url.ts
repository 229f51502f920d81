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
 * The pieces of an http(s) URL the cleaning needs, as the WHATWG parser serialises them.
 */
interface UrlParts {
  protocol: 'http:' | 'https:';
  /** lower-case host with a non-default port */
  host: string;
  /** serialised path, at least `/` */
  pathname: string;
  /** serialised query with its `?`, or '' */
  search: string;
}

/** Path characters the parser copies unchanged: printable ASCII but `"<>\`{}\\` (and `?#`, which end it). */
const PATH_OK = new Uint8Array(128);
/** Query characters the parser copies unchanged (special schemes): printable ASCII but `"'<>\\` (and `#`). */
const QUERY_OK = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) {
  if (!'"<>`{}\\?#'.includes(String.fromCharCode(c))) PATH_OK[c] = 1;
  if (!`"'<>\\#`.includes(String.fromCharCode(c))) QUERY_OK[c] = 1;
}

/**
 * Reads `scheme://host[:port]` for the common case where the parser would change nothing
 * but the default port: lower-case `http://`/`https://`, a host of non-empty `[a-z0-9-]`
 * labels whose last one starts with a letter (so the parser's IPv4 rules cannot apply) and
 * none starting with `xn--` (punycode is validated by the parser), an optional port of 1–5
 * digits without a leading zero. Writes protocol and host into `out` and returns the index
 * after them (at `/`, `?`, `#` or the end), or -1 to send the URL to the parser.
 */
function readSimpleOrigin(s: string, out: UrlParts): number {
  let i: number;
  if (s.startsWith('https://')) {
    out.protocol = 'https:';
    i = 8;
  } else if (s.startsWith('http://')) {
    out.protocol = 'http:';
    i = 7;
  } else return -1;
  const hostStart = i;
  const n = s.length;
  let labelStart = i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (i === labelStart) return -1;
      labelStart = i + 1;
    } else if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45) {
      // `xn--` at a label start
      if (c === 45 && i === labelStart + 3 && s.charCodeAt(i - 1) === 45 && s.charCodeAt(i - 2) === 110 && s.charCodeAt(i - 3) === 120) return -1;
    } else break;
  }
  if (i === labelStart) return -1; // empty host, empty last label or trailing dot
  const first = s.charCodeAt(labelStart);
  if (first < 97 || first > 122) return -1;
  const hostEnd = i;
  let port = '';
  if (i < n && s.charCodeAt(i) === 58) {
    const start = ++i;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    const digits = i - start;
    if (digits === 0 || digits > 5 || s.charCodeAt(start) === 48) return -1;
    const value = Number(s.slice(start, i));
    if (value > 65535) return -1;
    if (value !== (out.protocol === 'https:' ? 443 : 80)) port = s.slice(start - 1, i);
  }
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 47 && c !== 63 && c !== 35) return -1;
  }
  out.host = port === '' ? s.slice(hostStart, hostEnd) : s.slice(hostStart, hostEnd) + port;
  return i;
}

/**
 * The fast path: the URL's parts read by hand when the parser would serialise them
 * unchanged, or `false` to use the parser. Beyond {@link readSimpleOrigin}: path and
 * query of characters the parser copies as they are, no `.`/`..` segment and no `%2e`
 * (a dot segment in disguise). The fragment is dropped unread.
 */
function readSimpleUrl(s: string, out: UrlParts): boolean {
  let i = readSimpleOrigin(s, out);
  if (i < 0) return false;
  const n = s.length;
  const pathStart = i;
  let segStart = i + 1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 47) {
      if (i > pathStart && isDotSegment(s, segStart, i)) return false;
      segStart = i + 1;
    } else if (c === 63 || c === 35) break;
    else if (c >= 128 || PATH_OK[c] !== 1) return false;
    else if (c === 37 && s.charCodeAt(i + 1) === 50 && (s.charCodeAt(i + 2) | 32) === 101) return false;
  }
  if (i > pathStart && isDotSegment(s, segStart, i)) return false;
  out.pathname = i === pathStart ? '/' : s.slice(pathStart, i);
  out.search = '';
  if (i < n && s.charCodeAt(i) === 63) {
    const queryStart = i;
    for (i++; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 35) break;
      if (c >= 128 || QUERY_OK[c] !== 1) return false;
    }
    // The parser serialises an empty query (`?` alone) as ''.
    if (i - queryStart > 1) out.search = s.slice(queryStart, i);
  }
  return true;
}

function isDotSegment(s: string, start: number, end: number): boolean {
  const len = end - start;
  return (len === 1 && s.charCodeAt(start) === 46) || (len === 2 && s.charCodeAt(start) === 46 && s.charCodeAt(start + 1) === 46);
}

/** The parser's reading, for everything the fast path does not vouch for. */
function parseUrl(url: string, out: UrlParts): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const protocol = u.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') return false;
  out.protocol = protocol;
  out.host = u.host;
  out.pathname = u.pathname;
  out.search = u.search;
  return true;
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/**
 * A cut path without a broken end: a partial `%X`/`%` escape is dropped, and so are the
 * escapes of a UTF-8 character whose last bytes were cut off.
 *
 * @example
 * cutEscapes('/caf%C3%A'); // '/caf'
 * cutEscapes('/caf%C3%A9'); // '/caf%C3%A9'
 */
export function cutEscapes(cut: string): string {
  let n = cut.length;
  if (n >= 1 && cut.charCodeAt(n - 1) === 37) n -= 1;
  else if (n >= 2 && cut.charCodeAt(n - 2) === 37) n -= 2;
  // The trailing complete escapes (at most 4: one UTF-8 character), oldest first.
  const bytes: number[] = [];
  let start = n;
  while (bytes.length < 4 && start >= 3 && cut.charCodeAt(start - 3) === 37 && isHex(cut.charCodeAt(start - 2)) && isHex(cut.charCodeAt(start - 1))) {
    bytes.unshift(parseInt(cut.slice(start - 2, start), 16));
    start -= 3;
  }
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i]!;
    if (b < 0x80) break; // an ASCII escape ends a character
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      if (bytes.length - i < need) n = start + 3 * i;
      break;
    }
  }
  return n === cut.length ? cut : cut.slice(0, n);
}

function buildCleanUrl(parts: UrlParts): CleanUrl {
  const { protocol, host } = parts;
  const origin = `${protocol}//${host}`;
  let path = redactEmails(stripTrailingSlashes(parts.pathname));
  if (origin.length + path.length > MAX_URL_LENGTH) {
    // The parser's output is ASCII, so the cut never splits a UTF-16 character; it must not
    // split a percent-escape or the escapes of one UTF-8 character either (`%C3%A`, `%C3`).
    const cut = cutEscapes(path.slice(0, Math.max(1, MAX_URL_LENGTH - origin.length)));
    path = stripTrailingSlashes(cut.length > 0 ? cut : '/');
  }
  const utm: (string | null)[] = [null, null, null];
  let query = '';
  const search = parts.search;
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
 * Cleans a page URL (SPEC §3): lower-case scheme and host, no default port, no fragment,
 * no trailing slashes except the root, no query parameters but the campaign ones, which
 * become fields; e-mail addresses in the path (also written `%40`) are redacted. `null`
 * when the text is not an absolute http(s) URL.
 *
 * Ordinary URLs are read by hand; anything unusual (upper case, IDN, IP hosts, dot
 * segments, characters the parser would encode) goes through `new URL`. A property test
 * shows both give the same result.
 *
 * @example
 * cleanPageUrl('HTTPS://Shop.Example.com:443/Cart/?x=1&utm_source=news#top');
 * // { page: 'shop.example.com/Cart', host: 'shop.example.com',
 * //   url: 'https://shop.example.com/Cart?utm_source=news',
 * //   utmSource: 'news', utmMedium: null, utmCampaign: null }
 * cleanPageUrl('https://shop.example.com')?.page; // 'shop.example.com/'
 */
export function cleanPageUrl(url: string): CleanUrl | null {
  const parts: UrlParts = { protocol: 'https:', host: '', pathname: '/', search: '' };
  if (!readSimpleUrl(url, parts) && !parseUrl(url, parts)) return null;
  return buildCleanUrl(parts);
}

/** {@link cleanPageUrl} without the fast path: the reference (exported for the equivalence tests). */
export function cleanPageUrlWithParser(url: string): CleanUrl | null {
  const parts: UrlParts = { protocol: 'https:', host: '', pathname: '/', search: '' };
  return parseUrl(url, parts) ? buildCleanUrl(parts) : null;
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
  const host = referrerHostOf(referrer);
  return host === pageHost ? null : host;
}

/**
 * The host {@link referrerHost} reads from a referrer, before the comparison with the
 * page's host: `null` when there is none. It depends on the referrer alone, so cleaning
 * can remember it per referrer.
 *
 * @example
 * referrerHostOf('https://www.google.com/search?q=shoes'); // 'www.google.com'
 * referrerHostOf('about:blank');                           // null
 */
export function referrerHostOf(referrer: string | undefined): string | null {
  if (!referrer) return null;
  const parts: UrlParts = { protocol: 'https:', host: '', pathname: '/', search: '' };
  if (readSimpleOrigin(referrer, parts) >= 0 && parts.host.length <= MAX_HOST_LENGTH) return parts.host;
  // No host is '': the parser's answer compared with a page host that no host equals.
  return referrerHostWithParser(referrer, '');
}

/** {@link referrerHost} without the fast path: the reference (exported for the equivalence tests). */
export function referrerHostWithParser(referrer: string | undefined, pageHost: string): string | null {
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
