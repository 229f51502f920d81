import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanFreeText, cleanId, pseudonymizeEmails, redactEmails, truncateIp } from '../../src/clean/privacy.ts';
import { emailParts, emailOf, leaksEmail, textWithEmails } from './arbitraries.ts';

describe('truncateIp', () => {
  it('keeps the /24 of IPv4 and the /48 of IPv6 (SPEC §3)', () => {
    const cases: [string, string | null][] = [
      ['203.0.113.7', '203.0.113.0/24'],
      ['10.0.0.255', '10.0.0.0/24'],
      ['0.0.0.0', '0.0.0.0/24'],
      ['255.255.255.255', '255.255.255.0/24'],
      ['2001:db8:1:2::7', '2001:db8:1::/48'],
      ['2001:DB8:0001:ffff:ffff:ffff:ffff:ffff', '2001:db8:1::/48'],
      ['2001:db8::1', '2001:db8::/48'],
      ['2001::1', '2001::/48'],
      ['::1', '::/48'],
      ['::', '::/48'],
      ['0:0:1::', '0:0:1::/48'],
      ['fe80::1%eth0', 'fe80::/48'],
      ['::ffff:203.0.113.7', '203.0.113.0/24'],
      ['::ffff:cb00:7107', '203.0.113.0/24'],
      ['1.2.3', null],
      ['01.2.3.4', null],
      ['localhost', null],
      ['', null],
      ['1::2::3', null],
    ];
    for (const [ip, prefix] of cases) {
      // Act + Assert
      expect(truncateIp(ip), ip).toBe(prefix);
    }
  });

  it('never returns the full address and always a prefix of it (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        // Act
        const out = truncateIp(ip)!;
        // Assert
        const [a, b, c] = ip.split('.');
        expect(out).toBe(`${a}.${b}.${c}.0/24`);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        // Act
        const out = truncateIp(ip)!;
        // Assert: /48 text that parses back as an address with zero host bits
        expect(out).toMatch(/\/(48|24)$/);
        if (out.endsWith('/48')) {
          const host = new URL(`http://[${out.slice(0, -3)}]/`).hostname;
          expect(`${host.slice(1, -1)}/48`).toBe(out);
          expect(out.slice(0, -3).split(':').filter((g) => g !== '').length).toBeLessThanOrEqual(3);
        }
      }),
    );
  });
});

describe('redactEmails', () => {
  it('redacts addresses in running text, URLs and with %40', () => {
    const cases: [string, string][] = [
      ['mail jane.doe@example.com now', 'mail [email] now'],
      ['jane@example.com', '[email]'],
      ['<Jane.Doe+news@Mail.Example.co.uk>', '<[email]>'],
      ['/users/jane@example.com/orders', '/users/[email]/orders'],
      ['/u/jane%40example.com/orders', '/u/[email]/orders'],
      ['jane%40EXAMPLE.com', '[email]'],
      ['q=jane@example.com&x=1', '[email]&x=1'],
      ['mailto:jane@example.com', 'mailto:[email]'],
      ['write to jane@example.com.', 'write to [email].'],
      ['a@b.co, c@d.io', '[email], [email]'],
      ['jane@example.com.5', '[email].5'],
      ['x@y.z@w.io', '[email]@w.io'],
      ['/j%C3%B6hn@ex%C3%A4mple.com', '/[email]'],
      ['jöhn@exämple.de', '[email]'],
      ['「jane@example.com」', '「[email]」'],
      ['jane@@example.com', 'jane@@example.com'],
      // A `%40` that starts no address is part of the next one's local part.
      ['a%40b%40example.com', '[email]'],
      [' %40@a.aa ', ' [email] '],
      ['%40%40@a.aa', '[email]'],
    ];
    for (const [text, expected] of cases) {
      // Act + Assert
      expect(redactEmails(text), text).toBe(expected);
    }
  });

  it('leaves what is not an address alone', () => {
    for (const text of [
      'react@18.2.0',
      'follow @nike and @adidas',
      'me@localhost',
      'price 5 @ 3.99',
      '50%40 off',
      '100%',
      'a@b',
      '@example.com',
      'jane@.com',
      'user@-',
      '',
      'plain text, nothing to see',
    ]) {
      // Act + Assert
      expect(redactEmails(text), text).toBe(text);
    }
  });

  it('returns text without @ or %40 unchanged (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: fc.constantFrom(...'ab.-%4019 '), maxLength: 60 })), (text) => {
        fc.pre(!text.includes('@') && !text.includes('%40'));
        // Act + Assert
        expect(redactEmails(text)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves no address behind (property)', () => {
    fc.assert(
      fc.property(textWithEmails, ({ text, emails }) => {
        // Act
        const out = redactEmails(text);
        // Assert
        expect(leaksEmail(out, emails)).toBeNull();
        expect(out).toContain('[email]');
      }),
      { numRuns: 3000 },
    );
  });

  it('redacts fast-check e-mail addresses whose local part has no "/"', () => {
    fc.assert(
      fc.property(fc.emailAddress().filter((e) => !e.split('@')[0]!.includes('/')), (email) => {
        // Act
        const out = redactEmails(` ${email} `);
        // Assert
        expect(out).not.toContain(`@${email.split('@')[1]}`);
      }),
      { numRuns: Number(process.env.PRIVACY_RUNS ?? 2000) },
    );
  });

  it('takes linear time on hostile input', () => {
    const n = 200_000;
    for (const text of [
      'a@'.repeat(n),
      'a%40'.repeat(n),
      `${'a.'.repeat(n)}@`,
      `${'a'.repeat(n)}@${'b.'.repeat(n)}`,
      'a@b.'.repeat(n),
      `${'x'.repeat(n)}${'@1.2'.repeat(n / 4)}`,
      '%4'.repeat(n),
      `${'.'.repeat(n)}@b.co`,
    ]) {
      // Act
      const t0 = performance.now();
      redactEmails(text);
      const ms = performance.now() - t0;
      // Assert: quadratic would take minutes at this size
      expect(ms, text.slice(0, 12)).toBeLessThan(500);
    }
  });
});

describe('pseudonymizeEmails', () => {
  it('maps each address to a stable, case-insensitive token', () => {
    // Act
    const a = pseudonymizeEmails('Jane@Example.com');
    const b = pseudonymizeEmails('jane%40example.com');
    const c = pseudonymizeEmails('john@example.com');
    // Assert
    expect(a).toMatch(/^\[email:[0-9a-f]{16}\]$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(pseudonymizeEmails('user-42')).toBe('user-42');
  });
});

describe('cleanFreeText / cleanId', () => {
  it('redacts before capping, so a cap cannot leave half an address', () => {
    // Prepare
    const text = `${'x'.repeat(10)} jane@example.com`;
    // Act
    const out = cleanFreeText(text, 20);
    // Assert
    expect(out).toBe('xxxxxxxxxx [email]');
    expect(cleanFreeText(`${'y'.repeat(15)} jane@example.com`, 20)).toBe(`${'y'.repeat(15)} [ema`);
  });

  it('cleans control characters and blanks', () => {
    // Act + Assert
    expect(cleanFreeText('  a\u0000b\n', 10)).toBe('ab');
    expect(cleanFreeText(' \u0001 ', 10)).toBeNull();
    expect(cleanFreeText(undefined, 10)).toBeNull();
    expect(cleanId(' s-1\u0000 ', 256)).toBe('s-1');
    expect(cleanId('', 256)).toBeNull();
  });

  it('keeps distinct e-mail ids distinct (property)', () => {
    fc.assert(
      fc.property(emailParts, emailParts, (a, b) => {
        const ea = emailOf(a);
        const eb = emailOf(b);
        fc.pre(ea.toLowerCase().replace('%40', '@') !== eb.toLowerCase().replace('%40', '@'));
        // Act
        const ia = cleanId(ea, 256);
        const ib = cleanId(eb, 256);
        // Assert
        expect(ia).not.toBe(ib);
        expect(ia).not.toContain('@');
      }),
    );
  });
});
