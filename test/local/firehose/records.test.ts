import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../../src/local/firehose/records.ts';

/** The rule as AWS words it: base64 alphabet, at most two '=' at the end, no dangling sextet. */
const valid = (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 !== 1;

describe('decodeRecord', () => {
  it('accepts exactly the base64 strings the pattern accepts, canonical or not, and decodes them', () => {
    const base64ish = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64').replace(/=+$/, '')),
      fc.string({ unit: fc.constantFrom('A', 'b', '9', '+', '/', '=', '-', '_', ' ', '\n', 'é'), maxLength: 24 }),
    );
    fc.assert(
      fc.property(base64ish, (data) => {
        // Act
        let out: Buffer | Error;
        try {
          out = decodeRecord({ Data: data }, 'record.data');
        } catch (err) {
          out = err as Error;
        }

        // Assert
        if (valid(data)) expect(out).toEqual(Buffer.from(data, 'base64'));
        else expect((out as Error).message).toBe('record.data is not valid base64');
      }),
      { numRuns: 3_000 },
    );
  });
});
