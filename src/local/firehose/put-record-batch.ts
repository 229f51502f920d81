/** PutRecordBatch: up to 500 records in one call, answered per record. */
import { listMember, stringMember } from '../http-json.ts';
import { LIMITS, STREAM_NAME, invalidArgument, streamNotFound } from './common.ts';
import type { FirehoseContext } from './context.ts';
import { newRecordId } from './engine.ts';
import { decodeRecord } from './records.ts';

/**
 * Handles `Firehose_20150804.PutRecordBatch`: 1–500 records of at most 1,000 KiB each and
 * 4 MiB in all. The call can succeed with `FailedPutCount > 0`: failed entries carry
 * `ErrorCode`/`ErrorMessage` (here only when injected through `faults.failRecord`, as
 * throttling would), the others a `RecordId`, in request order.
 *
 * @example
 * await putRecordBatch(ctx, { DeliveryStreamName: 'cs-events', Records: [{ Data: 'eyJhIjoxfQo=' }] });
 * // → { FailedPutCount: 0, Encrypted: false, RequestResponses: [{ RecordId }] }
 */
export async function putRecordBatch(ctx: FirehoseContext, input: Record<string, unknown>) {
  const name = stringMember(input, 'DeliveryStreamName', { required: true, min: 1, max: 64, pattern: STREAM_NAME });
  const raw = listMember(input, 'Records', { required: true, min: 1, max: LIMITS.recordsPerCall })!;
  const data = raw.map((r, i) => decodeRecord(r, `records.${i + 1}.member.data`));
  const total = data.reduce((a, d) => a + d.length, 0);
  if (total > LIMITS.callBytes) throw invalidArgument('Records size exceeds 4 MB limit');
  if (!ctx.engine.get(name)) throw streamNotFound(name);
  const accepted: { recordId: string; data: Buffer }[] = [];
  const responses = data.map((d, i) => {
    if (ctx.failRecord?.(name, i)) return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
    const recordId = newRecordId();
    accepted.push({ recordId, data: d });
    return { RecordId: recordId };
  });
  await ctx.engine.put(name, accepted);
  return { FailedPutCount: responses.length - accepted.length, Encrypted: false, RequestResponses: responses };
}
