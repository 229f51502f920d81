/**
 * Bot user agents (SPEC §2 "filtered"): the spec's list, literally.
 */

/** Substrings (lower-case) that make a user agent a bot's wherever they occur. */
export const BOT_SUBSTRINGS: readonly string[] = [
  'crawl',
  'spider',
  'slurp',
  'headless',
  'phantomjs',
  'puppeteer',
  'playwright',
  'wget/',
  'python-requests',
  'python-urllib',
  'aiohttp',
  'go-http-client',
  'okhttp',
  'axios/',
  'node-fetch',
  'libwww-perl',
  'httpclient',
];

/** Prefixes (lower-case) that make a user agent a bot's. */
export const BOT_PREFIXES: readonly string[] = ['curl/', 'java/'];

/** A word character as in regular expressions' `\w`: `[A-Za-z0-9_]`. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || (c >= 65 && c <= 90);
}

/**
 * True when the user agent is a bot's by SPEC §2: ignoring case, it contains `bot` at the
 * end of a word (followed by a character outside `[A-Za-z0-9_]`, such as `/`, `-`, `;`,
 * a space, or by the end) — `Googlebot/2.1`, `AdsBot-Google`, `Bot` — or one of
 * {@link BOT_SUBSTRINGS}, or it starts with `curl/` or `java/` (leading white space
 * ignored, as cleaning would trim it). `bot` inside a word (`robots`, `Bottle`) does not
 * count on its own. The rule is literal: a phone model named `CUBOT X19` reads as a bot.
 *
 * @example
 * isBotUserAgent('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'); // true
 * isBotUserAgent('curl/8.5.0');   // true
 * isBotUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'); // false
 */
export function isBotUserAgent(userAgent: string): boolean {
  if (userAgent.length < 3) return false;
  const ua = userAgent.toLowerCase();
  for (let i = ua.indexOf('bot'); i >= 0; i = ua.indexOf('bot', i + 3)) {
    const next = i + 3 < ua.length ? ua.charCodeAt(i + 3) : -1;
    if (next < 0 || !isWordChar(next)) return true;
  }
  for (let k = 0; k < BOT_SUBSTRINGS.length; k++) if (ua.includes(BOT_SUBSTRINGS[k]!)) return true;
  let start = 0;
  while (start < ua.length && ua.charCodeAt(start) <= 32) start++;
  return ua.startsWith('curl/', start) || ua.startsWith('java/', start);
}
