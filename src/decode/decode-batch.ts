/**
 * First step of the pipeline: Kinesis records (base64 data) → user records (JSON values or
 * reject reasons), with their positions. KPL aggregates are split into their user records.
 *
 * This is the hot path of the benchmark, so the common case (a plain base64 JSON record)
 * is kept to a handful of native calls: `atob` (strict and fast), a length check, an
 * ASCII check, `JSON.parse`. Only records that are not plain ASCII go through a Buffer and
 * a UTF-8 check.
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
  if (!Array.isArray(records)) return out;
  const maxBytes = typeof options?.maxRecordBytes === 'number' && options.maxRecordBytes >= 0 ? options.maxRecordBytes : Infinity;
  const state: BatchState = { shardId: String(shardId), maxBytes, lastSeq: null, lastSub: -1, lastArrivalMs: 0 };
  for (let i = 0; i < records.length; i++) {
    const start = out.length;
    const rec = records[i] as KinesisRecordInput | null | undefined;
    try {
      decodeRecord(rec, state, out);
    } catch (err) {
      // Not expected (every known failure is classified above), but a bug here must not
      // fail a batch or lose a record: replace whatever this record produced by one reject.
      out.length = start;
      const data = typeof rec?.data === 'string' ? rec.data : '';
      const pos = position(rec, state);
      out.push(reject(state.shardId, pos, data, data.length, 'schema_violation', `internal decoding error: ${message(err)}`));
    }
  }
  return out;
}

interface BatchState {
  shardId: string;
  maxBytes: number;
  /** sequence number (digits) and sub-sequence of the last position handed out */
  lastSeq: string | null;
  lastSub: number;
  lastArrivalMs: number;
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

  // Strict base64, cheaply: `atob` throws on any character outside the standard alphabet
  // (also `-`, `_`, non-ASCII, `=` inside); it silently drops ASCII whitespace and accepts
  // missing padding, which the length checks catch (fewer characters → fewer bytes).
  const len = data.length;
  let bin: string;
  if ((len & 3) !== 0) {
    out.push(reject(state.shardId, place, data, len, 'invalid_base64', `base64 length ${len} is not a multiple of 4`));
    return;
  }
  try {
    bin = atob(data);
  } catch {
    out.push(reject(state.shardId, place, data, len, 'invalid_base64', 'not base64: character outside the standard alphabet'));
    return;
  }
  const pad = len === 0 ? 0 : data.charCodeAt(len - 1) !== 61 ? 0 : data.charCodeAt(len - 2) !== 61 ? 1 : 2;
  if (bin.length !== (len >> 2) * 3 - pad) {
    out.push(reject(state.shardId, place, data, len, 'invalid_base64', 'not base64: whitespace or misplaced padding'));
    return;
  }

  if (bin.length >= 4 && bin.charCodeAt(0) === 0xf3 && bin.charCodeAt(1) === 0x89 && bin.charCodeAt(2) === 0x9a && bin.charCodeAt(3) === 0xc2) {
    decodeAggregate(Buffer.from(bin, 'latin1'), data, place, state, out);
    return;
  }

  // A plain record: `bin` holds one character per byte (a "binary string").
  const size = bin.length;
  if (size > state.maxBytes) {
    out.push(reject(state.shardId, place, data, size, 'too_large', `record is ${size} bytes, over the limit of ${state.maxBytes}`));
    return;
  }
  let text: string;
  if (Buffer.byteLength(bin, 'utf8') === size) {
    // Pure ASCII (each char < 0x80 is one UTF-8 byte): the binary string is the text.
    text = bin;
  } else {
    const buf = Buffer.from(bin, 'latin1');
    if (!isUtf8(buf)) {
      out.push(reject(state.shardId, place, data, size, 'invalid_utf8', 'data is not valid UTF-8'));
      return;
    }
    text = buf.toString('utf8');
  }
  pushParsed(text, data, size, place, 0, state, out);
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
    } else if (!isUtf8(buf)) {
      out.push(reject(state.shardId, place, raw, size, 'invalid_utf8', 'data is not valid UTF-8', sub));
    } else {
      pushParsed(buf.toString('utf8'), raw, size, place, sub, state, out);
    }
  }
  state.lastSub = users.length - 1;
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

  if (problem === null) {
    const arrivalMs = Math.round((ts as number) * 1000);
    state.lastSeq = digits;
    state.lastSub = 0;
    state.lastArrivalMs = arrivalMs;
    return { seq: seq as string, digits: digits!, arrivalMs, problem: null, syntheticSub: 0 };
  }
  const sub = state.lastSeq === null ? 0 : Math.min(state.lastSub + 1, MAX_SUB_RECORDS - 1);
  const seqDigits = state.lastSeq ?? '0';
  state.lastSeq = seqDigits;
  state.lastSub = sub;
  return { seq: seqDigits, digits: seqDigits, arrivalMs: state.lastArrivalMs, problem, syntheticSub: sub };
}

/**
 * The sequence number without leading zeros when it is 1–999 decimal digits (what
 * `positionKey` accepts), else null. A loop over ~56 digits beats `positionKey`'s regexes.
 */
function canonicalSeq(seq: string): string | null {
  const n = seq.length;
  if (n === 0 || n > 1200) return null;
  let first = -1;
  for (let i = 0; i < n; i++) {
    const c = seq.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    if (first < 0 && c !== 48) first = i;
  }
  const digits = first < 0 ? '0' : first === 0 ? seq : seq.slice(first);
  return digits.length > 999 ? null : digits;
}

/** `positionKey(digits, 0)` for canonical digits, without re-validating them. */
function seqKey(digits: string): string {
  const n = digits.length;
  return `${n < 10 ? '00' : n < 100 ? '0' : ''}${n}${digits}.000000`;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return v === null ? 'null' : typeof v === 'number' ? String(v) : typeof v;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
