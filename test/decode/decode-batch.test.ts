import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, decodeEach, exactDecoded, strictBase64Latin1 } from '../../src/decode/decode-batch.ts';
import { aggregate } from '../../src/decode/kpl.ts';
import { positionKey } from '../../src/position.ts';
import type { DecodedRecord, KinesisRecordInput } from '../../src/types.ts';

const SHARD = 'shardId-000000000001';
const BASE_SEQ = 49590338271490256608559692538361571095921575989136588898n;
const OPTIONS = { maxRecordBytes: 1_048_576 };

/** Kinesis records with increasing sequence numbers, as Lambda delivers one shard's batch. */
function kinesis(datas: (string | Uint8Array)[], first = 0): KinesisRecordInput[] {
  return datas.map((d, i) => ({
    data: typeof d === 'string' ? d : Buffer.from(d).toString('base64'),
    sequenceNumber: String(BASE_SEQ + BigInt((first + i) * 1000)),
    partitionKey: 'pk',
    approximateArrivalTimestamp: 1_767_225_600.123 + i,
  }));
}
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('decodeBatch', () => {
  it('decodes plain JSON records with their positions', () => {
    // Prepare
    const input = kinesis([b64('{"a":1}'), b64('[1,"é"]'), b64('"x"')]);
    // Act
    const out = decodeBatch(input, SHARD, OPTIONS);
    // Assert
    expect(out).toEqual([
      {
        position: { shardId: SHARD, sequenceNumber: input[0]!.sequenceNumber, subSequence: 0 },
        posKey: positionKey(input[0]!.sequenceNumber, 0),
        arrivalMs: 1_767_225_600_123,
        size: 7,
        rawBase64: input[0]!.data,
        value: { a: 1 },
      },
      expect.objectContaining({ value: [1, 'é'], size: 8, arrivalMs: 1_767_225_601_123 }),
      expect.objectContaining({ value: 'x', size: 3 }),
    ]);
    expect(out.every((r) => r.reject === undefined)).toBe(true);
  });

  it.each([
    ['base64url alphabet', 'eyJhIjoxfQ-_'],
    ['missing padding', 'eyJhIjoxfQ'],
    ['whitespace', 'eyJh Ijox'],
    ['a newline inside', 'eyJhIjox\nfQ=='],
    ['padding in the middle', 'eyJ=IjoxfQ=='],
    ['three padding characters', 'eyJhIjoxf==='],
    ['non-ASCII characters', 'eyJhIjoxfQ\u0141='],
    ['a character that aliases to base64 in a lenient decoder', 'eyJ\u0141'],
    ['plain JSON', '{"a":1}\u0020'],
  ])('rejects %s as invalid_base64', (_name, data) => {
    // Prepare
    const input = kinesis([data]);
    // Act
    const [r] = decodeBatch(input, SHARD, OPTIONS);
    // Assert
    expect(r).toMatchObject({ reject: 'invalid_base64', rawBase64: data, position: { subSequence: 0 } });
    expect(r!.value).toBeUndefined();
    expect(r!.detail).toBeTruthy();
  });

  it('rejects invalid UTF-8, invalid JSON and records over the size limit', () => {
    // Prepare
    const input = kinesis([Uint8Array.from([0x7b, 0xff, 0x7d]), b64('{"a":'), b64(''), b64(`{"a":"${'x'.repeat(100)}"}`), b64('{"é":1}')]);
    // Act
    const out = decodeBatch(input, SHARD, { maxRecordBytes: 100 });
    // Assert
    expect(out.map((r) => r.reject)).toEqual(['invalid_utf8', 'invalid_json', 'invalid_json', 'too_large', undefined]);
    expect(out[3]!.size).toBe(108);
    expect(out[0]!.rawBase64).toBe(input[0]!.data);
  });

  it('accepts a literal U+FFFD but not the invalid bytes that decode to one', () => {
    // Prepare
    const input = kinesis([b64('{"a":"\uFFFD"}'), Uint8Array.from([...Buffer.from('{"a":"\uFFFD'), 0xe2, 0x82, 0x22, 0x7d])]);
    // Act
    const out = decodeBatch(input, SHARD, OPTIONS);
    // Assert
    expect(out[0]).toMatchObject({ value: { a: '\uFFFD' } });
    expect(out[1]).toMatchObject({ reject: 'invalid_utf8' });
  });

  it('ignores one leading byte order mark, but not two', () => {
    // Prepare
    const input = kinesis([b64('\uFEFF{"a":1}'), b64('\uFEFF\uFEFF{"a":1}')]);
    // Act
    const out = decodeBatch(input, SHARD, OPTIONS);
    // Assert
    expect(out[0]).toMatchObject({ value: { a: 1 }, size: 10 });
    expect(out[1]).toMatchObject({ reject: 'invalid_json' });
  });

  it('splits KPL aggregates into user records with sub-sequence indexes', () => {
    // Prepare
    const agg = aggregate([
      { partitionKey: 'a', data: '{"n":0}' },
      { partitionKey: 'b', data: 'not json' },
      { partitionKey: 'a', data: Uint8Array.from([0xc3, 0x28]) },
      { partitionKey: 'c', data: `"${'y'.repeat(200)}"` },
    ]);
    const input = kinesis([b64('{"before":true}'), agg, b64('{"after":true}')]);
    // Act
    const out = decodeBatch(input, SHARD, { maxRecordBytes: 100 });
    // Assert
    expect(out.map((r) => [r.position.sequenceNumber, r.position.subSequence, r.reject ?? r.value])).toEqual([
      [input[0]!.sequenceNumber, 0, { before: true }],
      [input[1]!.sequenceNumber, 0, { n: 0 }],
      [input[1]!.sequenceNumber, 1, 'invalid_json'],
      [input[1]!.sequenceNumber, 2, 'invalid_utf8'],
      [input[1]!.sequenceNumber, 3, 'too_large'],
      [input[2]!.sequenceNumber, 0, { after: true }],
    ]);
    expect(out[2]!.rawBase64).toBe(b64('not json'));
    expect(out[2]!.size).toBe(8);
    expect(out[2]!.posKey).toBe(positionKey(input[1]!.sequenceNumber, 1));
    expect(out.map((r) => r.arrivalMs)).toEqual([0, 1, 1, 1, 1, 2].map((i) => 1_767_225_600_123 + i * 1000));
  });

  it('rejects a corrupt or empty aggregate as ONE record with the whole raw data', () => {
    // Prepare
    const corrupt = aggregate([{ partitionKey: 'a', data: '{}' }, { partitionKey: 'b', data: '{}' }]);
    corrupt[10]! ^= 0xff;
    const empty = aggregate([]);
    const truncated = Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2, 0x0a]);
    const input = kinesis([corrupt, empty, truncated]);
    // Act
    const out = decodeBatch(input, SHARD, OPTIONS);
    // Assert
    expect(out).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(out[i]).toMatchObject({ reject: 'invalid_kpl_aggregate', rawBase64: input[i]!.data, position: { subSequence: 0 } });
    }
    expect(out[0]!.size).toBe(corrupt.length);
  });

  it('keeps records without a valid sequence number or arrival time, rejected, in order', () => {
    // Prepare
    const input = kinesis([b64('{"a":1}'), b64('{"a":2}'), b64('{"a":3}'), b64('{"a":4}')]);
    (input[1] as { sequenceNumber: unknown }).sequenceNumber = null;
    (input[2] as { approximateArrivalTimestamp: unknown }).approximateArrivalTimestamp = 'soon';
    // Act
    const out = decodeBatch(input, SHARD, OPTIONS);
    // Assert
    expect(out.map((r) => r.reject)).toEqual([undefined, 'schema_violation', 'schema_violation', undefined]);
    expect(out[1]!.detail).toMatch(/sequence number/);
    expect(out[2]!.detail).toMatch(/approximateArrivalTimestamp/);
    expect(out[1]!.position).toEqual({ shardId: SHARD, sequenceNumber: input[0]!.sequenceNumber, subSequence: 1 });
    expect(out[1]!.arrivalMs).toBe(out[0]!.arrivalMs);
    expect(out.map((r) => r.posKey)).toEqual([...out.map((r) => r.posKey)].sort());
    expect(new Set(out.map((r) => r.posKey)).size).toBe(4);
  });

  it('never throws on inputs that are not even records', () => {
    // Prepare
    const junk = [null, undefined, 42, {}, { data: 5 }, { data: null, sequenceNumber: '1' }, { data: 'e30=', sequenceNumber: '00012', approximateArrivalTimestamp: 1 }];
    // Act
    const out = decodeBatch(junk as unknown as KinesisRecordInput[], SHARD, OPTIONS);
    // Assert
    expect(out).toHaveLength(junk.length);
    expect(out[6]).toMatchObject({ value: {}, posKey: positionKey('12', 0), position: { sequenceNumber: '00012' } });
    expect(out.slice(0, 6).every((r) => r.reject !== undefined)).toBe(true);
    expect(decodeBatch(null as unknown as KinesisRecordInput[], SHARD, OPTIONS)).toEqual([]);
  });

  it('agrees with a strict base64 regular expression on arbitrary strings', () => {
    const strict = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    const alphabet = fc.constantFrom(...'ABCXYZabcxyz0189+/=-_ \n\u00e9\u0141'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 24 }), fc.base64String({ maxLength: 24 }), fc.string({ maxLength: 12 })), (data) => {
        // Act
        const [r] = decodeBatch(kinesis([data]), SHARD, OPTIONS);
        // Assert
        expect(r!.reject === 'invalid_base64').toBe(!strict.test(data));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes strict base64 straight to Latin-1 exactly when the checks accept it (strictBase64Latin1)', () => {
    const strict = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    const alphabet = fc.constantFrom(...'ABCXYZabcxyz0189+/=-_ \n\t\r\f\u00a0\u00e9\u0141'.split(''));
    const text = fc.oneof(
      fc.string({ unit: alphabet, maxLength: 24 }),
      fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('base64')),
      // valid base64 with one character inserted, replaced or removed
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 30 }), fc.nat(), alphabet, fc.constantFrom('insert', 'replace', 'remove')).map(([b, at, c, how]) => {
        const s = Buffer.from(b).toString('base64');
        const i = at % s.length;
        return how === 'insert' ? s.slice(0, i) + c + s.slice(i) : how === 'replace' ? s.slice(0, i) + c + s.slice(i + 1) : s.slice(0, i) + s.slice(i + 1);
      }),
    );
    fc.assert(
      fc.property(text, (data) => {
        // Prepare: the length the checks predict, as decodeRecord computes it
        const len = data.length;
        const pad = len === 0 ? 0 : data.charCodeAt(len - 1) !== 61 ? 0 : data.charCodeAt(len - 2) !== 61 ? 1 : 2;
        // Act
        const out = strictBase64Latin1(data, (len >> 2) * 3 - pad);
        // Assert: accepted exactly when strict, with the bytes Buffer decodes
        if (strict.test(data)) expect(out).toBe(Buffer.from(data, 'base64').toString('latin1'));
        else if (len % 4 === 0) expect(out).toBeNull();
      }),
      { numRuns: 5000 },
    );
  });
});

/** What every decoded batch must satisfy, whatever its input. */
function checkInvariants(input: KinesisRecordInput[], out: DecodedRecord[]): void {
  expect(out.length).toBeGreaterThanOrEqual(input.length);
  let prev = '';
  for (const r of out) {
    expect(r.posKey > prev).toBe(true);
    prev = r.posKey;
    expect(r.posKey).toBe(positionKey(r.position.sequenceNumber, r.position.subSequence));
    expect(r.position.shardId).toBe(SHARD);
    expect(typeof r.rawBase64).toBe('string');
    expect(Number.isInteger(r.size) && r.size >= 0).toBe(true);
    if (r.reject !== undefined) {
      expect(r.value).toBeUndefined();
      expect(typeof r.detail).toBe('string');
    } else {
      expect('value' in r).toBe(true);
      expect(Buffer.from(r.rawBase64, 'base64').length).toBe(r.size);
    }
  }
  // every input record is represented: its sequence number appears, sub-sequences 0..n-1
  const bySeq = new Map<string, number[]>();
  for (const r of out) bySeq.set(r.position.sequenceNumber, [...(bySeq.get(r.position.sequenceNumber) ?? []), r.position.subSequence]);
  for (const rec of input) {
    const subs = bySeq.get(rec.sequenceNumber);
    expect(subs).toBeDefined();
    expect(subs).toEqual(subs!.map((_, i) => i));
  }
}

describe('decodeBatch fuzz', () => {
  const jsonText = fc.json({ maxDepth: 2 });
  const aggregateBytes = fc
    .array(fc.record({ partitionKey: fc.string({ maxLength: 8 }), data: fc.oneof(jsonText, fc.uint8Array({ maxLength: 40 })) }), { maxLength: 6 })
    .map((records) => aggregate(records));
  const damagedAggregate = fc.tuple(aggregateBytes, fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean()).map(([bytes, at, bit, truncate]) => {
    const copy = Uint8Array.from(bytes);
    const i = at % copy.length;
    if (truncate) return copy.subarray(0, i);
    copy[i]! ^= 1 << bit;
    return copy;
  });
  const data = fc.oneof(
    fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')),
    jsonText.map(b64),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }).map(b64),
    aggregateBytes.map((b) => Buffer.from(b).toString('base64')),
    damagedAggregate.map((b) => Buffer.from(b).toString('base64')),
  );

  it('never throws, classifies every record, keeps positions strictly increasing', () => {
    fc.assert(
      fc.property(fc.array(data, { maxLength: 12 }), fc.integer({ min: 0, max: 200 }), (datas, maxRecordBytes) => {
        // Prepare
        const input = kinesis(datas);
        // Act
        const out = decodeBatch(input, SHARD, { maxRecordBytes });
        // Assert
        checkInvariants(input, out);
      }),
      { numRuns: 1500 },
    );
  });

  it('decodes to Latin-1 strings (latin1Strings) exactly as it decodes exactly, rejections included', () => {
    const unicodeJson = fc.json({ maxDepth: 2 }).chain((t) => fc.constantFrom(t, t.replace(/"([^"]*)"/, '"é–😀$1"'), t.replace(/"([^"]*)"/, '"\\u00e9$1"'), `\ufeff${t}`));
    const latin1Data = fc.oneof(data, unicodeJson.map(b64), fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('base64')));
    fc.assert(
      fc.property(fc.array(latin1Data, { maxLength: 12 }), fc.integer({ min: 0, max: 200 }), (datas, maxRecordBytes) => {
        // Prepare
        const input = kinesis(datas);
        // Act
        const latin1: DecodedRecord[] = [];
        decodeEach(input, SHARD, { maxRecordBytes, latin1Strings: true }, (d) => {
          // ASCII records are exact as they are, flagged `latin1: false`
          const { latin1: flag, ...exactFields } = exactDecoded(d);
          expect(flag === undefined || flag === false).toBe(true);
          latin1.push(exactFields);
        });
        const exact = decodeBatch(input, SHARD, { maxRecordBytes });
        // Assert
        expect(latin1).toStrictEqual(exact);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes valid JSON exactly as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.array(jsonText, { maxLength: 10 }), (texts) => {
        // Prepare
        const input = kinesis(texts.map(b64));
        // Act
        const out = decodeBatch(input, SHARD, OPTIONS);
        // Assert
        expect(out.map((r) => r.value)).toEqual(texts.map((t) => JSON.parse(t)));
        expect(out.map((r) => r.rawBase64)).toEqual(input.map((r) => r.data));
      }),
    );
  });
});
