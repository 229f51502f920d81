/** CreateDeliveryStream: a Direct PUT stream delivering to a Redshift table. */
import { ApiError } from '../http-json.ts';
import { ACCOUNT } from './common.ts';
import { parseCreateInput } from './create-input.ts';
import type { FirehoseContext } from './context.ts';

/**
 * Handles `Firehose_20150804.CreateDeliveryStream`. The stream is ACTIVE at once (the real
 * one is CREATING for a while); an existing name is a ResourceInUseException.
 *
 * @example
 * await createDeliveryStream(ctx, deliveryStreamConfig('clickstream', 'cs-events')); // → { DeliveryStreamARN }
 */
export async function createDeliveryStream(ctx: FirehoseContext, input: Record<string, unknown>) {
  const def = parseCreateInput(input, ctx.region);
  if (!(await ctx.engine.create(def))) {
    throw new ApiError('ResourceInUseException', `Firehose ${def.name} under accountId ${ACCOUNT} already exists`, 400);
  }
  return { DeliveryStreamARN: def.arn };
}
