/**
 * Firehose → Redshift in CloudFormation's shape. The delivery configuration itself comes
 * from `deliveryStreamConfig()` of `src/sinks/firehose-sink.ts` — the function the local
 * stack uses — and is only translated here from the SDK's field names to CloudFormation's,
 * so the COPY target, column list, options, prefixes and buffering cannot drift between
 * the laptop and AWS.
 */
import type { CreateDeliveryStreamCommandInput } from '@aws-sdk/client-firehose';
import type { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';

/**
 * CIDR blocks from which Firehose connects to Redshift, by region (Amazon Data Firehose
 * developer guide, "Grant Firehose access to an Amazon Redshift destination"). A region
 * missing here needs the `firehoseCidr` context value.
 */
export const FIREHOSE_REDSHIFT_CIDRS: Record<string, string> = {
  'us-east-1': '52.70.63.192/27',
  'us-east-2': '13.58.135.96/27',
  'us-west-1': '13.57.135.192/27',
  'us-west-2': '52.89.255.224/27',
  'ca-central-1': '35.183.92.128/27',
  'eu-west-1': '52.19.239.192/27',
  'eu-west-2': '18.130.1.96/27',
  'eu-central-1': '35.158.127.160/27',
  'ap-northeast-1': '13.113.196.224/27',
  'ap-southeast-1': '13.228.64.192/27',
  'ap-southeast-2': '13.210.67.224/27',
};

type SdkRedshiftDestination = NonNullable<CreateDeliveryStreamCommandInput['RedshiftDestinationConfiguration']>;

/**
 * Translates the SDK's `RedshiftDestinationConfiguration` to the L1 property of
 * `AWS::KinesisFirehose::DeliveryStream`, adding CloudWatch error logging.
 *
 * @example
 * const sdk = deliveryStreamConfig('clickstream', name, { roleArn, bucketArn, clusterJdbcUrl, secretArn });
 * new CfnDeliveryStream(this, 'Events', { redshiftDestinationConfiguration: toCfnRedshiftDestination(sdk.RedshiftDestinationConfiguration!, logs) });
 */
export function toCfnRedshiftDestination(
  d: SdkRedshiftDestination,
  logging?: { logGroupName: string; redshiftStream: string; s3Stream: string },
): CfnDeliveryStream.RedshiftDestinationConfigurationProperty {
  const s3 = d.S3Configuration;
  const copy = d.CopyCommand;
  if (!s3 || !copy?.DataTableName || !d.RoleARN || !d.ClusterJDBCURL) throw new TypeError('toCfnRedshiftDestination: incomplete Redshift destination');
  const sm = d.SecretsManagerConfiguration;
  return {
    roleArn: d.RoleARN,
    clusterJdbcurl: d.ClusterJDBCURL,
    copyCommand: {
      dataTableName: copy.DataTableName,
      ...(copy.DataTableColumns ? { dataTableColumns: copy.DataTableColumns } : {}),
      ...(copy.CopyOptions ? { copyOptions: copy.CopyOptions } : {}),
    },
    ...(sm
      ? { secretsManagerConfiguration: { enabled: sm.Enabled ?? true, ...(sm.SecretARN ? { secretArn: sm.SecretARN } : {}), ...(sm.RoleARN ? { roleArn: sm.RoleARN } : {}) } }
      : { username: d.Username!, password: d.Password! }),
    ...(d.RetryOptions?.DurationInSeconds !== undefined ? { retryOptions: { durationInSeconds: d.RetryOptions.DurationInSeconds } } : {}),
    ...(logging ? { cloudWatchLoggingOptions: { enabled: true, logGroupName: logging.logGroupName, logStreamName: logging.redshiftStream } } : {}),
    s3Configuration: {
      roleArn: s3.RoleARN!,
      bucketArn: s3.BucketARN!,
      ...(s3.Prefix ? { prefix: s3.Prefix } : {}),
      ...(s3.ErrorOutputPrefix ? { errorOutputPrefix: s3.ErrorOutputPrefix } : {}),
      ...(s3.CompressionFormat ? { compressionFormat: s3.CompressionFormat } : {}),
      ...(s3.BufferingHints
        ? { bufferingHints: { intervalInSeconds: s3.BufferingHints.IntervalInSeconds, sizeInMBs: s3.BufferingHints.SizeInMBs } }
        : {}),
      ...(logging ? { cloudWatchLoggingOptions: { enabled: true, logGroupName: logging.logGroupName, logStreamName: logging.s3Stream } } : {}),
    },
  };
}
