import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBotUserAgent } from '../../src/filter/bot.ts';
import { BOTS, BROWSERS, UNLISTED_CRAWLERS } from './user-agents.ts';

describe('isBotUserAgent', () => {
  it('is false for real browsers on desktop, phone and tablet', () => {
    for (const [name, ua] of Object.entries(BROWSERS)) {
      // Act + Assert
      expect(isBotUserAgent(ua), name).toBe(false);
    }
  });

  it('is true for real crawlers, tools and HTTP libraries', () => {
    for (const ua of BOTS) {
      // Act + Assert
      expect(isBotUserAgent(ua), ua).toBe(true);
    }
  });

  it('is false for crawlers the spec does not list (the rule is literal)', () => {
    for (const ua of UNLISTED_CRAWLERS) {
      // Act + Assert
      expect(isBotUserAgent(ua), ua).toBe(false);
    }
  });

  it('reads "bot at the end of a word" literally', () => {
    const cases: [string, boolean][] = [
      ['Googlebot', true],
      ['googlebot/2.1', true],
      ['AdsBot-Google', true],
      ['x bot', true],
      ['bot;', true],
      ['Bot.', true],
      ['robots', false], // bot inside a word
      ['Bottle/1.0', false],
      ['bot_x', false], // `_` is a word character
      ['bot2', false],
      ['robot', true],
      ['CUBOT X19', true], // literal rule: a phone brand ending in "bot"
      ['abbot', true],
      ['botany', false],
    ];
    for (const [ua, bot] of cases) {
      // Act + Assert
      expect(isBotUserAgent(ua), ua).toBe(bot);
    }
  });

  it('matches each listed substring anywhere, ignoring case', () => {
    for (const token of ['crawl', 'spider', 'slurp', 'headless', 'phantomjs', 'puppeteer', 'playwright', 'wget/', 'python-requests', 'python-urllib', 'aiohttp', 'go-http-client', 'okhttp', 'axios/', 'node-fetch', 'libwww-perl', 'httpclient']) {
      // Act + Assert
      expect(isBotUserAgent(`Mozilla/5.0 x${token}y`), token).toBe(true);
      expect(isBotUserAgent(`Mozilla/5.0 ${token.toUpperCase()}`), token).toBe(true);
    }
    expect(isBotUserAgent('wget 1.0')).toBe(false); // wget needs the slash
    expect(isBotUserAgent('axios 1.6')).toBe(false);
  });

  it('matches curl/ and java/ only at the start', () => {
    // Act + Assert
    expect(isBotUserAgent('curl/8.5.0')).toBe(true);
    expect(isBotUserAgent('CURL/7')).toBe(true);
    expect(isBotUserAgent('Java/1.8.0_392')).toBe(true);
    expect(isBotUserAgent('  curl/8')).toBe(true); // leading white space, as cleaning trims it
    expect(isBotUserAgent('Mozilla/5.0 curl/8')).toBe(false);
    expect(isBotUserAgent('Mozilla/5.0 (Java/17)')).toBe(false);
    expect(isBotUserAgent('curl 8')).toBe(false);
    expect(isBotUserAgent('JavaScript/1')).toBe(false);
    expect(isBotUserAgent('')).toBe(false);
  });

  it('agrees with a token-by-token reading of the spec (property)', () => {
    // Prepare: the SPEC sentence as plain string searches, independent of the regex
    const tokens = ['crawl', 'spider', 'slurp', 'headless', 'phantomjs', 'puppeteer', 'playwright', 'wget/', 'python-requests', 'python-urllib', 'aiohttp', 'go-http-client', 'okhttp', 'axios/', 'node-fetch', 'libwww-perl', 'httpclient'];
    const isWord = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
    const reference = (ua: string): boolean => {
      const lower = ua.replace(/[A-Z]/g, (c) => c.toLowerCase());
      for (let i = lower.indexOf('bot'); i >= 0; i = lower.indexOf('bot', i + 1)) if (!isWord(lower[i + 3])) return true;
      if (tokens.some((t) => lower.includes(t))) return true;
      const trimmed = lower.trimStart();
      return trimmed.startsWith('curl/') || trimmed.startsWith('java/');
    };
    const piece = fc.constantFrom('bot', 'BOT', 'Bot/', 'bots', 'bot_', 'bo', 't', 'crawl', 'Spider', 'curl/', 'java/', 'wget', 'wget/', 'axios', 'AXIOS/', 'Go-HTTP-Client', 'python-', 'requests', 'Mozilla/5.0', ' ', '\t', '(', ';', 'a', '1', '_', '-', 'é', 'Chrome/124');
    fc.assert(
      fc.property(fc.oneof(fc.array(piece, { maxLength: 8 }).map((p) => p.join('')), fc.string()), (ua) => {
        // Act + Assert
        expect(isBotUserAgent(ua), ua).toBe(reference(ua));
      }),
      { numRuns: 5000 },
    );
  });
});
