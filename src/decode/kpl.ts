/**
 * KPL record aggregation (the Kinesis Producer Library's wire format), read and written by
 * hand so that the decoder has no dependency and every byte is bounds-checked.
 *
 * An aggregate is `F3 89 9A C2` (magic) + protobuf `AggregatedRecord` + MD5 of the protobuf
 * bytes (16 bytes):
 *
 * ```proto
 * message AggregatedRecord {
 *   repeated string partition_key_table     = 1;
 *   repeated string explicit_hash_key_table = 2;
 *   repeated Record records                 = 3;
 * }
 * message Record {
 *   required uint64 partition_key_index     = 1;
 *   optional uint64 explicit_hash_key_index = 2;
 *   required bytes  data                    = 3;
 *   repeated Tag    tags                    = 4;
 * }
 * message Tag { required string key = 1; optional string value = 2; }
 * ```
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { KplFormatError } from '../errors.ts';

/** The four magic bytes that start every KPL aggregate. */
export const KPL_MAGIC: readonly number[] = [0xf3, 0x89, 0x9a, 0xc2];
const MD5_BYTES = 16;
/** magic + MD5: an aggregate is at least this long (with an empty protobuf). */
const MIN_AGGREGATE_BYTES = KPL_MAGIC.length + MD5_BYTES;

// Protobuf wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;
/** Nesting limit for (deprecated) groups in unknown fields, as protobuf's own parsers have. */
const MAX_GROUP_DEPTH = 64;

/** One user record of an aggregate. */
export interface KplUserRecord {
  partitionKey: string;
  data: Uint8Array;
}

/**
 * Whether `bytes` starts with the KPL magic and is long enough to hold the MD5 trailer.
 * A `true` does not mean the aggregate is intact: `deaggregate` checks that.
 *
 * @example
 * isKplAggregate(aggregate([{ partitionKey: 'k', data: '{}' }])); // → true
 * isKplAggregate(new TextEncoder().encode('{}'));                 // → false
 */
export function isKplAggregate(bytes: Uint8Array): boolean {
  return bytes.length >= MIN_AGGREGATE_BYTES && hasKplMagic(bytes);
}

/**
 * Whether `bytes` starts with the KPL magic, whatever its length. A record that does but is
 * too short is a truncated aggregate, not a plain record (the magic is not valid UTF-8, so
 * it cannot be JSON either).
 */
export function hasKplMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0xf3 && bytes[1] === 0x89 && bytes[2] === 0x9a && bytes[3] === 0xc2;
}

/**
 * Splits a KPL aggregate into its user records, in order (the order gives each its
 * sub-sequence index). Throws `KplFormatError` on any corruption: missing magic, truncated
 * data, MD5 mismatch, malformed protobuf, wrong wire type for a known field, missing
 * required field, or an index outside the key tables. The returned `data` views share
 * memory with `bytes`.
 *
 * @example
 * const bytes = aggregate([{ partitionKey: 'a', data: '{"x":1}' }, { partitionKey: 'b', data: '{"x":2}' }]);
 * deaggregate(bytes).map((r) => r.partitionKey); // → ['a', 'b']
 */
export function deaggregate(bytes: Uint8Array): KplUserRecord[] {
  if (!hasKplMagic(bytes)) throw new KplFormatError('not a KPL aggregate (magic bytes missing)');
  if (bytes.length < MIN_AGGREGATE_BYTES) throw new KplFormatError(`KPL aggregate truncated (${bytes.length} bytes)`);
  const body = bytes.subarray(KPL_MAGIC.length, bytes.length - MD5_BYTES);
  const expected = bytes.subarray(bytes.length - MD5_BYTES);
  const actual = createHash('md5').update(body).digest();
  if (!actual.equals(expected)) throw new KplFormatError('KPL aggregate MD5 mismatch (corrupt or truncated)');

  const partitionKeys: string[] = [];
  let explicitHashKeys = 0;
  const raw: RawRecord[] = [];
  const r = new Reader(body);
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 1) {
      r.expect(wire, LEN, 'partition_key_table');
      partitionKeys.push(r.string());
    } else if (field === 2) {
      r.expect(wire, LEN, 'explicit_hash_key_table');
      r.string(); // only validated: the consumer routes nothing by hash key
      explicitHashKeys++;
    } else if (field === 3) {
      r.expect(wire, LEN, 'records');
      raw.push(readRecord(r.sub()));
    } else {
      r.skip(field, wire, 0);
    }
  }
  // Indexes are checked once the whole message is read: protobuf fields may come in any
  // order, so the tables are only complete at the end.
  const out: KplUserRecord[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const rec = raw[i]!;
    const pk = partitionKeys[rec.pk];
    if (pk === undefined) throw new KplFormatError(`KPL record ${i}: partition_key_index ${rec.pk} outside the table of ${partitionKeys.length}`);
    if (rec.ehk >= explicitHashKeys) throw new KplFormatError(`KPL record ${i}: explicit_hash_key_index ${rec.ehk} outside the table of ${explicitHashKeys}`);
    out[i] = { partitionKey: pk, data: rec.data };
  }
  return out;
}

/** A `Record` as read, before its indexes are resolved; `ehk` is -1 when absent. */
interface RawRecord {
  pk: number;
  ehk: number;
  data: Uint8Array;
}

function readRecord(r: Reader): RawRecord {
  let pk = -1;
  let data: Uint8Array | undefined;
  let ehk = -1;
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 1) {
      r.expect(wire, VARINT, 'partition_key_index');
      pk = r.index();
    } else if (field === 2) {
      r.expect(wire, VARINT, 'explicit_hash_key_index');
      ehk = r.index();
    } else if (field === 3) {
      r.expect(wire, LEN, 'data');
      data = r.bytes();
    } else if (field === 4) {
      r.expect(wire, LEN, 'tags');
      readTag(r.sub());
    } else {
      r.skip(field, wire, 0);
    }
  }
  if (pk < 0) throw new KplFormatError('KPL record without partition_key_index');
  if (data === undefined) throw new KplFormatError('KPL record without data');
  return { pk, ehk, data };
}

function readTag(r: Reader): void {
  let hasKey = false;
  while (r.pos < r.end) {
    const [field, wire] = r.tag();
    if (field === 1 || field === 2) {
      r.expect(wire, LEN, field === 1 ? 'tag key' : 'tag value');
      r.string();
      if (field === 1) hasKey = true;
    } else {
      r.skip(field, wire, 0);
    }
  }
  if (!hasKey) throw new KplFormatError('KPL tag without key');
}

/** A bounds-checked protobuf reader over `buf[pos, end)`. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /**
   * Reads a varint as a JavaScript number. Values above 2^53 cannot be exact, and no valid
   * field of an aggregate needs them (indexes and lengths), so they are errors.
   */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new KplFormatError('KPL protobuf truncated inside a varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new KplFormatError('KPL protobuf varint too large');
        return result;
      }
      scale *= 128;
    }
    throw new KplFormatError('KPL protobuf varint longer than 10 bytes');
  }

  tag(): [field: number, wire: number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0 || field > 0x1fffffff) throw new KplFormatError(`KPL protobuf invalid field number ${field}`);
    return [field, t % 8];
  }

  expect(wire: number, want: number, name: string): void {
    if (wire !== want) throw new KplFormatError(`KPL protobuf field ${name} has wire type ${wire}, expected ${want}`);
  }

  /** An index into a key table (uint64 on the wire, a small number in practice). */
  index(): number {
    return this.varint();
  }

  /** Reads a length prefix and returns the end offset of the field, bounds-checked. */
  private lengthEnd(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) throw new KplFormatError(`KPL protobuf length ${len} runs past the end`);
    return end;
  }

  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(): string {
    const b = this.bytes();
    if (!isUtf8(b)) throw new KplFormatError('KPL protobuf string is not valid UTF-8');
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  }

  /** A reader over the next length-delimited field (an embedded message). */
  sub(): Reader {
    const end = this.lengthEnd();
    const r = new Reader(this.buf, this.pos, end);
    this.pos = end;
    return r;
  }

  /** Skips one unknown field's value, whatever its wire type. */
  skip(field: number, wire: number, depth: number): void {
    switch (wire) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.advance(8);
        return;
      case LEN:
        this.pos = this.lengthEnd();
        return;
      case FIXED32:
        this.advance(4);
        return;
      case START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) throw new KplFormatError('KPL protobuf groups nested too deeply');
        for (;;) {
          if (this.pos >= this.end) throw new KplFormatError(`KPL protobuf group ${field} not closed`);
          const [f, w] = this.tag();
          if (w === END_GROUP) {
            if (f !== field) throw new KplFormatError(`KPL protobuf group ${field} closed by ${f}`);
            return;
          }
          this.skip(f, w, depth + 1);
        }
      }
      case END_GROUP:
        throw new KplFormatError(`KPL protobuf unexpected end of group ${field}`);
      default:
        throw new KplFormatError(`KPL protobuf invalid wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new KplFormatError('KPL protobuf truncated inside a fixed-width field');
    this.pos += n;
  }
}

/**
 * Encodes user records as one KPL aggregate, byte for byte as the KPL does: a partition key
 * table of the distinct keys in order of first use, no explicit hash keys, one `Record`
 * per user record (fields in number order), then the MD5 trailer. The Kinesis record that
 * carries it should use the first user record's partition key (the KPL's choice).
 *
 * @example
 * const bytes = aggregate([{ partitionKey: 'p1', data: '{"a":1}' }]);
 * await kinesis.putRecord({ StreamName, PartitionKey: 'p1', Data: bytes });
 */
export function aggregate(records: readonly { partitionKey: string; data: Uint8Array | string }[]): Uint8Array {
  const enc = new TextEncoder();
  const keyIndex = new Map<string, number>();
  const keys: Uint8Array[] = [];
  const items: { pk: number; data: Uint8Array }[] = [];
  for (const rec of records) {
    let pk = keyIndex.get(rec.partitionKey);
    if (pk === undefined) {
      pk = keys.length;
      keyIndex.set(rec.partitionKey, pk);
      keys.push(enc.encode(rec.partitionKey));
    }
    items.push({ pk, data: typeof rec.data === 'string' ? enc.encode(rec.data) : rec.data });
  }

  // Size everything first, then write into one buffer: no intermediate copies.
  let bodyLen = 0;
  for (const k of keys) bodyLen += 1 + varintSize(k.length) + k.length;
  const recordLens: number[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const len = 1 + varintSize(it.pk) + 1 + varintSize(it.data.length) + it.data.length;
    recordLens[i] = len;
    bodyLen += 1 + varintSize(len) + len;
  }
  const out = new Uint8Array(KPL_MAGIC.length + bodyLen + MD5_BYTES);
  out.set(KPL_MAGIC, 0);
  let pos = KPL_MAGIC.length;
  const writeVarint = (v: number): void => {
    while (v >= 0x80) {
      out[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    out[pos++] = v;
  };
  for (const k of keys) {
    out[pos++] = (1 << 3) | LEN;
    writeVarint(k.length);
    out.set(k, pos);
    pos += k.length;
  }
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    out[pos++] = (3 << 3) | LEN;
    writeVarint(recordLens[i]!);
    out[pos++] = (1 << 3) | VARINT;
    writeVarint(it.pk);
    out[pos++] = (3 << 3) | LEN;
    writeVarint(it.data.length);
    out.set(it.data, pos);
    pos += it.data.length;
  }
  const md5 = createHash('md5').update(out.subarray(KPL_MAGIC.length, pos)).digest();
  out.set(md5, pos);
  return out;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}
