/**
 * Privacy rules of SPEC §3: no raw IP address is stored (IPv4 → /24, IPv6 → /48) and
 * e-mail addresses in free text are redacted, also when the `@` is written `%40`.
 *
 * E-mail matching is a single forward pass with bounded look-back (no regex, no
 * backtracking): every character is looked at a constant number of times, so a hostile
 * 1 MB title costs the same as a benign one.
 */
import { createHash } from 'node:crypto';
import { formatIpv6, isIpv4Mapped, parseIp } from './ip.ts';
import { cleanText } from './strings.ts';

const groups = new Uint16Array(8);

/**
 * Truncates an IP address to its network prefix: IPv4 to `/24`, IPv6 to `/48` in RFC 5952
 * canonical text. An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what dual-stack
 * servers report for IPv4 clients) is treated as the IPv4 address it carries; its /48
 * would be `::/48` for every IPv4 client. A zone id is dropped. Anything that is not an
 * address gives `null`.
 *
 * @example
 * truncateIp('203.0.113.7');          // '203.0.113.0/24'
 * truncateIp('2001:DB8:1:2::7');      // '2001:db8:1::/48'
 * truncateIp('::ffff:203.0.113.7');   // '203.0.113.0/24'
 * truncateIp('not an ip');            // null
 */
export function truncateIp(ip: string): string | null {
  const family = parseIp(ip, groups);
  if (family === 0) return null;
  if (family === 4 || isIpv4Mapped(groups)) {
    const hi = groups[6]!;
    const lo = groups[7]!;
    return `${hi >>> 8}.${hi & 0xff}.${lo >>> 8}.0/24`;
  }
  groups[3] = groups[4] = groups[5] = groups[6] = groups[7] = 0;
  return `${formatIpv6(groups)}/48`;
}

// ---------------------------------------------------------------------------------------
// E-mail addresses

/** What replaces an e-mail address in free text. */
export const EMAIL_PLACEHOLDER = '[email]';

/**
 * Characters of a local part: ASCII letters and digits, RFC 5322 `atext` specials except
 * `/` (a path separator in URLs: `/users/jane@example.com` must keep `/users/`), `.`, `%`
 * (percent-encoded local parts) and letters beyond Latin-1 punctuation (internationalised
 * addresses).
 */
const LOCAL = new Uint8Array(128);
/** Characters of a domain label: ASCII letters, digits, `-`, and non-ASCII letters. */
const DOMAIN = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  if (alnum || "!#$%&'*+=?^_`{|}~.-".includes(String.fromCharCode(c))) LOCAL[c] = 1;
  if (alnum || c === 45) DOMAIN[c] = 1;
}

/**
 * Non-ASCII characters that can be part of an address: everything from U+00C0 on except
 * the general-punctuation, CJK-punctuation, half/full-width-form blocks and the BOM, so
 * that `「jane@example.com」` keeps its brackets.
 */
function isWideWordChar(c: number): boolean {
  return c >= 0xc0 && !(c >= 0x2000 && c <= 0x206f) && !(c >= 0x3000 && c <= 0x303f) && !(c >= 0xfe30 && c <= 0xfe4f) && !(c >= 0xff00 && c <= 0xff65) && c !== 0xfeff;
}

function isLocalChar(c: number): boolean {
  return c < 128 ? LOCAL[c] === 1 : isWideWordChar(c);
}

function isDomainChar(c: number): boolean {
  return c < 128 ? DOMAIN[c] === 1 : isWideWordChar(c);
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** Length of the `@` at `i`: 1 for `@`, 3 for `%40`, 0 otherwise. */
function atLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 64) return 1;
  if (c === 37 && s.charCodeAt(i + 1) === 52 && s.charCodeAt(i + 2) === 48) return 3;
  return 0;
}

/**
 * End (exclusive) of the domain that starts at `i`, or -1 when there is none: two or more
 * non-empty labels separated by dots, the last one not all digits (`react@18.2.0` is a
 * package, not an address). Labels may contain percent escapes other than `%40`, as the
 * URL parser writes non-ASCII letters. A trailing dot is sentence punctuation, not part of
 * the address.
 */
function domainEnd(s: string, i: number): number {
  const n = s.length;
  let labels = 0;
  let end = -1;
  while (i < n) {
    const start = i;
    let allDigits = true;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (isDomainChar(c)) {
        if (c < 48 || c > 57) allDigits = false;
        i++;
      } else if (c === 37 && isHexDigit(s.charCodeAt(i + 1)) && isHexDigit(s.charCodeAt(i + 2)) && atLength(s, i) === 0) {
        allDigits = false;
        i += 3;
      } else break;
    }
    if (i === start) break;
    labels++;
    // The address ends after the last label that can be a top-level domain:
    // `jane@example.com.5` is `jane@example.com` and `.5`.
    if (labels >= 2 && !allDigits) end = i;
    if (i < n && s.charCodeAt(i) === 46) i++;
    else break;
  }
  return end;
}

/**
 * Finds e-mail addresses (`local@domain`, also `local%40domain`) and hands each to
 * `replace`. Linear: the look-back for a local part never crosses the previous `@` or
 * replacement, and a domain contains no `@`.
 */
function replaceEmails(text: string, replace: (address: string) => string): string {
  let at = text.indexOf('@');
  let pct = text.indexOf('%40');
  if (at < 0 && pct < 0) return text;
  const n = text.length;
  let out = '';
  let copied = 0; // text[0, copied) is already in `out`
  let floor = 0; // a local part starts at or after this index
  // Where the run of local-part characters reaching `floor` began, or -1: a `%40` that was
  // not an address is itself three local-part characters (`%40@example.com` is an
  // address whose local part is `%40`), so a later look-back that reaches `floor` goes on
  // from there without scanning the same characters again.
  let carry = -1;
  let i = at < 0 ? pct : pct < 0 ? at : Math.min(at, pct);
  while (i >= 0 && i < n) {
    const len = atLength(text, i);
    if (len === 0) {
      i++;
      continue;
    }
    let start = i;
    while (start > floor && isLocalChar(text.charCodeAt(start - 1))) start--;
    if (start === floor && carry >= 0) start = carry;
    const end = start < i ? domainEnd(text, i + len) : -1;
    if (end > 0) {
      out += text.slice(copied, start) + replace(text.slice(start, end));
      copied = end;
      floor = end;
      carry = -1;
      i = end;
    } else {
      floor = i + len;
      carry = len === 3 ? start : -1;
      i += len;
    }
    // jump to the next candidate
    if (at >= 0 && at < i) at = text.indexOf('@', i);
    if (pct >= 0 && pct < i) pct = text.indexOf('%40', i);
    i = at < 0 ? pct : pct < 0 ? at : Math.min(at, pct);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Replaces every e-mail address in `text` with `[email]`, also when the `@` is written
 * `%40` (URLs, form posts). Text without `@` or `%40` is returned as it is, without a copy.
 *
 * @example
 * redactEmails('mail jane.doe@example.com now');       // 'mail [email] now'
 * redactEmails('/u/jane%40example.com/orders');         // '/u/[email]/orders'
 * redactEmails('react@18.2.0 and @handles stay');       // unchanged
 */
export function redactEmails(text: string): string {
  return replaceEmails(text, () => EMAIL_PLACEHOLDER);
}

/**
 * Like {@link redactEmails} but for identifiers (`userId`, `anonymousId`, `customerId`,
 * …): each address becomes `[email:<16 hex digits>]`, the start of the SHA-256 of the
 * lower-cased address (with `%40` read as `@`). Distinct addresses stay distinct and the
 * same address maps to the same token on every replay, so distinct counts and joins still
 * work, but the address itself is not stored.
 *
 * @example
 * pseudonymizeEmails('jane@example.com'); // '[email:…16 hex…]'
 * pseudonymizeEmails('user-42');          // 'user-42'
 */
export function pseudonymizeEmails(text: string): string {
  return replaceEmails(text, (address) => {
    const canonical = address.replace(/%40/g, '@').toLowerCase();
    return `[email:${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}]`;
  });
}

/** White space `String.prototype.trim` removes that is not a control character. */
function isTrimmableSpace(c: number): boolean {
  return c === 0x20 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * True when {@link cleanFreeText} and {@link cleanId} would return `s` itself: not empty,
 * within the cap, no control character (C0, DEL, C1), no surrogate (a well-formed pair is
 * kept too, but pairs are rare enough to leave to the full path), no `@` and no `%` (so no
 * e-mail address, also not a `%40` one), and no white space to trim at either end. One
 * scan instead of cleaning, trimming and two searches for an `@`; almost every identifier,
 * title and user agent passes.
 */
function isAlreadyClean(s: string, maxLength: number): boolean {
  const n = s.length;
  if (n === 0 || n > maxLength) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      if (c === 0x40 || c === 0x25) return false;
    } else if (c < 0xa0 || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return !isTrimmableSpace(s.charCodeAt(0)) && !isTrimmableSpace(s.charCodeAt(n - 1));
}

/**
 * Free text as stored (search query, title, user agent, campaign fields): cleaned
 * ({@link cleanText}), e-mail addresses redacted, then capped — in that order, so the cap
 * can never cut an address in two and leave half of it unredacted.
 *
 * @example
 * cleanFreeText('  write to jane@example.com\n', 256); // 'write to [email]'
 */
export function cleanFreeText(value: string | null | undefined, maxLength: number): string | null {
  if (value === null || value === undefined) return null;
  if (isAlreadyClean(value, maxLength)) return value;
  const text = cleanText(value, Number.POSITIVE_INFINITY);
  if (text === null) return null;
  const redacted = redactEmails(text);
  // Redaction keeps the text trimmed and free of control characters: only the cap is left.
  return redacted.length <= maxLength ? redacted : cleanText(redacted, maxLength);
}

/**
 * An identifier as stored: cleaned ({@link cleanText}), e-mail addresses pseudonymised
 * ({@link pseudonymizeEmails}, so distinct ids stay distinct), then capped.
 *
 * @example
 * cleanId(' session-1 ', 256); // 'session-1'
 * cleanId('jane@example.com', 256); // '[email:…]'
 */
export function cleanId(value: string | null | undefined, maxLength: number): string | null {
  if (value === null || value === undefined) return null;
  if (isAlreadyClean(value, maxLength)) return value;
  const text = cleanText(value, Number.POSITIVE_INFINITY);
  if (text === null) return null;
  const safe = pseudonymizeEmails(text);
  return safe.length <= maxLength ? safe : cleanText(safe, maxLength);
}
