/**
 * The internal-network filter of SPEC §2: `ip` inside the configured CIDR list
 * (`INTERNAL_CIDRS`, empty by default).
 *
 * Every address and network is compared in one 128-bit shape: an IPv4 address or CIDR is
 * its IPv4-mapped IPv6 form (`10.0.0.0/8` is `::ffff:10.0.0.0/104`, RFC 4291 §2.5.5.2).
 * So `10.0.0.0/8` matches both `10.1.2.3` and `::ffff:10.1.2.3` (the same client as a
 * dual-stack server reports it), and an IPv6 network that covers `::ffff:0:0/96` (`::/0`)
 * matches IPv4 addresses too. The deprecated IPv4-compatible form `::10.1.2.3` is an
 * ordinary IPv6 address and does not match `10.0.0.0/8`.
 */
import { ConfigError } from '../errors.ts';
import { parseIp } from '../clean/ip.ts';

/** A parsed CIDR list. */
export interface CidrMatcher {
  /** True when `ip` (IPv4 or IPv6, zone id ignored) is inside one of the networks; false for a non-address. */
  contains(ip: string): boolean;
  /** Number of networks in the list. */
  readonly size: number;
}

const scratch = new Uint16Array(8);

/** One network as four 32-bit words of address and mask. */
interface Network {
  addr: Uint32Array;
  mask: Uint32Array;
}

function toWords(g: Uint16Array, out: Uint32Array): void {
  for (let w = 0; w < 4; w++) out[w] = ((g[2 * w]! << 16) | g[2 * w + 1]!) >>> 0;
}

function maskWords(prefix: number): Uint32Array {
  const mask = new Uint32Array(4);
  for (let w = 0; w < 4; w++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * w));
    mask[w] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return mask;
}

function parseEntry(entry: string): Network {
  const slash = entry.indexOf('/');
  const addrText = slash < 0 ? entry : entry.slice(0, slash);
  if (addrText.includes('%')) throw new ConfigError('INTERNAL_CIDRS', `${JSON.stringify(entry)}: a zone id has no place in a network`);
  const family = parseIp(addrText, scratch);
  if (family === 0) throw new ConfigError('INTERNAL_CIDRS', `${JSON.stringify(entry)} is not an IPv4 or IPv6 address or CIDR`);
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw new ConfigError('INTERNAL_CIDRS', `${JSON.stringify(entry)}: prefix length must be 0–${max}`);
    }
    prefix = Number(p);
  }
  // IPv4 networks live at ::ffff:0:0/96 in the shared shape.
  const mask = maskWords(family === 4 ? 96 + prefix : prefix);
  const addr = new Uint32Array(4);
  toWords(scratch, addr);
  // Host bits are allowed (`10.1.2.3/8` means 10.0.0.0/8), as most tools read it.
  for (let w = 0; w < 4; w++) addr[w] = (addr[w]! & mask[w]!) >>> 0;
  return { addr, mask };
}

/**
 * Parses a comma- and/or white-space-separated list of IPv4 and IPv6 networks in CIDR
 * notation (`10.0.0.0/8, 192.168.0.0/16 fd00::/8`). A bare address is a single host
 * (/32 or /128); host bits below the prefix are ignored (`10.1.2.3/8` = `10.0.0.0/8`).
 * An empty list matches nothing.
 *
 * @throws {ConfigError} `INTERNAL_CIDRS`, naming the first bad entry.
 * @example
 * const internal = parseCidrList('10.0.0.0/8, fd00::/8');
 * internal.contains('10.20.30.40');     // true
 * internal.contains('::ffff:10.0.0.1'); // true
 * internal.contains('203.0.113.7');     // false
 */
export function parseCidrList(list: string): CidrMatcher {
  const networks: Network[] = [];
  for (const entry of list.split(/[\s,]+/)) {
    if (entry === '') continue;
    networks.push(parseEntry(entry));
  }
  return new ListMatcher(networks);
}

const addrWords = new Uint32Array(4);

class ListMatcher implements CidrMatcher {
  readonly size: number;
  readonly #networks: readonly Network[];

  constructor(networks: Network[]) {
    this.#networks = networks;
    this.size = networks.length;
  }

  contains(ip: string): boolean {
    const networks = this.#networks;
    if (networks.length === 0) return false;
    if (parseIp(ip, scratch) === 0) return false;
    toWords(scratch, addrWords);
    const a0 = addrWords[0]!;
    const a1 = addrWords[1]!;
    const a2 = addrWords[2]!;
    const a3 = addrWords[3]!;
    for (let k = 0; k < networks.length; k++) {
      const { addr, mask } = networks[k]!;
      if (
        ((a0 & mask[0]!) >>> 0) === addr[0] &&
        ((a1 & mask[1]!) >>> 0) === addr[1] &&
        ((a2 & mask[2]!) >>> 0) === addr[2] &&
        ((a3 & mask[3]!) >>> 0) === addr[3]
      ) {
        return true;
      }
    }
    return false;
  }
}
