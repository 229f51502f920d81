/**
 * First step of the pipeline: Kinesis records (base64 data) → user records (JSON values or
 * reject reasons), with their positions. KPL aggregates are split into their user records.
 *
 * This is the hot path of the benchmark, so the common case (a plain base64 JSON record)
 * is kept to a handful of native calls: three scans that make Node's lenient base64
 * decoder strict, the decode, a length check, UTF-8 decoding (validated only when a
 * replacement character shows up), `JSON.parse`. With `latin1Strings` (the clickstream
 * pipeline) it is fewer still: `atob`, which is strict by itself, straight to the Latin-1
 * text, a length check, a UTF-8 check of non-ASCII records, `JSON.parse`. `bench/decode.bench.ts` measures it
 * against the floor `JSON.parse(Buffer.from(data, 'base64').toString('utf8'))`.
 *
 * Decisions worth knowing:
 * - base64 must be the standard alphabet, padded (length a multiple of 4), without
 *   whitespace; base64url, missing padding or embedded whitespace are `invalid_base64`.
 *   Non-zero unused bits in the last character (`QR==` for `QQ==`) are tolerated, as by
 *   every mainstream decoder.
 * - A record that starts with the KPL magic is an aggregate; if it cannot be read (too
 *   short, MD5 mismatch, bad protobuf, no user records) it becomes ONE rejected record
 *   `invalid_kpl_aggregate` with sub-sequence 0 and the whole raw data, so it can be
 *   replayed as it came.
 * - One leading UTF-8 byte order mark is ignored (RFC 8259 §8.1 allows parsers to), since
 *   some producers on Windows add one; JSON itself has no other use for U+FEFF there.
 * - `size` is the user record's byte length; `too_large` is checked per user record (an
 *   aggregate of small records is not too large), before UTF-8 and JSON.
 * - Lambda always provides a sequence number and an arrival time. A record without a valid
 *   one (a hand-made replay or test event) cannot get a real position: it is rejected as
 *   `schema_violation` with a detail saying so, and gets the position just after the
 *   previous record of the batch (sequence number `0` if it is the first), so positions
 *   stay strictly increasing. Its arrival time is the previous record's (or 0).
 * - It never throws: any input, even not an array of objects, yields classified records.
 */
import { isUtf8 } from 'node:buffer';
import { positionKey } from '../position.ts';
import type { DecodedRecord, KinesisRecordInput, RejectReason } from '../types.ts';
import { deaggregate } from './kpl.ts';

export interface DecodeOptions {
  /** largest accepted user record, in bytes (larger → `too_large`) */
  maxRecordBytes: number;
  /**
   * Parse records that are valid UTF-8 but not ASCII from their bytes read as Latin-1
   * (`latin1: true` on the decoded record), see {@link exactString}. Default false: values
   * are exactly what `JSON.parse` gives for the UTF-8 text.
   */
  latin1Strings?: boolean;
}

/** Longest `detail` kept: parser messages can quote the input at length. */
const MAX_DETAIL = 200;
/** Sub-sequence indexes are 6 digits in a position key. */
const MAX_SUB_RECORDS = 1_000_000;

/**
 * Decodes one batch of one shard, in order. Every input record yields at least one
 * decoded record (several for a KPL aggregate); each has either `value` or `reject`.
 *
 * @example
 * const decoded = decodeBatch(event.Records.map((r) => r.kinesis), 'shardId-000000000000', { maxRecordBytes: 1_048_576 });
 * for (const d of decoded) if (d.reject) console.log(d.posKey, d.reject, d.detail);
 */
export function decodeBatch(records: readonly KinesisRecordInput[], shardId: string, options: DecodeOptions): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  decodeEach(records, shardId, options, (d) => {
    out.push(d);
  });
  return out;
}

/**
 * {@link decodeBatch} one record at a time: hands each decoded record to `onRecord`, in
 * order, as soon as its Kinesis record is decoded. The pipeline classifies each record
 * right away, so a parsed JSON value is garbage before the next one is parsed instead of
 * the whole batch's values living (and being copied by the garbage collector) until a
 * second pass reaches them.
 *
 * @example
 * decodeEach(event.Records.map((r) => r.kinesis), 'shardId-000000000000', { maxRecordBytes: 1_048_576 }, (d) => {
 *   if (d.reject) console.log(d.posKey, d.reject);
 * });
 */
export function decodeEach(records: readonly KinesisRecordInput[], shardId: string, options: DecodeOptions, onRecord: (d: DecodedRecord) => void): void {
  if (!Array.isArray(records)) return;
  const maxBytes = typeof options?.maxRecordBytes === 'number' && options.maxRecordBytes >= 0 ? options.maxRecordBytes : Infinity;
  const state: BatchState = {
    shardId: String(shardId),
    maxBytes,
    lastSeq: null,
    lastSub: -1,
    lastArrivalMs: 0,
    lastTimestamp: Number.NaN,
    place: { seq: '', digits: '', arrivalMs: 0, problem: null, syntheticSub: 0 },
    scratch: Buffer.allocUnsafeSlow(SCRATCH_BYTES),
    views: [],
    latin1: options?.latin1Strings === true,
  };
  // What one Kinesis record yields (several user records for a KPL aggregate), handed on
  // only once the whole record decoded without a surprise.
  const out: DecodedRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    // Emptied with `pop`, not `out.length = 0`: V8 gives an array cut to length 0 a fresh
    // empty backing store, so the next push allocated a new one for every record (~150
    // bytes and ~75 ns each); popping keeps the one it has.
    while (out.length > 0) out.pop();
    const rec = records[i] as KinesisRecordInput | null | undefined;
    try {
      decodeRecord(rec, state, out);
    } catch (err) {
      // Not expected (every known failure is classified above), but a bug here must not
      // fail a batch or lose a record: replace whatever this record produced by one reject.
      out.length = 0;
      const data = typeof rec?.data === 'string' ? rec.data : '';
      const pos = position(rec, state);
      out.push(reject(state.shardId, pos, data, data.length, 'schema_violation', `internal decoding error: ${message(err)}`));
    }
    for (let k = 0; k < out.length; k++) onRecord(out[k]!);
  }
}

interface BatchState {
  shardId: string;
  maxBytes: number;
  /** sequence number (digits) and sub-sequence of the last position handed out */
  lastSeq: string | null;
  lastSub: number;
  lastArrivalMs: number;
  /** `approximateArrivalTimestamp` that gave `lastArrivalMs` (records of a batch share it often) */
  lastTimestamp: number;
  /**
   * The current record's place, rewritten by `position` for every record: it is read only
   * while that record is decoded (its fields are copied out), so one object serves the batch.
   */
  place: RecordPlace;
  /** where base64 is decoded (see `decodeRecord`); replaced by a larger one when needed */
  scratch: Buffer;
  /** `views[n]`: the first n bytes of `scratch`, made once per length (see `scratchView`) */
  views: (Buffer | undefined)[];
  /** `DecodeOptions.latin1Strings` */
  latin1: boolean;
}

/** Position and arrival of one Kinesis record; `problem` is set when the record had none. */
interface RecordPlace {
  /** the sequence number as received (or the synthetic one) */
  seq: string;
  /** `seq` without leading zeros */
  digits: string;
  arrivalMs: number;
  problem: string | null;
  /** the sub-sequence of a synthetic position (when `problem` is set), else 0 */
  syntheticSub: number;
}

function decodeRecord(rec: KinesisRecordInput | null | undefined, state: BatchState, out: DecodedRecord[]): void {
  const place = position(rec, state);
  const data = rec?.data;
  if (typeof data !== 'string') {
    out.push(reject(state.shardId, place, '', 0, 'invalid_base64', `data is ${data === null ? 'null' : typeof data}, not a base64 string`));
    return;
  }
  if (place.problem !== null) {
    out.push(reject(state.shardId, place, data, data.length, 'schema_violation', place.problem));
    return;
  }

  // Strict base64, cheaply. Node's base64 decoder is lenient: it skips characters outside
  // the alphabet, stops at a misplaced `=`, accepts base64url's `-` and `_`, and maps some
  // non-ASCII characters onto the alphabet. So: the text must be ASCII (UTF-8 length =
  // length) without `-`/`_`, its length a multiple of 4, and the decoded length exactly
  // what the length and padding promise — any skipped or stray character makes it shorter.
  // Three native scans, much cheaper than a regular expression or re-encoding.
  const len = data.length;
  if ((len & 3) !== 0) {
    out.push(reject(state.shardId, place, data, len, 'invalid_base64', `base64 length ${len} is not a multiple of 4`));
    return;
  }
  const pad = len === 0 ? 0 : data.charCodeAt(len - 1) !== 61 ? 0 : data.charCodeAt(len - 2) !== 61 ? 1 : 2;
  const expected = (len >> 2) * 3 - pad;
  if (state.latin1) {
    // The common clickstream record, decoded straight to its Latin-1 text (see
    // `strictBase64Latin1`); anything unusual (bad base64, an aggregate, too large) goes
    // the way below, which decides and words it as for every other record.
    const text = strictBase64Latin1(data, expected);
    if (text !== null && expected <= state.maxBytes && !(expected >= 4 && text.charCodeAt(0) === 0xf3 && text.charCodeAt(1) === 0x89 && text.charCodeAt(2) === 0x9a && text.charCodeAt(3) === 0xc2)) {
      pushLatin1(text, expected, data, place, state, out);
      return;
    }
  }
  if (Buffer.byteLength(data, 'utf8') !== len || data.indexOf('-') !== -1 || data.indexOf('_') !== -1) {
    out.push(reject(state.shardId, place, data, len, 'invalid_base64', 'not base64: character outside the standard alphabet'));
    return;
  }
  // Decoded into the batch's scratch buffer, not a new Buffer per record: a record's bytes
  // are only read until its text exists. The write is capped at `expected` bytes, as
  // `Buffer.from` caps it at the same predicted length, so both accept the same inputs.
  const buf = scratchFor(state, expected);
  const size = buf.write(data, 0, expected, 'base64');
  if (size !== expected) {
    out.push(reject(state.shardId, place, data, len, 'invalid_base64', 'not base64: character outside the alphabet, whitespace or misplaced padding'));
    return;
  }

  if (size >= 4 && buf[0] === 0xf3 && buf[1] === 0x89 && buf[2] === 0x9a && buf[3] === 0xc2) {
    // The aggregate's user records are views of its bytes: they get their own copy.
    decodeAggregate(Buffer.from(buf.subarray(0, size)), data, place, state, out);
    return;
  }
  if (size > state.maxBytes) {
    out.push(reject(state.shardId, place, data, size, 'too_large', `record is ${size} bytes, over the limit of ${state.maxBytes}`));
    return;
  }
  if (state.latin1) {
    pushLatin1(buf.toString('latin1', 0, size), size, data, place, state, out);
    return;
  }
  const text = utf8(buf, size);
  if (text === null) {
    out.push(reject(state.shardId, place, data, size, 'invalid_utf8', 'data is not valid UTF-8'));
    return;
  }
  pushParsed(text, data, size, place, 0, state, out);
}

/**
 * `DecodeOptions.latin1Strings`: the record's bytes read as Latin-1 (one byte, one
 * character) and parsed as they are. Reading Latin-1 is a copy; UTF-8 decoding of text
 * with any non-ASCII character (a title's dash) builds a two-byte string, twice the memory,
 * and costs about as much as the parse. JSON's own syntax is ASCII, and no byte of a
 * multi-byte UTF-8 sequence is, so the bytes parse exactly when the text does, into the same
 * structure, with every string holding its UTF-8 bytes as characters: `exactString` turns
 * one back into its text. That holds when the bytes are valid UTF-8 (checked, the whole
 * record, as the exact path does) and no `\u` escape could have written a non-ASCII
 * character among them; such records, a byte order mark, and parse errors (whose messages
 * quote the text) take the exact path. ASCII records are exact either way (`latin1: false`).
 *
 * `text` is the record's bytes as Latin-1, `size` their number.
 */
function pushLatin1(text: string, size: number, raw: string, place: RecordPlace, state: BatchState, out: DecodedRecord[]): void {
  // Every non-ASCII character counts twice in the UTF-8 length of a Latin-1 string.
  const ascii = Buffer.byteLength(text, 'utf8') === size;
  if (!ascii) {
    if (!isUtf8(latin1Bytes(state, text, size))) {
      out.push(reject(state.shardId, place, raw, size, 'invalid_utf8', 'data is not valid UTF-8'));
      return;
    }
    if (text.indexOf('\\u') !== -1 || text.charCodeAt(0) === 0xef) {
      pushParsed(Buffer.from(text, 'latin1').toString('utf8'), raw, size, place, 0, state, out);
      return;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    pushParsed(Buffer.from(text, 'latin1').toString('utf8'), raw, size, place, 0, state, out);
    return;
  }
  out.push({
    position: { shardId: state.shardId, sequenceNumber: place.seq, subSequence: 0 },
    posKey: seqKey(place.digits),
    arrivalMs: place.arrivalMs,
    size,
    rawBase64: raw,
    value,
    latin1: !ascii,
  });
}

/**
 * The bytes that `data` encodes, as a Latin-1 string, when `data` is strict base64 (what the
 * checks of `decodeRecord` accept) of `expected` bytes; null when it may not be (the caller
 * then takes the checks' way, which decides and words the rejection). One native call
 * (`atob`), about twice as fast as decoding into a buffer and reading it back as Latin-1,
 * and no scans for characters outside the alphabet: `atob` accepts only the standard
 * alphabet, correct padding and ASCII whitespace, and whitespace (which it skips) always
 * makes the result shorter than `expected`, which the length of `data` predicts. Tested
 * against the checks on arbitrary strings (`test/decode/decode-batch.test.ts`).
 *
 * @example
 * strictBase64Latin1('eyJhIjoxfQ==', 7); // '{"a":1}'
 * strictBase64Latin1('eyJhIjox fQ=', 7); // null (whitespace)
 */
export function strictBase64Latin1(data: string, expected: number): string | null {
  let text: string;
  try {
    text = atob(data);
  } catch {
    return null;
  }
  return text.length === expected ? text : null;
}

/** The first `size` bytes of the scratch buffer, holding `text` written as Latin-1. */
function latin1Bytes(state: BatchState, text: string, size: number): Buffer {
  const buf = scratchFor(state, size);
  buf.write(text, 0, size, 'latin1');
  return scratchView(state, buf, size);
}

/**
 * A string of a `latin1: true` value as the text it stands for: its characters are UTF-8
 * bytes (valid: the decoder checked the record). ASCII comes back as it is, without a copy.
 *
 * @example
 * exactString('Jacket \u00e2\u0080\u0093 Navy'); // 'Jacket – Navy'
 * exactString('shop.example.com');                  // the same string
 */
export function exactString(latin1: string): string {
  const n = latin1.length;
  for (let i = 0; i < n; i++) {
    if (latin1.charCodeAt(i) > 0x7f) return Buffer.from(latin1, 'latin1').toString('utf8');
  }
  return latin1;
}

/**
 * The record with its exact value, as `decodeBatch` gives it: a `latin1: true` record is
 * decoded again from its raw data, as UTF-8. For the rare records that leave the pipeline's
 * Latin-1 path (rejections, unusual values).
 *
 * @example
 * const d = exactDecoded(decoded); // d.value as JSON.parse of the UTF-8 text, no `latin1` flag
 */
export function exactDecoded(d: DecodedRecord): DecodedRecord {
  if (d.latin1 !== true) return d;
  // The raw bytes were valid UTF-8, without a byte order mark, and parsed: so they do again.
  const value: unknown = JSON.parse(Buffer.from(d.rawBase64, 'base64').toString('utf8'));
  return { position: d.position, posKey: d.posKey, arrivalMs: d.arrivalMs, size: d.size, rawBase64: d.rawBase64, value };
}

function decodeAggregate(bytes: Buffer, data: string, place: RecordPlace, state: BatchState, out: DecodedRecord[]): void {
  let users;
  try {
    users = deaggregate(bytes);
  } catch (err) {
    out.push(reject(state.shardId, place, data, bytes.length, 'invalid_kpl_aggregate', message(err)));
    return;
  }
  if (users.length === 0 || users.length > MAX_SUB_RECORDS) {
    const why = users.length === 0 ? 'KPL aggregate holds no user records' : `KPL aggregate holds ${users.length} user records, more than ${MAX_SUB_RECORDS}`;
    out.push(reject(state.shardId, place, data, bytes.length, 'invalid_kpl_aggregate', why));
    return;
  }
  for (let sub = 0; sub < users.length; sub++) {
    const u = users[sub]!.data;
    const buf = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    const raw = buf.toString('base64');
    const size = buf.length;
    if (size > state.maxBytes) {
      out.push(reject(state.shardId, place, raw, size, 'too_large', `record is ${size} bytes, over the limit of ${state.maxBytes}`, sub));
    } else {
      const text = utf8(buf, size);
      if (text === null) out.push(reject(state.shardId, place, raw, size, 'invalid_utf8', 'data is not valid UTF-8', sub));
      else pushParsed(text, raw, size, place, sub, state, out);
    }
  }
  state.lastSub = users.length - 1;
}

/**
 * The bytes as text, or null when they are not valid UTF-8. Decoding first and validating
 * only when a replacement character shows up skips the validation pass for almost every
 * record (invalid sequences always decode to U+FFFD; a literal U+FFFD is rare and valid).
 */
function utf8(buf: Buffer, size: number): string | null {
  const text = buf.toString('utf8', 0, size);
  if (text.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(0, size))) return null;
  return text;
}

/** Initial size of a batch's scratch buffer; it grows to the largest record decoded. */
const SCRATCH_BYTES = 16 * 1024;

/** The batch's scratch buffer, at least `size` bytes long. */
function scratchFor(state: BatchState, size: number): Buffer {
  if (state.scratch.length < size) {
    state.scratch = Buffer.allocUnsafeSlow(Math.max(size, state.scratch.length * 2));
    state.views = [];
  }
  return state.scratch;
}

/** Records up to this size share their views of the scratch buffer (one per length). */
const MAX_SHARED_VIEW = 4096;

/**
 * The first `size` bytes of the scratch buffer as a Buffer of their own length, for
 * `isUtf8`, which reads a whole view. Records of a batch have few distinct lengths, so a
 * view per length is made once instead of once per record.
 */
function scratchView(state: BatchState, buf: Buffer, size: number): Buffer {
  if (size > MAX_SHARED_VIEW) return buf.subarray(0, size);
  let view = state.views[size];
  if (view === undefined) state.views[size] = view = buf.subarray(0, size);
  return view;
}

function pushParsed(text: string, raw: string, size: number, place: RecordPlace, sub: number, state: BatchState, out: DecodedRecord[]): void {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    out.push(reject(state.shardId, place, raw, size, 'invalid_json', `not JSON: ${message(err)}`, sub));
    return;
  }
  out.push({
    position: { shardId: state.shardId, sequenceNumber: place.seq, subSequence: sub },
    posKey: sub === 0 ? seqKey(place.digits) : positionKey(place.digits, sub),
    arrivalMs: place.arrivalMs,
    size,
    rawBase64: raw,
    value,
  });
}

function reject(shardId: string, place: RecordPlace, raw: string, size: number, reason: RejectReason, detail: string, sub = 0): DecodedRecord {
  // A record without a real position borrows one after the previous record (see the module
  // comment); its sub-sequence was chosen by `position`.
  const subSequence = place.problem !== null ? place.syntheticSub : sub;
  return {
    position: { shardId, sequenceNumber: place.seq, subSequence },
    posKey: positionKey(place.digits, subSequence),
    arrivalMs: place.arrivalMs,
    size,
    rawBase64: raw,
    reject: reason,
    detail: detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail,
  };
}

/**
 * Reads the record's sequence number and arrival time, and advances the batch's last
 * position. Never throws: a record without valid ones gets the position after the previous.
 */
function position(rec: KinesisRecordInput | null | undefined, state: BatchState): RecordPlace {
  const seq = rec?.sequenceNumber;
  const ts = rec?.approximateArrivalTimestamp;
  let problem: string | null = null;
  let digits: string | null = null;
  if (typeof seq === 'string') digits = canonicalSeq(seq);
  if (digits === null) problem = `record has no valid sequence number (${describe(seq)})`;
  else if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) problem = `record has no valid approximateArrivalTimestamp (${describe(ts)})`;

  const place = state.place;
  if (problem === null) {
    // Same timestamp, same number: records then share one heap number for `arrivalMs`.
    const arrivalMs = Object.is(ts, state.lastTimestamp) ? state.lastArrivalMs : Math.round((ts as number) * 1000);
    state.lastTimestamp = ts as number;
    state.lastSeq = digits;
    state.lastSub = 0;
    state.lastArrivalMs = arrivalMs;
    place.seq = seq as string;
    place.digits = digits!;
    place.arrivalMs = arrivalMs;
    place.problem = null;
    place.syntheticSub = 0;
    return place;
  }
  const sub = state.lastSeq === null ? 0 : Math.min(state.lastSub + 1, MAX_SUB_RECORDS - 1);
  const seqDigits = state.lastSeq ?? '0';
  state.lastSeq = seqDigits;
  state.lastSub = sub;
  place.seq = seqDigits;
  place.digits = seqDigits;
  place.arrivalMs = state.lastArrivalMs;
  place.problem = problem;
  place.syntheticSub = sub;
  return place;
}

const ALL_DIGITS = /^\d+$/;

/**
 * The sequence number without leading zeros when it is 1–999 decimal digits (what
 * `positionKey` accepts), else null. A bare `\d+` test is the fastest check measured
 * (faster than a charCode loop or a bounded quantifier).
 */
function canonicalSeq(seq: string): string | null {
  const n = seq.length;
  if (n === 0 || n > 1200 || !ALL_DIGITS.test(seq)) return null;
  if (seq.charCodeAt(0) !== 48) return n > 999 ? null : seq;
  const digits = seq.replace(/^0+(?=\d)/, '');
  return digits.length > 999 ? null : digits;
}

/** `LENGTH_PREFIXES[n]`: `n` as three digits (sequence numbers have 1–999 digits). */
const LENGTH_PREFIXES: (string | undefined)[] = [];

/** `positionKey(digits, 0)` for canonical digits, without re-validating them. */
function seqKey(digits: string): string {
  // The length prefix is one shared string per length: every key of a batch is kept until
  // the batch is done, and a prefix built per record would be one more string each.
  const n = digits.length;
  let prefix = LENGTH_PREFIXES[n];
  if (prefix === undefined) LENGTH_PREFIXES[n] = prefix = `${n < 10 ? '00' : n < 100 ? '0' : ''}${n}`;
  return `${prefix}${digits}.000000`;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return v === null ? 'null' : typeof v === 'number' ? String(v) : typeof v;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
