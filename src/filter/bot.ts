/**
 * Bot user agents (SPEC §2 "filtered"): the spec's list, literally.
 */
import { StringMemo } from '../clean/memo.ts';

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

/**
 * The whole rule as one regular expression, compiled once: V8 runs a case-insensitive
 * alternation of literals several times faster than lower-casing the string and searching
 * for each token (measured: ~220 ns against ~620 ns on a desktop Chrome user agent).
 * `bot(?![a-z0-9_])` is "bot at the end of a word" (`\w` is `[A-Za-z0-9_]`; it also covers
 * "followed by `/`"). Case is ignored for ASCII letters.
 */
export const BOT_PATTERN = new RegExp(
  `bot(?![a-z0-9_])|${BOT_SUBSTRINGS.map((t) => t.replace(/[/-]/g, '\\$&')).join('|')}|^\\s*(?:${BOT_PREFIXES.map((t) => t.replace('/', '\\/')).join('|')})`,
  'i',
);

/**
 * True when the user agent is a bot's by SPEC §2: ignoring case, it contains `bot` at the
 * end of a word (followed by a character outside `[A-Za-z0-9_]`, such as `/`, `-`, `;`,
 * a space, or by the end) — `Googlebot/2.1`, `AdsBot-Google`, `Bot` — or one of
 * {@link BOT_SUBSTRINGS}, or it starts with `curl/` or `java/` (leading white space
 * ignored, as cleaning would trim it). `bot` inside a word (`robots`, `Bottle`) does not
 * count on its own. The rule is literal: a phone model named `CUBOT X19` reads as a bot,
 * and crawlers the list does not name (`facebookexternalhit`) are not bots.
 *
 * @example
 * isBotUserAgent('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'); // true
 * isBotUserAgent('curl/8.5.0');   // true
 * isBotUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'); // false
 */
export function isBotUserAgent(userAgent: string): boolean {
  let bot = verdicts.get(userAgent);
  if (bot === undefined) verdicts.set(userAgent, (bot = BOT_PATTERN.test(userAgent)));
  return bot;
}

/**
 * Verdicts by user agent: a session sends the same one with every event, and the regular
 * expression costs far more than a map lookup. Bounded (see `StringMemo`).
 */
const verdicts = new StringMemo<boolean>(1024, 1024);
