import { BlockList } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { parseCidrList } from '../../src/filter/cidr.ts';

describe('parseCidrList', () => {
  it('matches IPv4 and IPv6 networks, comma- or space-separated', () => {
    // Prepare
    const m = parseCidrList(' 10.0.0.0/8, 192.168.1.0/24\tfd00::/8 ,, 203.0.113.9 2001:db8::1 ');
    // Act + Assert
    expect(m.size).toBe(5);
    expect(m.contains('10.255.0.1')).toBe(true);
    expect(m.contains('11.0.0.1')).toBe(false);
    expect(m.contains('192.168.1.200')).toBe(true);
    expect(m.contains('192.168.2.1')).toBe(false);
    expect(m.contains('fd12:3456::1')).toBe(true);
    expect(m.contains('FD00::1')).toBe(true);
    expect(m.contains('fe80::1')).toBe(false);
    expect(m.contains('203.0.113.9')).toBe(true); // a bare address is a host
    expect(m.contains('203.0.113.10')).toBe(false);
    expect(m.contains('2001:db8:0:0::1')).toBe(true);
    expect(m.contains('2001:db8::2')).toBe(false);
  });

  it('is empty for an empty list and matches nothing', () => {
    // Act
    const m = parseCidrList('');
    // Assert
    expect(m.size).toBe(0);
    expect(m.contains('10.0.0.1')).toBe(false);
    expect(parseCidrList(' , ').size).toBe(0);
  });

  it('treats IPv4-mapped IPv6 addresses as the IPv4 address they carry', () => {
    // Prepare
    const m = parseCidrList('10.0.0.0/8');
    // Act + Assert
    expect(m.contains('::ffff:10.0.0.1')).toBe(true);
    expect(m.contains('::FFFF:a00:1')).toBe(true);
    expect(m.contains('::10.0.0.1')).toBe(false); // IPv4-compatible: an ordinary IPv6 address
    expect(parseCidrList('::ffff:10.0.0.0/104').contains('10.9.9.9')).toBe(true);
  });

  it('handles prefix 0 and full-length prefixes', () => {
    // Act + Assert
    expect(parseCidrList('0.0.0.0/0').contains('198.51.100.1')).toBe(true);
    expect(parseCidrList('0.0.0.0/0').contains('2001:db8::1')).toBe(false);
    expect(parseCidrList('::/0').contains('2001:db8::1')).toBe(true);
    expect(parseCidrList('::/0').contains('198.51.100.1')).toBe(true); // ::/0 covers ::ffff:0:0/96
    expect(parseCidrList('1.2.3.4/32').contains('1.2.3.4')).toBe(true);
    expect(parseCidrList('1.2.3.4/32').contains('1.2.3.5')).toBe(false);
    expect(parseCidrList('::1/128').contains('::1')).toBe(true);
    expect(parseCidrList('::1/128').contains('::2')).toBe(false);
    expect(parseCidrList('::/128').contains('::')).toBe(true);
  });

  it('ignores host bits below the prefix', () => {
    // Act + Assert
    expect(parseCidrList('10.1.2.3/8').contains('10.200.0.1')).toBe(true);
    expect(parseCidrList('2001:db8::ffff/32').contains('2001:db8:1::')).toBe(true);
  });

  it('ignores zone ids and non-addresses in contains()', () => {
    // Prepare
    const m = parseCidrList('fe80::/10, 10.0.0.0/8');
    // Act + Assert
    expect(m.contains('fe80::1%eth0')).toBe(true);
    expect(m.contains('not-an-ip')).toBe(false);
    expect(m.contains('')).toBe(false);
    expect(m.contains('10.0.0.01')).toBe(false);
  });

  it('throws a ConfigError naming INTERNAL_CIDRS and the bad entry', () => {
    for (const [list, entry] of [
      ['10.0.0.0/8, 10.0.0.0/33', '10.0.0.0/33'],
      ['fd00::/129', 'fd00::/129'],
      ['10.0.0.0/8 banana', 'banana'],
      ['10.0.0/8', '10.0.0/8'],
      ['10.0.0.0/', '10.0.0.0/'],
      ['10.0.0.0/-1', '10.0.0.0/-1'],
      ['10.0.0.0/8/8', '10.0.0.0/8/8'],
      ['/8', '/8'],
      ['fe80::%eth0/64', 'fe80::%eth0/64'],
      ['10.0.0.0/+8', '10.0.0.0/+8'],
    ] as const) {
      // Act
      let error: unknown;
      try {
        parseCidrList(list);
      } catch (e) {
        error = e;
      }
      // Assert
      expect(error, list).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).setting).toBe('INTERNAL_CIDRS');
      expect((error as Error).message).toContain(entry);
    }
  });

  it('agrees with node:net BlockList (property)', () => {
    // Prepare
    const v4net = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => ({ a, p, type: 'ipv4' as const }));
    const v6net = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, p]) => ({ a, p, type: 'ipv6' as const }));
    const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((a) => `::ffff:${a}`));
    fc.assert(
      fc.property(fc.array(fc.oneof(v4net, v6net), { maxLength: 4 }), fc.array(address, { minLength: 1, maxLength: 8 }), (nets, addrs) => {
        const reference = new BlockList();
        for (const n of nets) reference.addSubnet(n.a, n.p, n.type);
        const near = nets.map((n) => n.a); // addresses inside the networks too
        // Act
        const m = parseCidrList(nets.map((n) => `${n.a}/${n.p}`).join(', '));
        // Assert
        for (const ip of [...addrs, ...near]) {
          expect(m.contains(ip), ip).toBe(reference.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4'));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
