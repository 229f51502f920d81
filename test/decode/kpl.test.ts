import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, deaggregate, hasKplMagic, isKplAggregate } from '../../src/decode/kpl.ts';
import { KplFormatError } from '../../src/errors.ts';

/**
 * Aggregates captured from other KPL implementations' public test suites (data only), so
 * that the format we read and write is not defined solely by our own encoder.
 */
const REFERENCE = {
  threeRecordsOneKey:
    '84mawgoCcDEaGAgAGhQwMTIzNDU2Nzg5MDEyMzQ1NjdfQRoYCAAaFDAxMjM0NTY3ODkwMTIzNDU2N19CGhgIABoUMDEyMzQ1Njc4OTAxMjM0NTY3X0NHjL02iyRk3D+kO2UC2X6u',
  oneRecord: '84mawgoFa2V5LTAaJQgAGiFUZXN0aW5nIEtQTCBBZ2dyZWdhdGVkIFJlY29yZCAxLTBlW2Hfd6iL1WkMbznr8jc2',
  threeKeys:
    '84mawgoEcGstMAoEcGstMQoEcGstMhoTCAAaD3sibXNnIjoibGluZTAifRoTCAEaD3sibXNnIjoibGluZTEifRoTCAIaD3sibXNnIjoibGluZTIifZ8hyadI+v2KZPZrUGim6cQ=',
  withExplicitHashKey:
    '84mawgokODE2MjJiMGUtNWFlOC00YjUzLWE1ODUtYzZjYjc3ODBlNjgwCiQyNWQ0YzNjMS0zMWZlLTQyNGYtOTFmMy04MTI0MWRjYzY1OTASCXVuZGVmaW5lZBoRCAAQABoLeyJhIjoiQUJDIn0aEQgBEAAaC3siYiI6IkRFRiJ9jU+TcO1bDHHEgOGh8mJlCw==',
};

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** Wraps hand-written protobuf bytes as an aggregate with a correct MD5. */
function wrap(body: number[] | Uint8Array): Uint8Array {
  const pb = Uint8Array.from(body);
  const md5 = createHash('md5').update(pb).digest();
  return Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2, ...pb, ...md5]);
}
const ascii = (s: string): number[] => [...Buffer.from(s)];

describe('isKplAggregate', () => {
  it('needs the magic and room for the MD5', () => {
    // Prepare
    const agg = aggregate([{ partitionKey: 'k', data: '{}' }]);
    // Act + Assert
    expect(isKplAggregate(agg)).toBe(true);
    expect(isKplAggregate(new TextEncoder().encode('{"a":1}'))).toBe(false);
    expect(isKplAggregate(Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2, 1, 2]))).toBe(false);
    expect(hasKplMagic(Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2, 1, 2]))).toBe(true);
    expect(isKplAggregate(new Uint8Array())).toBe(false);
  });
});

describe('deaggregate', () => {
  it('reads aggregates written by other implementations', () => {
    // Act
    const a = deaggregate(b64(REFERENCE.threeRecordsOneKey));
    const b = deaggregate(b64(REFERENCE.threeKeys));
    const c = deaggregate(b64(REFERENCE.withExplicitHashKey));
    // Assert
    expect(a.map((r) => [r.partitionKey, text(r.data)])).toEqual([
      ['p1', '012345678901234567_A'],
      ['p1', '012345678901234567_B'],
      ['p1', '012345678901234567_C'],
    ]);
    expect(b.map((r) => [r.partitionKey, text(r.data)])).toEqual([
      ['pk-0', '{"msg":"line0"}'],
      ['pk-1', '{"msg":"line1"}'],
      ['pk-2', '{"msg":"line2"}'],
    ]);
    expect(c.map((r) => [r.partitionKey, text(r.data)])).toEqual([
      ['81622b0e-5ae8-4b53-a585-c6cb7780e680', '{"a":"ABC"}'],
      ['25d4c3c1-31fe-424f-91f3-81241dcc6590', '{"b":"DEF"}'],
    ]);
  });

  it('skips unknown fields of every wire type, and tags', () => {
    // Prepare: table "k"; unknown varint, fixed64, fixed32, group; a record with a tag and unknown fields
    const record = [0x08, 0x00, 0x1a, 0x02, ...ascii('{}'), 0x22, 0x05, 0x0a, 0x01, ...ascii('t'), 0x12, 0x00, 0x78, 0x96, 0x01];
    const body = [
      0x0a, 0x01, ...ascii('k'),
      0x20, 0xff, 0xff, 0x03, // field 4 varint
      0x29, 1, 2, 3, 4, 5, 6, 7, 8, // field 5 fixed64
      0x35, 1, 2, 3, 4, // field 6 fixed32
      0x3b, 0x08, 0x01, 0x3c, // field 7 group containing field 1 varint
      0x42, 0x02, 0xaa, 0xbb, // field 8 bytes
      0x1a, record.length, ...record,
    ];
    // Act
    const out = deaggregate(wrap(body));
    // Assert
    expect(out.map((r) => [r.partitionKey, text(r.data)])).toEqual([['k', '{}']]);
  });

  it.each([
    ['missing magic', () => new TextEncoder().encode('{"a":1}...............')],
    ['too short for the MD5', () => Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2, 0x0a, 0x00])],
    ['bad MD5', () => { const b = aggregate([{ partitionKey: 'k', data: 'x' }]); b[b.length - 1]! ^= 1; return b; }],
    ['bit flip in the body', () => { const b = aggregate([{ partitionKey: 'k', data: 'xyz' }]); b[6]! ^= 0x10; return b; }],
    ['partition key index out of range', () => wrap([0x0a, 0x01, 0x6b, 0x1a, 0x04, 0x08, 0x01, 0x1a, 0x00])],
    ['explicit hash key index out of range', () => wrap([0x0a, 0x01, 0x6b, 0x1a, 0x06, 0x08, 0x00, 0x10, 0x00, 0x1a, 0x00])],
    ['record without data', () => wrap([0x0a, 0x01, 0x6b, 0x1a, 0x02, 0x08, 0x00])],
    ['record without partition key index', () => wrap([0x0a, 0x01, 0x6b, 0x1a, 0x02, 0x1a, 0x00])],
    ['wrong wire type for records', () => wrap([0x0a, 0x01, 0x6b, 0x18, 0x01])],
    ['wrong wire type for the key table', () => wrap([0x08, 0x01])],
    ['length past the end', () => wrap([0x0a, 0x05, 0x6b])],
    ['truncated varint', () => wrap([0x0a, 0x01, 0x6b, 0x20, 0xff])],
    ['varint longer than 10 bytes', () => wrap([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['field number 0', () => wrap([0x00, 0x00])],
    ['wire type 7', () => wrap([0x0f])],
    ['unclosed group', () => wrap([0x3b, 0x08, 0x01])],
    ['group closed by another field', () => wrap([0x3b, 0x44])],
    ['stray end group', () => wrap([0x3c])],
    ['tag without key', () => wrap([0x0a, 0x01, 0x6b, 0x1a, 0x08, 0x08, 0x00, 0x1a, 0x00, 0x22, 0x02, 0x12, 0x00])],
    ['partition key not UTF-8', () => wrap([0x0a, 0x01, 0xff, 0x1a, 0x04, 0x08, 0x00, 0x1a, 0x00])],
    ['index above 2^53', () => wrap([0x0a, 0x01, 0x6b, 0x1a, 0x0d, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x1a, 0x00])],
  ])('throws KplFormatError on %s', (_name, make) => {
    // Prepare
    const bytes = make();
    // Act + Assert
    expect(() => deaggregate(bytes)).toThrow(KplFormatError);
  });

  it('returns no records for an empty aggregate (the caller decides what that means)', () => {
    expect(deaggregate(wrap([]))).toEqual([]);
  });
});

describe('aggregate', () => {
  it('writes byte for byte what the reference implementations wrote', () => {
    for (const ref of [REFERENCE.threeRecordsOneKey, REFERENCE.oneRecord, REFERENCE.threeKeys]) {
      // Prepare
      const records = deaggregate(b64(ref));
      // Act
      const again = aggregate(records);
      // Assert
      expect(Buffer.from(again).toString('base64')).toBe(ref);
    }
  });

  it('round-trips with deaggregate for any records', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partitionKey: fc.string({ unit: 'binary', maxLength: 40 }), data: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 })) }), { maxLength: 30 }),
        (records) => {
          // Act
          const out = deaggregate(aggregate(records));
          // Assert
          expect(out.map((r) => r.partitionKey)).toEqual(records.map((r) => r.partitionKey));
          expect(out.map((r) => Buffer.from(r.data).toString('hex'))).toEqual(
            records.map((r) => Buffer.from(typeof r.data === 'string' ? new TextEncoder().encode(r.data) : r.data).toString('hex')),
          );
        },
      ),
    );
  });

  it('encodes long lengths and large key tables with multi-byte varints', () => {
    // Prepare
    const big = 'x'.repeat(70_000);
    const records = Array.from({ length: 200 }, (_, i) => ({ partitionKey: `key-${i}`, data: i === 0 ? big : `{"i":${i}}` }));
    // Act
    const out = deaggregate(aggregate(records));
    // Assert
    expect(out).toHaveLength(200);
    expect(text(out[0]!.data)).toBe(big);
    expect(out[199]!.partitionKey).toBe('key-199');
  });

  it('fails only with KplFormatError on corrupted aggregates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partitionKey: fc.string({ maxLength: 10 }), data: fc.string({ maxLength: 50 }) }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        (records, at, bit, fixMd5) => {
          // Prepare: flip one bit, optionally re-computing the MD5 so the protobuf reader sees it
          const bytes = aggregate(records);
          const i = 4 + (at % (bytes.length - 4));
          bytes[i]! ^= 1 << bit;
          const data = fixMd5 ? wrap(bytes.subarray(4, bytes.length - 16)) : bytes;
          // Act
          try {
            const out = deaggregate(data);
            // Assert: a flip the protobuf tolerates still yields well-formed records
            for (const r of out) expect(typeof r.partitionKey).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(KplFormatError);
          }
        },
      ),
    );
  });
});
