import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv6, isIpv4Mapped, parseIp, parseIpv4 } from '../../src/clean/ip.ts';

/** Canonical RFC 5952 text by an independent implementation: the WHATWG URL serialiser. */
function urlCanonical(ipv6: string): string {
  return new URL(`http://[${ipv6}]/`).hostname.slice(1, -1);
}

/** IPv6 text with a zone id, embedded quads, upper case and `::` in many places. */
const ipv6Text = fc.oneof(
  fc.ipV6(),
  fc.ipV6().map((s) => s.toUpperCase()),
  fc.tuple(fc.ipV6(), fc.stringMatching(/^[0-9a-zA-Z.:-]{1,8}$/)).map(([a, z]) => `${a}%${z}`),
);

/** Strings close to addresses: the edges of the grammar. */
const nearIp = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%x'), maxLength: 45 });

describe('parseIpv4', () => {
  it('reads dotted quads without leading zeros', () => {
    // Act + Assert
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('10.1.2.3')).toBe(0x0a010203);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..2.3', '1.2.3.4.', '.1.2.3.4', '1.2.3.0004', 'a.b.c.d', '1.2.3.4 ']) {
      expect(parseIpv4(bad), bad).toBe(-1);
    }
  });
});

describe('parseIp', () => {
  it('stores IPv4 as its IPv4-mapped form', () => {
    // Prepare
    const g = new Uint16Array(8);
    // Act
    const family = parseIp('192.0.2.33', g);
    // Assert
    expect(family).toBe(4);
    expect([...g]).toEqual([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0221]);
    expect(isIpv4Mapped(g)).toBe(true);
  });

  it('reads the IPv6 text forms', () => {
    // Prepare
    const g = new Uint16Array(8);
    const cases: [string, number[]][] = [
      ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
      ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
      ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
      ['2001:DB8::8:800:200C:417A', [0x2001, 0xdb8, 0, 0, 0x8, 0x800, 0x200c, 0x417a]],
      ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
      ['1:2:3:4:5:6::7', [1, 2, 3, 4, 5, 6, 0, 7]],
      ['::ffff:10.0.0.1', [0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]],
      ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]],
      ['fe80::1%eth0', [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ];
    for (const [text, groups] of cases) {
      // Act + Assert
      expect(parseIp(text, g), text).toBe(6);
      expect([...g], text).toEqual(groups);
    }
  });

  it('rejects what isIP rejects', () => {
    // Prepare
    const g = new Uint16Array(8);
    const bad = ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', ':1::', '1::2:',
      '1:::2', '::1.2.3.04', '::256.1.1.1', '1.2.3.4:80', '[::1]', 'fe80::1%', 'fe80::1%a%b', '1.2.3.4%x', '1:2:3:4:5:6:7:1.2.3.4', 'g::1'];
    for (const text of bad) {
      // Act + Assert
      expect(isIP(text), text).toBe(0);
      expect(parseIp(text, g), text).toBe(0);
    }
  });

  it('agrees with node:net isIP (property)', () => {
    // Prepare
    const g = new Uint16Array(8);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended(), ipv6Text, nearIp, fc.string()), (text) => {
        // Act + Assert
        expect(parseIp(text, g)).toBe(isIP(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('parses IPv6 to the value the URL parser reads (property)', () => {
    // Prepare
    const g = new Uint16Array(8);
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        // Act
        parseIp(text, g);
        // Assert: formatting our groups gives the URL parser's canonical text of the input
        expect(formatIpv6(g)).toBe(urlCanonical(text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('formatIpv6', () => {
  it('writes RFC 5952 canonical text', () => {
    // Act + Assert
    expect(formatIpv6(Uint16Array.of(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0))).toBe('2001:db8:1::');
    expect(formatIpv6(Uint16Array.of(0, 0, 0, 0, 0, 0, 0, 0))).toBe('::');
    expect(formatIpv6(Uint16Array.of(0x2001, 0xdb8, 0, 1, 0, 0, 0, 1))).toBe('2001:db8:0:1::1');
    expect(formatIpv6(Uint16Array.of(1, 0, 0, 2, 0, 0, 3, 4))).toBe('1::2:0:0:3:4');
    expect(formatIpv6(Uint16Array.of(0xabcd, 0, 0xabcd, 0, 0xabcd, 0, 0xabcd, 0))).toBe('abcd:0:abcd:0:abcd:0:abcd:0');
  });
});
