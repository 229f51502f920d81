/** ListDeliveryStreams: names in alphabetical order, paged by name. */
import { intMember, stringMember } from '../http-json.ts';
import type { FirehoseContext } from './context.ts';

/**
 * Handles `Firehose_20150804.ListDeliveryStreams` (`Limit` 1–10 000, default 10;
 * `ExclusiveStartDeliveryStreamName`; `DeliveryStreamType`).
 *
 * @example
 * listDeliveryStreams(ctx, { Limit: 100 }); // → { DeliveryStreamNames: ['cs-events'], HasMoreDeliveryStreams: false }
 */
export function listDeliveryStreams(ctx: FirehoseContext, input: Record<string, unknown>) {
  const limit = intMember(input, 'Limit', { min: 1, max: 10_000 }) ?? 10;
  const type = stringMember(input, 'DeliveryStreamType');
  const after = stringMember(input, 'ExclusiveStartDeliveryStreamName', { min: 1, max: 64 });
  const names = ctx.engine.names().filter((n) => (after === undefined || n > after) && (type === undefined || type === 'DirectPut'));
  return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
}
