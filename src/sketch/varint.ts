/**
 * Unsigned LEB128 varints (7 bits per byte, low group first) for the sketch formats.
 *
 * Reading is strict because sketch bytes come back from storage: every read is bounds
 * checked, over-long encodings (a trailing 0x00 group) are refused so one value has exactly
 * one encoding (deterministic bytes), and values above `Number.MAX_SAFE_INTEGER` are refused
 * so arithmetic on them stays exact. Every failure is a `RangeError`.
 */

/** Number of bytes of the varint encoding of `v` (a safe non-negative integer). */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * Growable byte buffer for encoding.
 *
 * @example
 * const w = new ByteWriter(8);
 * w.byte(1);
 * w.varint(300);
 * w.finish(); // Uint8Array [1, 0xac, 0x02]
 */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(Math.max(capacity, 8));
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends one byte (0..255). */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Appends a varint; `v` must be a safe non-negative integer (the caller guarantees it). */
  varint(v: number): void {
    this.ensure(8);
    // bit operations only while the value fits in 31 bits; division above (values up to 2^53)
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  /** The bytes written so far (a copy trimmed to length). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Bounds-checked reader of sketch bytes.
 *
 * @example
 * const r = new ByteReader(Uint8Array.of(0xac, 0x02), 'example');
 * r.varint(); // 300
 * r.end();
 */
export class ByteReader {
  pos = 0;

  constructor(
    private readonly b: Uint8Array,
    /** what is being read, for error messages */
    private readonly what: string,
  ) {}

  /** Bytes not yet read. */
  get remaining(): number {
    return this.b.length - this.pos;
  }

  /** Throws the `RangeError` of corrupt input. */
  fail(msg: string): never {
    throw new RangeError(`${this.what}: ${msg} (at byte ${this.pos} of ${this.b.length})`);
  }

  byte(): number {
    const v = this.b[this.pos];
    if (v === undefined) this.fail('truncated');
    this.pos++;
    return v;
  }

  /** Reads `n` raw bytes (a view, not a copy). */
  bytes(n: number): Uint8Array {
    if (n > this.remaining) this.fail('truncated');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      // 8 groups hold 56 bits; anything longer cannot be a safe integer
      if (i === 8) this.fail('varint too long');
      const b = this.byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (b === 0 && i > 0) this.fail('over-long varint');
        break;
      }
      mul *= 0x80;
    }
    if (v > Number.MAX_SAFE_INTEGER) this.fail('varint above 2^53-1');
    return v;
  }

  /** Asserts that every byte was consumed. */
  end(): void {
    if (this.pos !== this.b.length) this.fail('trailing bytes');
  }
}
