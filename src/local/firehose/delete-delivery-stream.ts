/** DeleteDeliveryStream: remove a stream and its undelivered records. */
import { boolMember, stringMember } from '../http-json.ts';
import { STREAM_NAME, streamNotFound } from './common.ts';
import type { FirehoseContext } from './context.ts';

/**
 * Handles `Firehose_20150804.DeleteDeliveryStream`. Buffered records not yet delivered are
 * dropped, as with the real service.
 *
 * @example
 * await deleteDeliveryStream(ctx, { DeliveryStreamName: 'cs-events' }); // → {}
 */
export async function deleteDeliveryStream(ctx: FirehoseContext, input: Record<string, unknown>) {
  const name = stringMember(input, 'DeliveryStreamName', { required: true, min: 1, max: 64, pattern: STREAM_NAME });
  boolMember(input, 'AllowForceDelete');
  if (!ctx.engine.get(name)) throw streamNotFound(name);
  await ctx.engine.delete(name);
  return {};
}
