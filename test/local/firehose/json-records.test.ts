import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonRecordError, parseJsonObjects, type JsonRow } from '../../../src/local/firehose/json-records.ts';

/** What COPY JSON 'auto' reads from an object: lower-cased keys (first wins), values as their JSON text. */
function reference(o: Record<string, unknown>): JsonRow {
  const row: JsonRow = new Map();
  for (const [k, v] of Object.entries(o)) {
    const key = k.toLowerCase();
    if (row.has(key)) continue;
    row.set(key, v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
  }
  return row;
}

const scalar = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\t', '\u0000', 'a', 'é', '😀', '/') }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.oneof(fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string(), scalar, { maxKeys: 3 })) });
const object = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('ID', 'id', 'Id', 'name')), value, { maxKeys: 8 });
const separator = fc.constantFrom('', '\n', ' ', '\r\n', '\t\n ');

describe('parseJsonObjects', () => {
  it('reads concatenated objects as COPY JSON auto does, whatever the separators and escapes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(object, separator), { maxLength: 6 }), (parts) => {
        // Prepare
        const text = parts.map(([o, sep]) => JSON.stringify(o) + sep).join('');

        // Act
        const rows = parseJsonObjects(text);

        // Assert
        expect(rows).toEqual(parts.map(([o]) => reference(o)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps numbers as written (no loss of precision) and nested values as their JSON text', () => {
    // Act
    const rows = parseJsonObjects('{"big": 9007199254740993, "dec": 12345678901234567.89, "e": -1.5E+3, "n": {"a": [1, 2]}, "s":"a\\"b"}');

    // Assert
    expect(rows).toEqual([
      new Map<string, string | null>([
        ['big', '9007199254740993'],
        ['dec', '12345678901234567.89'],
        ['e', '-1.5E+3'],
        ['n', '{"a": [1, 2]}'],
        ['s', 'a"b'],
      ]),
    ]);
  });

  it('rejects what is not JSON, raw control characters in strings included', () => {
    for (const bad of ['{"a":"x\ny"}', '{"a":1', '{"a":01}', '[1]', '{"a":tru}', '{"a":"\\x"}', '{a:1}']) {
      expect(() => parseJsonObjects(bad), bad).toThrow(JsonRecordError);
    }
  });
});
