/** Shared pieces of the local Firehose endpoint: the definition of a delivery stream and its errors. */
import { ApiError } from '../http-json.ts';

export const ACCOUNT = '000000000000';

/** Firehose quotas of PutRecord / PutRecordBatch. */
export const LIMITS = { recordsPerCall: 500, recordBytes: 1_024_000, callBytes: 4 * 1024 * 1024 } as const;

export interface RedshiftDestination {
  RoleARN: string;
  ClusterJDBCURL: string;
  CopyCommand: { DataTableName: string; DataTableColumns?: string; CopyOptions?: string };
  Username?: string;
  /** kept (never described back), as AWS keeps it */
  Password?: string;
  SecretsManagerConfiguration?: Record<string, unknown>;
  RetryOptions: { DurationInSeconds: number };
  S3Configuration: {
    RoleARN: string;
    BucketARN: string;
    Prefix?: string;
    ErrorOutputPrefix?: string;
    BufferingHints: { SizeInMBs: number; IntervalInSeconds: number };
    CompressionFormat: string;
  };
  CloudWatchLoggingOptions?: Record<string, unknown>;
  ProcessingConfiguration?: Record<string, unknown>;
}

/** What is persisted per delivery stream (`_firehose_delivery_streams.definition`). */
export interface DeliveryStreamDefinition {
  name: string;
  arn: string;
  type: 'DirectPut';
  /** epoch ms */
  createdAt: number;
  versionId: string;
  redshift: RedshiftDestination;
}

/**
 * The error of an unknown delivery stream (400), worded as Firehose words it.
 *
 * @example
 * throw streamNotFound('cs-events');
 */
export function streamNotFound(name: string): ApiError {
  return new ApiError('ResourceNotFoundException', `Firehose ${name} under account ${ACCOUNT} not found.`, 400);
}

/**
 * An `InvalidArgumentException` (400): a request that is well-formed but not acceptable.
 *
 * @example
 * throw invalidArgument('Records size exceeds 4 MB limit');
 */
export function invalidArgument(message: string): ApiError {
  return new ApiError('InvalidArgumentException', message, 400);
}

/** The name rules of `DeliveryStreamName`. */
export const STREAM_NAME = /^[a-zA-Z0-9_.-]+$/;
