import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanFreeText } from '../../src/clean/privacy.ts';
import { MAX_URL_LENGTH, cleanPageUrl, cutEscapes, cleanPageUrlWithParser, referrerHost, referrerHostWithParser } from '../../src/clean/url.ts';
import { domainOf, emailOf, emailParts, leaksEmail } from './arbitraries.ts';

describe('cleanPageUrl', () => {
  it('gives the page dimension of the SPEC examples', () => {
    const cases: [string, string, string, string][] = [
      // input, page, host, url
      ['HTTPS://Shop.Example.com:443/Cart/?x=1#top', 'shop.example.com/Cart', 'shop.example.com', 'https://shop.example.com/Cart'],
      ['https://shop.example.com/', 'shop.example.com/', 'shop.example.com', 'https://shop.example.com/'],
      ['https://shop.example.com', 'shop.example.com/', 'shop.example.com', 'https://shop.example.com/'],
      ['https://shop.example.com/?q=1', 'shop.example.com/', 'shop.example.com', 'https://shop.example.com/'],
      ['https://shop.example.com//', 'shop.example.com/', 'shop.example.com', 'https://shop.example.com/'],
      ['http://Shop.Example.com:80/a/b///', 'shop.example.com/a/b', 'shop.example.com', 'http://shop.example.com/a/b'],
      ['http://shop.example.com:443/', 'shop.example.com:443/', 'shop.example.com:443', 'http://shop.example.com:443/'],
      ['https://shop.example.com:8443/Cart', 'shop.example.com:8443/Cart', 'shop.example.com:8443', 'https://shop.example.com:8443/Cart'],
      ['https://shop.example.com/a/./b/../c/%2e/', 'shop.example.com/a/c', 'shop.example.com', 'https://shop.example.com/a/c'],
      ['https://shop.example.com/Ä b/%7e%7E', 'shop.example.com/%C3%84%20b/%7e%7E', 'shop.example.com', 'https://shop.example.com/%C3%84%20b/%7e%7E'],
      ['https://BÜCHER.example/x', 'xn--bcher-kva.example/x', 'xn--bcher-kva.example', 'https://xn--bcher-kva.example/x'],
      ['https://[2001:DB8::1]:8080/x', '[2001:db8::1]:8080/x', '[2001:db8::1]:8080', 'https://[2001:db8::1]:8080/x'],
      ['https://jane:secret@shop.example.com/x', 'shop.example.com/x', 'shop.example.com', 'https://shop.example.com/x'],
      ['https:\\\\shop.example.com\\a\\b\\', 'shop.example.com/a/b', 'shop.example.com', 'https://shop.example.com/a/b'],
      ['  https://shop.example.com/x  ', 'shop.example.com/x', 'shop.example.com', 'https://shop.example.com/x'],
      ['https://192.168.0.1/x', '192.168.0.1/x', '192.168.0.1', 'https://192.168.0.1/x'],
      ['https://shop.example.com/x#/route/y', 'shop.example.com/x', 'shop.example.com', 'https://shop.example.com/x'],
    ];
    for (const [input, page, host, url] of cases) {
      // Act
      const r = cleanPageUrl(input);
      // Assert
      expect(r, input).not.toBeNull();
      expect({ page: r!.page, host: r!.host, url: r!.url }, input).toEqual({ page, host, url });
    }
  });

  it('keeps utm_source/medium/campaign as fields and drops every other parameter', () => {
    // Act
    const r = cleanPageUrl('https://shop.example.com/p/?gclid=x&utm_campaign=Spring+Sale&utm_source=Google&utm_medium=cpc&utm_source=bing&utm_term=t#f');
    // Assert
    expect(r).toEqual({
      page: 'shop.example.com/p',
      host: 'shop.example.com',
      url: 'https://shop.example.com/p?utm_source=Google&utm_medium=cpc&utm_campaign=Spring%20Sale',
      utmSource: 'Google',
      utmMedium: 'cpc',
      utmCampaign: 'Spring Sale',
    });
  });

  it('decodes campaign values and names like URLSearchParams, and cleans them', () => {
    const cases: [string, string | null, string | null, string | null][] = [
      ['?utm_source=caf%C3%A9&utm_medium=a%26b', 'café', 'a&b', null],
      ['?utm%5Fsource=x', 'x', null, null],
      ['?UTM_SOURCE=x&Utm_Medium=y', null, null, null], // names are case-sensitive
      ['?utm_source=&utm_medium', null, null, null],
      ['?utm_source=%20%20&utm_medium=+', null, null, null],
      ['?utm_source=a%00b%0Ac', 'ab c', null, null],
      ['?utm_campaign=jane%40example.com', null, null, '[email]'],
      ['?utm_campaign=mail+jane@example.com', null, null, 'mail [email]'],
      ['?utm_source=a=b&utm_medium=%zz', 'a=b', '%zz', null],
      ['?utm_sourcex=1&xutm_source=2&utm_source', null, null, null],
      [`?utm_source=${'s'.repeat(300)}`, 's'.repeat(256), null, null],
    ];
    for (const [query, source, medium, campaign] of cases) {
      // Act
      const r = cleanPageUrl(`https://shop.example.com/${query}`)!;
      // Assert
      expect([r.utmSource, r.utmMedium, r.utmCampaign], query).toEqual([source, medium, campaign]);
    }
  });

  it('redacts e-mail addresses in the path, also written %40', () => {
    const cases: [string, string][] = [
      ['https://shop.example.com/users/jane@example.com/orders/', 'shop.example.com/users/[email]/orders'],
      ['https://shop.example.com/users/jane%40example.com', 'shop.example.com/users/[email]'],
      ['https://shop.example.com/u/Jäne@exämple.de', 'shop.example.com/u/[email]'],
      ['https://shop.example.com/@handle/react@18.2.0', 'shop.example.com/@handle/react@18.2.0'],
    ];
    for (const [input, page] of cases) {
      // Act
      const r = cleanPageUrl(input)!;
      // Assert
      expect(r.page, input).toBe(page);
      expect(r.url, input).toBe(`https://${page}`);
    }
  });

  it('is null for what is not an absolute http(s) URL', () => {
    for (const input of ['', '/cart', 'shop.example.com/cart', 'ftp://example.com/', 'mailto:jane@example.com', 'javascript:alert(1)', 'http://', 'https://exa mple.com/', 'http://[::1/']) {
      // Act + Assert
      expect(cleanPageUrl(input), input).toBeNull();
    }
  });

  it('caps the URL, campaign query first, then the path', () => {
    // Prepare
    const longPath = `/${'a'.repeat(3000)}`;
    // Act
    const r = cleanPageUrl(`https://shop.example.com${longPath}/?utm_source=x`)!;
    const q = cleanPageUrl(`https://shop.example.com/${'b'.repeat(2000)}?utm_source=${'x'.repeat(200)}`)!;
    // Assert
    expect(r.url.length).toBe(MAX_URL_LENGTH);
    expect(r.url.startsWith('https://shop.example.com/aaa')).toBe(true);
    expect(r.page).toBe(r.url.slice('https://'.length));
    expect(q.url).toBe(`https://shop.example.com/${'b'.repeat(2000)}`);
    expect(q.utmSource).toBe('x'.repeat(200));
    expect(cleanPageUrl(r.url)).toEqual({ ...r, utmSource: null });
  });

  it('cutEscapes drops a partial escape and an incomplete UTF-8 character, nothing else', () => {
    // Act / Assert
    expect(cutEscapes('/caf%C3%A9')).toBe('/caf%C3%A9');
    expect(cutEscapes('/caf%C3%A')).toBe('/caf');
    expect(cutEscapes('/caf%C3%')).toBe('/caf');
    expect(cutEscapes('/caf%C3')).toBe('/caf');
    expect(cutEscapes('/a%20')).toBe('/a%20');
    expect(cutEscapes('/a%2')).toBe('/a');
    expect(cutEscapes('/%E2%82%AC')).toBe('/%E2%82%AC');
    expect(cutEscapes('/%E2%82')).toBe('/');
    expect(cutEscapes('/%F0%9F%98%80')).toBe('/%F0%9F%98%80');
    expect(cutEscapes('/x%F0%9F%98')).toBe('/x');
    expect(cutEscapes('/%80%80')).toBe('/%80%80');
  });

  it('never cuts a long path inside a percent-escape', () => {
    for (let pad = 0; pad < 6; pad++) {
      // Prepare: `é` is `%C3%A9` in the path; the cut lands at every offset within the escapes
      const url = `https://shop.example.com/${'x'.repeat(pad)}${'é'.repeat(400)}`;
      // Act
      const r = cleanPageUrl(url)!;
      // Assert
      expect(r.url.length, `pad ${pad}`).toBeLessThanOrEqual(MAX_URL_LENGTH);
      expect(r.url.length, `pad ${pad}`).toBeGreaterThan(MAX_URL_LENGTH - 6);
      expect(r.url, `pad ${pad}`).toMatch(/(%C3%A9|\/x*)$/);
      expect(r.page).toBe(r.url.slice('https://'.length));
      expect(cleanPageUrl(r.url)).toEqual(r);
    }
  });

  const urlWithExtras = fc
    .tuple(
      fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }),
      fc.array(fc.tuple(fc.constantFrom('utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'x'), fc.string({ maxLength: 12 })), { maxLength: 4 }),
      fc.constantFrom('', '/', '//', '/./', '/A/'),
    )
    .map(([u, params, tail]) => {
      const url = new URL(u);
      url.pathname += tail;
      for (const [k, v] of params) url.searchParams.append(k, v);
      return url.href;
    });

  it('is idempotent on its own output URL (property)', () => {
    fc.assert(
      fc.property(urlWithExtras, (input) => {
        // Act
        const once = cleanPageUrl(input)!;
        const twice = cleanPageUrl(once.url);
        // Assert
        expect(twice).toEqual(once);
        expect(once.page).toBe(once.url.replace(/^https?:\/\//, '').replace(/\?.*$/, ''));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads campaign values exactly as URLSearchParams would, then cleans them (property)', () => {
    // Prepare
    const piece = fc.constantFrom('utm_source', 'utm_medium', 'utm_campaign', 'utm_', '=', '&', '+', '%20', '%', '%41', 'a', 'é', ' ', '%40', '@', 'b.co');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (query) => {
        const input = `https://shop.example.com/?${query}`;
        const params = new URL(input).searchParams;
        // Act
        const r = cleanPageUrl(input)!;
        // Assert
        expect(r.utmSource).toBe(cleanFreeText(params.get('utm_source'), 256));
        expect(r.utmMedium).toBe(cleanFreeText(params.get('utm_medium'), 256));
        expect(r.utmCampaign).toBe(cleanFreeText(params.get('utm_campaign'), 256));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves no e-mail address in page, url or campaign fields (property)', () => {
    fc.assert(
      fc.property(emailParts, fc.constantFrom('/u/', '/', '/a/b/'), fc.constantFrom('', '/', '/x'), (e, before, after) => {
        const email = emailOf(e);
        // Act
        const r = cleanPageUrl(`https://shop.example.com${before}${email}${after}?utm_campaign=${encodeURIComponent(email)}&utm_source=${email.replaceAll('+', '%2B')}`)!; // a raw + is a space
        // Assert
        expect(leaksEmail(JSON.stringify(r), [e]), email).toBeNull();
        expect(r.url).not.toContain(domainOf(e) + '?');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('referrerHost', () => {
  it('is the referrer host when it parses as an absolute URL and differs from the page host', () => {
    const cases: [string | undefined, string, string | null][] = [
      ['https://www.google.com/search?q=shoes', 'shop.example.com', 'www.google.com'],
      ['HTTPS://WWW.Google.COM:443/', 'shop.example.com', 'www.google.com'],
      ['http://news.example.org:8080/a', 'shop.example.com', 'news.example.org:8080'],
      ['https://shop.example.com/cart', 'shop.example.com', null],
      ['https://SHOP.example.com:443/cart', 'shop.example.com', null],
      ['https://shop.example.com:8443/cart', 'shop.example.com', 'shop.example.com:8443'],
      ['https://example.com/', 'shop.example.com', 'example.com'],
      ['android-app://com.Google.Android.gm/', 'shop.example.com', 'com.google.android.gm'],
      ['https://jane:pw@mail.example.net/inbox', 'shop.example.com', 'mail.example.net'],
      ['', 'shop.example.com', null],
      [undefined, 'shop.example.com', null],
      ['not a url', 'shop.example.com', null],
      ['/relative/path', 'shop.example.com', null],
      ['www.google.com', 'shop.example.com', null],
      ['about:blank', 'shop.example.com', null],
      ['javascript:void(0)', 'shop.example.com', null],
      ['file:///etc/passwd', 'shop.example.com', null],
      ['x-app://jane%40example.com/', 'shop.example.com', '[email]'],
    ];
    for (const [referrer, pageHost, expected] of cases) {
      // Act + Assert
      expect(referrerHost(referrer, pageHost), String(referrer)).toBe(expected);
    }
  });
});

/** URL-ish text built from the pieces where a hand reading could go wrong. */
const trickyUrl = fc
  .tuple(
    fc.constantFrom('https://', 'http://', 'HTTP://', 'https:/', 'ftp://', ' https://', 'https:\\\\', ''),
    fc.array(fc.constantFrom('shop', 'example', 'com', 'xn--bcher-kva', 'xn-', 'a-b', '1', '0x7f', '192', 'EXAMPLE', 'bücher', '', '.', '-', '_', '@', 'jane@', '%41', '[::1]'), { minLength: 1, maxLength: 5 }).map((l) => l.join('.')),
    fc.constantFrom('', ':443', ':80', ':8080', ':0443', ':0', ':', ':65535', ':65536', ':123456', ':x'),
    fc.array(fc.constantFrom('/', '/a', '/B', '/.', '/..', '/%2e', '/%2E.', '/.a', '/a..', '//', '/a b', '/a\tb', '/a\\b', '/ä', '/%zz', '/%40', '/jane@example.com', '/a^|;=', '/"<>', '/`{}', "/'", '/~!$&()*+,'), { maxLength: 5 }).map((p) => p.join('')),
    fc.option(fc.array(fc.constantFrom('utm_source=a', 'utm_medium=b+c', 'utm_campaign=%41', 'x=1', '&', '=', "'", '"', ' ', 'é', '<', '?', '/', '%', 'utm%5Fsource=z', '\\'), { maxLength: 5 }).map((q) => `?${q.join('')}`), { nil: '' }),
    fc.constantFrom('', '#', '#top', '#a b', '#x?utm_source=y', ' ', '\n'),
  )
  .map((parts) => parts.join(''));

describe('fast paths', () => {
  it('cleanPageUrl reads by hand exactly what the URL parser reads (property)', () => {
    fc.assert(
      fc.property(fc.oneof(trickyUrl, fc.webUrl({ withQueryParameters: true, withFragments: true })), (url) => {
        // Act + Assert
        expect(cleanPageUrl(url)).toEqual(cleanPageUrlWithParser(url));
      }),
      { numRuns: 5000 },
    );
  });

  it('cleanPageUrl is idempotent on odd URLs too (property)', () => {
    fc.assert(
      fc.property(trickyUrl, (url) => {
        // Act
        const once = cleanPageUrl(url);
        // Assert
        if (once !== null) expect(cleanPageUrl(once.url)).toEqual(once);
      }),
      { numRuns: 3000 },
    );
  });

  it('referrerHost reads by hand exactly what the URL parser reads (property)', () => {
    fc.assert(
      fc.property(fc.oneof(trickyUrl, fc.webUrl()), fc.constantFrom('shop.example.com', 'example.com', 'a-b.1.shop'), (url, pageHost) => {
        // Act + Assert
        expect(referrerHost(url, pageHost)).toBe(referrerHostWithParser(url, pageHost));
      }),
      { numRuns: 5000 },
    );
  });
});
