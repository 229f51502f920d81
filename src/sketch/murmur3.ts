/**
 * MurmurHash3 x86_128 (Austin Appleby, public domain) over the UTF-8 bytes of a string.
 *
 * Why this hash: it is built from 32-bit multiplications only (`Math.imul`), so JavaScript
 * runs it without BigInt or 64-bit emulation, and it is well tested for distribution
 * (SMHasher). The x64 variant would need 64-bit multiplies, several times slower here. The
 * HyperLogLog uses the first 64 of the 128 output bits.
 *
 * Hot path: one call per clickstream record, so the function writes its result into
 * module-level slots instead of allocating, and encodes UTF-8 into a reused buffer.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** Reused scratch buffer for the UTF-8 bytes; grows on demand (3 bytes per UTF-16 unit at most). */
let buf = new Uint8Array(256);

/** Words of the last hash (`murmur3Utf8`): h1..h4 as unsigned 32-bit integers. */
export const hashOut = new Uint32Array(4);

/**
 * Encodes `s` as UTF-8 into the scratch buffer and returns the byte length. Lone surrogates
 * become U+FFFD, exactly as `TextEncoder` does, so the hash of a string equals the hash of
 * `new TextEncoder().encode(s)`.
 */
function encodeUtf8(s: string): number {
  const n = s.length;
  if (buf.length < n * 3) buf = new Uint8Array(Math.max(n * 3, buf.length * 2));
  const b = buf;
  let j = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      b[j++] = c;
    } else if (c < 0x800) {
      b[j++] = 0xc0 | (c >> 6);
      b[j++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          b[j++] = 0xf0 | (c >> 18);
          b[j++] = 0x80 | ((c >> 12) & 0x3f);
          b[j++] = 0x80 | ((c >> 6) & 0x3f);
          b[j++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      b[j++] = 0xe0 | (c >> 12);
      b[j++] = 0x80 | ((c >> 6) & 0x3f);
      b[j++] = 0x80 | (c & 0x3f);
    }
  }
  return j;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * MurmurHash3 x86_128 of the first `len` bytes of `b`; the result goes to `hashOut`.
 *
 * @example
 * murmur3Bytes(new TextEncoder().encode('abc'), 3, 0);
 * hashOut[0]; // h1 of the reference implementation
 */
export function murmur3Bytes(b: Uint8Array, len: number, seed: number): void {
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const blocks = len & ~15;
  let k1: number, k2: number, k3: number, k4: number;
  for (let i = 0; i < blocks; i += 16) {
    // `b[x]!`: indices are < len by construction (noUncheckedIndexedAccess cannot see it)
    k1 = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    k2 = b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24);
    k3 = b[i + 8]! | (b[i + 9]! << 8) | (b[i + 10]! << 16) | (b[i + 11]! << 24);
    k4 = b[i + 12]! | (b[i + 13]! << 8) | (b[i + 14]! << 16) | (b[i + 15]! << 24);

    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (h1 + h2) | 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;

    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    h2 ^= Math.imul(k2, C3);
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (h2 + h3) | 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;

    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    h3 ^= Math.imul(k3, C4);
    h3 = (h3 << 15) | (h3 >>> 17);
    h3 = (h3 + h4) | 0;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;

    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    h4 ^= Math.imul(k4, C1);
    h4 = (h4 << 13) | (h4 >>> 19);
    h4 = (h4 + h1) | 0;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }

  // tail: the switch fall-through of the reference implementation, unrolled
  const t = blocks;
  const rem = len & 15;
  k1 = 0;
  k2 = 0;
  k3 = 0;
  k4 = 0;
  if (rem > 12) {
    if (rem >= 15) k4 ^= b[t + 14]! << 16;
    if (rem >= 14) k4 ^= b[t + 13]! << 8;
    k4 ^= b[t + 12]!;
    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    h4 ^= Math.imul(k4, C1);
  }
  if (rem > 8) {
    if (rem >= 12) k3 ^= b[t + 11]! << 24;
    if (rem >= 11) k3 ^= b[t + 10]! << 16;
    if (rem >= 10) k3 ^= b[t + 9]! << 8;
    k3 ^= b[t + 8]!;
    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    h3 ^= Math.imul(k3, C4);
  }
  if (rem > 4) {
    if (rem >= 8) k2 ^= b[t + 7]! << 24;
    if (rem >= 7) k2 ^= b[t + 6]! << 16;
    if (rem >= 6) k2 ^= b[t + 5]! << 8;
    k2 ^= b[t + 4]!;
    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    h2 ^= Math.imul(k2, C3);
  }
  if (rem > 0) {
    if (rem >= 4) k1 ^= b[t + 3]! << 24;
    if (rem >= 3) k1 ^= b[t + 2]! << 16;
    if (rem >= 2) k1 ^= b[t + 1]! << 8;
    k1 ^= b[t]!;
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
  }

  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  hashOut[0] = h1;
  hashOut[1] = h2;
  hashOut[2] = h3;
  hashOut[3] = h4;
}

/**
 * Hashes the UTF-8 bytes of `s` with MurmurHash3 x86_128 and leaves the four 32-bit words
 * (h1..h4, unsigned) in `hashOut` (no allocation: read them before the next call).
 *
 * @example
 * murmur3Utf8('Hello, world!', 123);
 * hashOut[0].toString(16); // '61c9129e'
 */
export function murmur3Utf8(s: string, seed = 0): void {
  murmur3Bytes(buf, encodeUtf8(s), seed);
}

/**
 * The 128-bit hash of `s` as 32 hex digits (h1..h4, each big-endian hex), the layout of the
 * reference test vectors. For tests and debugging; the hot path uses `murmur3Utf8`.
 *
 * @example
 * murmur3Hex('', 123); // 'fedc524526f3e79926f3e79926f3e799'
 */
export function murmur3Hex(s: string, seed = 0): string {
  murmur3Utf8(s, seed);
  let out = '';
  for (const w of hashOut) out += w.toString(16).padStart(8, '0');
  return out;
}
