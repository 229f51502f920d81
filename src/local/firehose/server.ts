/**
 * A local, protocol-compatible Amazon Data Firehose endpoint that delivers Direct PUT
 * streams into tables of a `SqlBackend` (PGlite or PostgreSQL), standing in for Firehose →
 * S3 → Redshift COPY. `@aws-sdk/client-firehose` pointed at `url` works unchanged (JSON 1.1,
 * `X-Amz-Target: Firehose_20150804.<Operation>`).
 *
 * Operations: CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams,
 * DeleteDeliveryStream, PutRecord, PutRecordBatch. A stream's buffer is delivered as its
 * `BufferingHints` say, whichever comes first: when it holds `SizeInMBs` MiB, or when its
 * oldest record is `IntervalInSeconds` old — the interval capped by `maxFlushIntervalMs`
 * when given (the local stack's speed-up: its streams keep AWS's 60 s and data still shows
 * up within a second). Also on `flush()` and `close()`. See `engine.ts` for how a delivery
 * loads rows.
 */
import type { SqlBackend } from '../sql-backend.ts';
import { startJsonService } from '../http-json.ts';
import type { FirehoseContext } from './context.ts';
import { createDeliveryStream } from './create-delivery-stream.ts';
import { deleteDeliveryStream } from './delete-delivery-stream.ts';
import { describeDeliveryStream } from './describe-delivery-stream.ts';
import { FirehoseEngine, type FirehoseStats } from './engine.ts';
import { listDeliveryStreams } from './list-delivery-streams.ts';
import { putRecord } from './put-record.ts';
import { putRecordBatch } from './put-record-batch.ts';

export type { FirehoseStats } from './engine.ts';

export interface FirehoseServerOptions {
  backend: SqlBackend;
  port?: number;
  host?: string;
  /**
   * caps every stream's `IntervalInSeconds`, ms: a local speed-up (`up` passes 1000); by
   * default the hints apply as given, as on AWS
   */
  maxFlushIntervalMs?: number;
  /** @deprecated the old name of `maxFlushIntervalMs` (same meaning) */
  flushIntervalMs?: number;
  /** region in ARNs (default us-east-1) */
  region?: string;
  faults?: {
    /** return true to fail the record at `index` of a put with ServiceUnavailableException */
    failRecord?: (deliveryStream: string, index: number) => boolean;
  };
}

export interface FirehoseServer {
  url: string;
  /** delivers every buffered record now; rejects when a load fails (records stay buffered) */
  flush(): Promise<void>;
  stats(): FirehoseStats;
  /** stops the endpoint after a last flush; the backend stays open (it is the caller's) */
  close(): Promise<void>;
}

/**
 * Starts the local Firehose endpoint. Delivery stream definitions and buffered records are
 * kept in the backend, so they survive a restart on the same data directory or database.
 *
 * @example
 * const firehose = await startFirehoseServer({ backend, maxFlushIntervalMs: 100 });
 * const client = new FirehoseClient({ endpoint: firehose.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * await firehose.flush();
 */
export async function startFirehoseServer(options: FirehoseServerOptions): Promise<FirehoseServer> {
  const cap = options.maxFlushIntervalMs ?? options.flushIntervalMs;
  const engine = new FirehoseEngine(options.backend, cap !== undefined ? { maxFlushIntervalMs: cap } : {});
  await engine.open();
  const ctx: FirehoseContext = {
    engine,
    region: options.region ?? 'us-east-1',
    ...(options.faults?.failRecord ? { failRecord: options.faults.failRecord } : {}),
  };
  let service;
  try {
    service = await startJsonService({
      targetPrefix: 'Firehose_20150804',
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      internalError: { type: 'ServiceUnavailableException', status: 503 },
      operations: {
        CreateDeliveryStream: (i) => createDeliveryStream(ctx, i),
        DescribeDeliveryStream: (i) => describeDeliveryStream(ctx, i),
        ListDeliveryStreams: (i) => listDeliveryStreams(ctx, i),
        DeleteDeliveryStream: (i) => deleteDeliveryStream(ctx, i),
        PutRecord: (i) => putRecord(ctx, i),
        PutRecordBatch: (i) => putRecordBatch(ctx, i),
      },
    });
  } catch (err) {
    await engine.close().catch(() => {});
    throw err;
  }
  const svc = service;
  return {
    url: svc.url,
    flush: () => engine.flush(),
    stats: () => engine.stats(),
    async close() {
      await svc.close();
      await engine.close();
    },
  };
}
