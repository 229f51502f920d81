import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanClick } from '../../src/clean/clean-click.ts';
import type { ValidClick } from '../../src/types.ts';
import { emailOf, emailParts, leaksEmail } from './arbitraries.ts';

const base: ValidClick = {
  eventId: 'evt_1-A',
  type: 'page_view',
  occurredAtMs: 1_714_564_800_000,
  sessionId: 's1',
  anonymousId: 'a1',
  userId: null,
  page: { url: 'https://shop.example.com/' },
};

describe('cleanClick', () => {
  it('cleans every field of a full event (SPEC §3)', () => {
    // Prepare
    const input: ValidClick = {
      eventId: 'evt_1-A',
      type: 'add_to_cart',
      occurredAtMs: 1_714_564_800_000,
      sessionId: ' s1\u0000 ',
      anonymousId: 'anon-1',
      userId: ' u-7 ',
      page: {
        url: 'HTTPS://Shop.Example.com:443/Cart/?x=1&utm_source=News&utm_medium=email&utm_campaign=May#top',
        referrer: 'https://www.google.com/search?q=shoes',
        title: '  Your cart\n— jane@example.com ',
      },
      product: { sku: ' SKU-1 ', quantity: 2, priceMinor: 1999, currency: 'USD' },
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      ip: '203.0.113.7',
      country: ' de ',
    };
    // Act
    const c = cleanClick(input);
    // Assert
    expect(c).toEqual({
      kind: 'clickstream',
      eventId: 'evt_1-A',
      type: 'add_to_cart',
      occurredAtMs: 1_714_564_800_000,
      sessionId: 's1',
      anonymousId: 'anon-1',
      userId: 'u-7',
      page: 'shop.example.com/Cart',
      pageHost: 'shop.example.com',
      pageUrl: 'https://shop.example.com/Cart?utm_source=News&utm_medium=email&utm_campaign=May',
      referrerHost: 'www.google.com',
      utmSource: 'News',
      utmMedium: 'email',
      utmCampaign: 'May',
      title: 'Your cart — [email]',
      searchQuery: null,
      product: { sku: 'SKU-1', quantity: 2, priceMinor: 1999, currency: 'USD' },
      device: 'mobile',
      country: 'DE',
      ipPrefix: '203.0.113.0/24',
      userAgent: input.userAgent,
    });
  });

  it('fills the defaults of a minimal event', () => {
    // Act
    const c = cleanClick(base);
    // Assert
    expect(c).toMatchObject({
      page: 'shop.example.com/',
      referrerHost: null,
      utmSource: null,
      title: null,
      searchQuery: null,
      product: null,
      device: 'other',
      country: 'ZZ',
      ipPrefix: null,
      userAgent: null,
      userId: null,
    });
  });

  it('redacts e-mail addresses in the search query, caps it, and keeps no raw IPv6', () => {
    // Act
    const c = cleanClick({ ...base, type: 'search', search: { query: `  find jane%40example.com ${'q'.repeat(300)}` }, ip: '2001:db8:1:2::7' });
    // Assert
    expect(c.searchQuery!.startsWith('find [email] qqq')).toBe(true);
    expect(c.searchQuery!.length).toBe(256);
    expect(c.ipPrefix).toBe('2001:db8:1::/48');
  });

  it('drops the referrer host when it is the page host', () => {
    // Act + Assert
    expect(cleanClick({ ...base, page: { url: 'https://shop.example.com/b', referrer: 'https://SHOP.example.com/a' } }).referrerHost).toBeNull();
  });

  it('pseudonymises e-mail addresses used as ids, keeping them distinct', () => {
    // Act
    const a = cleanClick({ ...base, anonymousId: 'jane@example.com', userId: 'jane@example.com' });
    const b = cleanClick({ ...base, anonymousId: 'john@example.com' });
    // Assert
    expect(a.anonymousId).toMatch(/^\[email:[0-9a-f]{16}\]$/);
    expect(a.userId).toBe(a.anonymousId);
    expect(b.anonymousId).not.toBe(a.anonymousId);
  });

  it('stores no e-mail address and no full IPv4 address from the input (property)', () => {
    // Prepare
    const text = fc.string({ maxLength: 20 });
    const sep = fc.constantFrom(' ', '/', ':', '<');
    const arb = fc.record({
      email: emailParts,
      ip: fc.ipV4(),
      ua: fc.constantFrom('Mozilla/5.0 (Windows NT 10.0)', '', 'x'),
      pre: text,
      post: text,
      s1: sep,
      s2: sep,
      field: fc.constantFrom('title', 'search', 'url', 'utm', 'ua', 'ids', 'referrer'),
      type: fc.constantFrom('page_view', 'search', 'add_to_cart'),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const email = emailOf(r.email);
        const free = `${r.pre}${r.s1}${email}${r.s2}${r.post}`;
        const input: ValidClick = {
          ...base,
          type: r.type as ValidClick['type'],
          page: {
            url: r.field === 'url' ? `https://shop.example.com/u/${email}/x` : r.field === 'utm' ? `https://shop.example.com/?utm_source=${encodeURIComponent(free)}` : base.page.url,
            title: r.field === 'title' ? free : r.post,
            referrer: r.field === 'referrer' ? `https://${email}/x` : '',
          },
          search: { query: r.field === 'search' ? free : r.pre },
          userAgent: r.field === 'ua' ? free : r.ua,
          ip: r.ip,
          sessionId: r.field === 'ids' ? email : 's1',
          anonymousId: r.field === 'ids' ? ` ${email} ` : 'a1',
          userId: r.field === 'ids' ? email : null,
        };
        // Act
        const out = cleanClick(input);
        // Assert
        const { ipPrefix, ...rest } = out;
        const json = JSON.stringify(rest);
        expect(leaksEmail(json, [r.email]), email).toBeNull();
        expect(json.includes(r.ip)).toBe(false);
        expect(ipPrefix).toBe(`${r.ip.split('.').slice(0, 3).join('.')}.0/24`);
      }),
      { numRuns: 2000 },
    );
  });
});
