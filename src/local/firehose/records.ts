/** Decoding and size checks of `Record.Data` (base64 in JSON), with AWS's validation wording. */
import { ApiError, validationError } from '../http-json.ts';
import { LIMITS } from './common.ts';

/**
 * Decodes one record's data; `at` is its member path (`record.data`, `records.3.member.data`).
 *
 * @example
 * const bytes = decodeRecord({ Data: 'eyJhIjoxfQo=' }, 'record.data'); // → Buffer of '{"a":1}\n'
 */
export function decodeRecord(record: unknown, at: string): Buffer {
  const data = (record as { Data?: unknown } | null)?.Data;
  if (data === undefined || data === null) throw validationError(`1 validation error detected: Value null at '${at}' failed to satisfy constraint: Member must not be null`);
  if (typeof data !== 'string') throw new ApiError('SerializationException', `${at} is not valid base64`, 400);
  const bytes = Buffer.from(data, 'base64');
  // Canonical base64 (what the SDKs send) encodes back to itself, which is a cheaper proof
  // of validity than the pattern (that was ~2 % of the local endpoint's CPU); anything else
  // is checked against the pattern.
  if (bytes.toString('base64') !== data && (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1)) {
    throw new ApiError('SerializationException', `${at} is not valid base64`, 400);
  }
  if (bytes.length > LIMITS.recordBytes) {
    throw validationError(
      `1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${bytes.length} cap=${bytes.length}]' at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${LIMITS.recordBytes}`,
    );
  }
  return bytes;
}
