/**
 * IP address parsing shared by privacy truncation (`privacy.ts`) and the internal-CIDR
 * filter (`src/filter/cidr.ts`). Hand-written char loops instead of regexes or `node:net`
 * objects: it runs on every record that carries an `ip`, and it must fill a 128-bit value
 * without allocating.
 *
 * It accepts exactly what `node:net` `isIP` accepts (the validator's rule, see
 * `src/schema/primitives.ts`): dotted-quad IPv4 without leading zeros, IPv6 in any RFC 4291
 * text form (`::` compression, an embedded dotted quad in the last 32 bits) and an optional
 * zone id (`%eth0`) on IPv6, which is ignored. A property test checks the equivalence.
 */

/** Result of {@link parseIp}: 4 or 6 for the address family, 0 when not an address. */
export type IpFamily = 0 | 4 | 6;

function isZoneChar(c: number): boolean {
  // node's isIP zone id: [0-9a-zA-Z-.:]
  return (c >= 48 && c <= 58) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45 || c === 46;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Parses a dotted quad in `s[start, end)` into a 32-bit unsigned number, or -1. Octets are
 * 0–255 without leading zeros (`01` is not an octet, as for `isIP`).
 */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (i < end) {
    const first = i;
    let octet = 0;
    while (i < end) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      octet = octet * 10 + d;
      i++;
      if (i - first > 3) return -1;
    }
    const len = i - first;
    if (len === 0 || octet > 255 || (len > 1 && s.charCodeAt(first) === 48)) return -1;
    value = value * 256 + octet;
    octets++;
    if (i === end) break;
    if (s.charCodeAt(i) !== 46 || octets === 4) return -1;
    i++;
    if (i === end) return -1; // trailing dot
  }
  return octets === 4 ? value : -1;
}

/**
 * Parses an IPv4 or IPv6 address into eight 16-bit groups (`out`, network order). An IPv4
 * address is stored in its IPv4-mapped IPv6 form `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2), so
 * callers compare one 128-bit shape. Returns the family as written, or 0 (then `out` is
 * unspecified). A zone id (`fe80::1%eth0`) is accepted and ignored.
 *
 * @example
 * const g = new Uint16Array(8);
 * parseIp('2001:db8::1', g); // 6, g = [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]
 * parseIp('10.0.0.1', g);    // 4, g = [0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]
 * parseIp('10.0.0.01', g);   // 0
 */
export function parseIp(s: string, out: Uint16Array): IpFamily {
  const n = s.length;
  if (n === 0) return 0;
  // Family by the first separator: a ':' before any '.' means IPv6.
  let colon = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) {
      colon = true;
      break;
    }
    if (c === 46 || c === 37) break;
  }
  if (!colon) {
    const v4 = parseIpv4(s, 0, n);
    if (v4 < 0) return 0;
    out.fill(0);
    out[5] = 0xffff;
    out[6] = v4 >>> 16;
    out[7] = v4 & 0xffff;
    return 4;
  }
  return parseIpv6(s, out) ? 6 : 0;
}

function parseIpv6(s: string, out: Uint16Array): boolean {
  let end = s.length;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (pct === end - 1) return false;
    for (let i = pct + 1; i < end; i++) if (!isZoneChar(s.charCodeAt(i))) return false;
    end = pct;
  }
  let groups = 0; // groups written so far
  let gap = -1; // index in `out` where `::` stands
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    // must be `::`
    if (end < 2 || s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === end) {
      out.fill(0);
      return true;
    }
  }
  while (i < end) {
    if (groups === 8) return false;
    const first = i;
    let value = 0;
    while (i < end) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    const len = i - first;
    if (i < end && s.charCodeAt(i) === 46) {
      // embedded dotted quad: the last 32 bits
      if (groups > 6) return false;
      const v4 = parseIpv4(s, first, end);
      if (v4 < 0) return false;
      out[groups++] = v4 >>> 16;
      out[groups++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (len === 0 || len > 4) return false;
    out[groups++] = value;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i === end) return false; // trailing single ':'
    if (s.charCodeAt(i) === 58) {
      if (gap >= 0) return false; // a second `::`
      gap = groups;
      i++;
    }
  }
  if (gap < 0) return groups === 8;
  if (groups > 7) return false; // `::` stands for at least one group
  // Move the groups after the gap to the end and zero the gap.
  const tail = groups - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[groups - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

/** True when the eight groups hold an IPv4-mapped address `::ffff:a.b.c.d`. */
export function isIpv4Mapped(g: Uint16Array): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/**
 * Formats eight 16-bit groups in RFC 5952 canonical text: lower-case hex without leading
 * zeros, the longest run of two or more zero groups (the first on a tie) as `::`.
 *
 * @example
 * formatIpv6(Uint16Array.of(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0)); // '2001:db8:1::'
 */
export function formatIpv6(g: Uint16Array): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += g[i]!.toString(16);
  }
  return out;
}
