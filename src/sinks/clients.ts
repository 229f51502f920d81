/**
 * The AWS SDK clients, built one way everywhere: HTTP/1.1 (kinesalite cannot speak HTTP/2,
 * and the local endpoints need not), short connection timeouts so an unreachable endpoint
 * fails fast, middleware resolved once per client. Endpoints come from `AWS_ENDPOINT_URL_*`
 * (read by the SDK) unless given here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface ClientOptions {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** per request; queries over long ranges take longer than sink writes */
  requestTimeoutMs?: number;
}

function common(o: ClientOptions) {
  return {
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: o.requestTimeoutMs ?? 30_000 }),
    // Safe because every middleware we add (chaos throttling) is added before the first call.
    cacheMiddleware: true,
  };
}

/**
 * Creates an SDK client of one of the four services we use.
 *
 * @example
 * const ddb = createClient('dynamodb', { region: 'us-east-1' });
 * const kinesis = createClient('kinesis', { region: 'us-east-1', endpoint: 'http://127.0.0.1:4567' });
 */
export function createClient(service: 'dynamodb', o: ClientOptions): DynamoDBClient;
export function createClient(service: 'firehose', o: ClientOptions): FirehoseClient;
export function createClient(service: 'redshiftData', o: ClientOptions): RedshiftDataClient;
export function createClient(service: 'kinesis', o: ClientOptions): KinesisClient;
export function createClient(service: 'dynamodb' | 'firehose' | 'redshiftData' | 'kinesis', o: ClientOptions) {
  const client =
    service === 'dynamodb'
      ? new DynamoDBClient(common(o))
      : service === 'firehose'
        ? new FirehoseClient(common(o))
        : service === 'redshiftData'
          ? new RedshiftDataClient(common(o))
          : new KinesisClient(common(o));
  // The SDK's logger middleware walks every request and response through its
  // sensitive-data filter to hand the result to `logger.info`, even to the no-op logger we
  // run with: 5–7 % of a sandbox's CPU in the end-to-end profile (a 500-record Firehose
  // batch, a 100-item transaction). We configure no logger, so nothing is lost.
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
