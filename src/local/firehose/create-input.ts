/**
 * Validation of `CreateDeliveryStream` input into a definition, with the rules AWS applies
 * to a Direct PUT stream with a Redshift destination: role, JDBC URL, COPY command and the
 * S3 staging configuration are required; credentials are a user name and password or a
 * Secrets Manager secret; the staging data must be uncompressed (COPY reads it as is).
 */
import { intMember, stringMember, structMember } from '../http-json.ts';
import { ACCOUNT, STREAM_NAME, invalidArgument, type DeliveryStreamDefinition, type RedshiftDestination } from './common.ts';

const OTHER_DESTINATIONS = [
  'S3DestinationConfiguration',
  'ExtendedS3DestinationConfiguration',
  'ElasticsearchDestinationConfiguration',
  'AmazonopensearchserviceDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'HttpEndpointDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'MSKSourceConfiguration',
  'SnowflakeDestinationConfiguration',
  'IcebergDestinationConfiguration',
  'DatabaseSourceConfiguration',
];

/**
 * Parses and checks a CreateDeliveryStream request.
 *
 * @example
 * const def = parseCreateInput(deliveryStreamConfig('clickstream', 'cs-events'), 'us-east-1');
 */
export function parseCreateInput(input: Record<string, unknown>, region: string): DeliveryStreamDefinition {
  const name = stringMember(input, 'DeliveryStreamName', { required: true, min: 1, max: 64, pattern: STREAM_NAME });
  const type = stringMember(input, 'DeliveryStreamType') ?? 'DirectPut';
  if (type !== 'DirectPut') throw invalidArgument(`DeliveryStreamType ${type} is not supported by the local Firehose (only DirectPut).`);
  if (input.KinesisStreamSourceConfiguration) throw invalidArgument('KinesisStreamSourceConfiguration is only valid with DeliveryStreamType KinesisStreamAsSource.');
  const other = OTHER_DESTINATIONS.filter((k) => input[k] !== undefined && input[k] !== null);
  const rs = structMember(input, 'RedshiftDestinationConfiguration');
  if (!rs) {
    throw invalidArgument(other.length > 0 ? `${other[0]} is not supported by the local Firehose (only RedshiftDestinationConfiguration).` : 'Exactly one destination configuration must be specified.');
  }
  if (other.length > 0) throw invalidArgument('Exactly one destination configuration must be specified.');

  const roleArn = stringMember(rs, 'RoleARN', { required: true, min: 1, max: 512 });
  const jdbc = stringMember(rs, 'ClusterJDBCURL', { required: true, min: 1 });
  if (!/^jdbc:(redshift|postgresql):\/\/[^/]+\/\S+$/.test(jdbc)) throw invalidArgument(`ClusterJDBCURL ${JSON.stringify(jdbc)} is not a valid JDBC URL (jdbc:redshift://host:port/database).`);
  const copy = structMember(rs, 'CopyCommand', { required: true })!;
  const table = stringMember(copy, 'DataTableName', { required: true, min: 1 });
  const columns = stringMember(copy, 'DataTableColumns');
  const copyOptions = stringMember(copy, 'CopyOptions');
  const username = stringMember(rs, 'Username', { min: 1, max: 512 });
  const password = stringMember(rs, 'Password', { min: 6, max: 512 });
  const secrets = structMember(rs, 'SecretsManagerConfiguration');
  const secretsEnabled = secrets?.Enabled === true;
  if (secretsEnabled) {
    if (username || password) throw invalidArgument('Username and Password must not be specified when SecretsManagerConfiguration is enabled.');
    if (typeof secrets.SecretARN !== 'string' || secrets.SecretARN === '') throw invalidArgument('SecretsManagerConfiguration.SecretARN is required when Enabled is true.');
  } else if (!username || !password) {
    throw invalidArgument('Username and Password are required for a Redshift destination unless SecretsManagerConfiguration is enabled.');
  }
  const retry = structMember(rs, 'RetryOptions');
  const retrySeconds = retry ? (intMember(retry, 'DurationInSeconds', { min: 0, max: 7200 }) ?? 3600) : 3600;
  if ((rs.ProcessingConfiguration as { Enabled?: unknown } | undefined)?.Enabled === true) {
    throw invalidArgument('ProcessingConfiguration (Lambda transformation) is not supported by the local Firehose.');
  }
  if (rs.S3BackupMode !== undefined && rs.S3BackupMode !== 'Disabled') throw invalidArgument('S3BackupMode Enabled is not supported by the local Firehose.');

  const s3 = structMember(rs, 'S3Configuration', { required: true })!;
  const s3Role = stringMember(s3, 'RoleARN', { required: true, min: 1, max: 512 });
  const bucket = stringMember(s3, 'BucketARN', { required: true, min: 1, max: 2048 });
  if (!/^arn:[^:]+:s3:::\S+$/.test(bucket)) throw invalidArgument(`BucketARN ${JSON.stringify(bucket)} is not an S3 bucket ARN.`);
  const hints = structMember(s3, 'BufferingHints') ?? {};
  // AWS's ranges (API BufferingHints): SizeInMBs 1–128 MiB, IntervalInSeconds 0–900.
  const at = 'redshiftDestinationConfiguration.s3Configuration.bufferingHints';
  const sizeMb = intMember(hints, 'SizeInMBs', { min: 1, max: 128, path: `${at}.sizeInMBs` }) ?? 5;
  const intervalSec = intMember(hints, 'IntervalInSeconds', { min: 0, max: 900, path: `${at}.intervalInSeconds` }) ?? 300;
  const compression = stringMember(s3, 'CompressionFormat') ?? 'UNCOMPRESSED';
  if (compression !== 'UNCOMPRESSED') throw invalidArgument(`CompressionFormat ${compression} is not supported for a Redshift destination: COPY reads the staged files uncompressed.`);

  const redshift: RedshiftDestination = {
    RoleARN: roleArn,
    ClusterJDBCURL: jdbc,
    CopyCommand: { DataTableName: table, ...(columns !== undefined ? { DataTableColumns: columns } : {}), ...(copyOptions !== undefined ? { CopyOptions: copyOptions } : {}) },
    ...(username ? { Username: username } : {}),
    ...(password ? { Password: password } : {}),
    ...(secrets ? { SecretsManagerConfiguration: secrets } : {}),
    RetryOptions: { DurationInSeconds: retrySeconds },
    S3Configuration: {
      RoleARN: s3Role,
      BucketARN: bucket,
      ...(typeof s3.Prefix === 'string' ? { Prefix: s3.Prefix } : {}),
      ...(typeof s3.ErrorOutputPrefix === 'string' ? { ErrorOutputPrefix: s3.ErrorOutputPrefix } : {}),
      BufferingHints: { SizeInMBs: sizeMb, IntervalInSeconds: intervalSec },
      CompressionFormat: compression,
    },
    ...(rs.CloudWatchLoggingOptions ? { CloudWatchLoggingOptions: rs.CloudWatchLoggingOptions as Record<string, unknown> } : {}),
    ...(rs.ProcessingConfiguration ? { ProcessingConfiguration: rs.ProcessingConfiguration as Record<string, unknown> } : {}),
  };
  return { name, arn: `arn:aws:firehose:${region}:${ACCOUNT}:deliverystream/${name}`, type: 'DirectPut', createdAt: Date.now(), versionId: '1', redshift };
}
