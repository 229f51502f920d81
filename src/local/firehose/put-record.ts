/** PutRecord: one record into a stream's buffer. */
import { ApiError, stringMember, structMember } from '../http-json.ts';
import { STREAM_NAME, streamNotFound } from './common.ts';
import type { FirehoseContext } from './context.ts';
import { newRecordId } from './engine.ts';
import { decodeRecord } from './records.ts';

/**
 * Handles `Firehose_20150804.PutRecord`. The record is acknowledged once durably buffered.
 *
 * @example
 * await putRecord(ctx, { DeliveryStreamName: 'cs-events', Record: { Data: 'eyJhIjoxfQo=' } }); // → { RecordId, Encrypted: false }
 */
export async function putRecord(ctx: FirehoseContext, input: Record<string, unknown>) {
  const name = stringMember(input, 'DeliveryStreamName', { required: true, min: 1, max: 64, pattern: STREAM_NAME });
  const record = structMember(input, 'Record', { required: true });
  const data = decodeRecord(record, 'record.data');
  if (!ctx.engine.get(name)) throw streamNotFound(name);
  if (ctx.failRecord?.(name, 0)) throw new ApiError('ServiceUnavailableException', 'Slow down.', 503);
  const recordId = newRecordId();
  await ctx.engine.put(name, [{ recordId, data }]);
  return { RecordId: recordId, Encrypted: false };
}
