/** DescribeDeliveryStream: the definition and status of a delivery stream. */
import { intMember, stringMember } from '../http-json.ts';
import { STREAM_NAME, streamNotFound, type DeliveryStreamDefinition } from './common.ts';
import type { FirehoseContext } from './context.ts';

/**
 * The `DeliveryStreamDescription` of a definition (passwords are never described).
 *
 * @example
 * describeDefinition(def).DeliveryStreamStatus; // → 'ACTIVE'
 */
export function describeDefinition(def: DeliveryStreamDefinition) {
  const { Password: _password, S3Configuration: s3, ...rs } = def.redshift;
  return {
    DeliveryStreamName: def.name,
    DeliveryStreamARN: def.arn,
    DeliveryStreamStatus: 'ACTIVE',
    DeliveryStreamType: def.type,
    DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
    VersionId: def.versionId,
    CreateTimestamp: def.createdAt / 1000,
    Destinations: [
      {
        DestinationId: 'destinationId-000000000001',
        RedshiftDestinationDescription: {
          ...rs,
          S3BackupMode: 'Disabled',
          S3DestinationDescription: { ...s3, EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' } },
        },
      },
    ],
    HasMoreDestinations: false,
  };
}

/**
 * Handles `Firehose_20150804.DescribeDeliveryStream`.
 *
 * @example
 * describeDeliveryStream(ctx, { DeliveryStreamName: 'cs-events' }); // → { DeliveryStreamDescription: { DeliveryStreamStatus: 'ACTIVE', … } }
 */
export function describeDeliveryStream(ctx: FirehoseContext, input: Record<string, unknown>) {
  const name = stringMember(input, 'DeliveryStreamName', { required: true, min: 1, max: 64, pattern: STREAM_NAME });
  intMember(input, 'Limit', { min: 1, max: 10_000 });
  const def = ctx.engine.get(name);
  if (!def) throw streamNotFound(name);
  return { DeliveryStreamDescription: describeDefinition(def) };
}
