/**
 * The on-failure destination of the local event source mapping: a JSON Lines file. Each line
 * is the document Lambda sends to an SQS/SNS on-failure destination for a Kinesis batch it
 * gives up on (retries exhausted or records too old): a description of the batch
 * (`KinesisBatchInfo`), not its records, plus a human-readable `reason`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Lambda's description of a discarded Kinesis batch (field names as AWS writes them). */
export interface KinesisBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** ISO-8601 */
  approximateArrivalOfFirstRecord: string;
  /** ISO-8601 */
  approximateArrivalOfLastRecord: string;
  batchSize: number;
  streamArn: string;
}

/** Why Lambda discarded a batch (`requestContext.condition`). */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** What the poller hands to `send`: the batch info, why, and how often it was invoked. */
export interface FailedBatch extends KinesisBatchInfo {
  reason: string;
  condition?: FailureCondition;
  /** invocations of this batch (0 when it expired before any) */
  approximateInvokeCount?: number;
  functionArn?: string;
  /** last function error, when the batch failed with one */
  functionError?: string;
}

/** One line of the destination file: Lambda's on-failure document plus `reason`. */
export interface FailureRecord {
  version: '1.0';
  /** when the batch was discarded, ISO-8601 */
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: FailureCondition; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
  KinesisBatchInfo: KinesisBatchInfo;
  reason: string;
}

/**
 * Appends failure records to a JSONL file (created with its directory on first use).
 *
 * @example
 * const dest = new FileFailureDestination('.stream-metrics/on-failure.jsonl');
 * await dest.send({ shardId, startSequenceNumber, endSequenceNumber, approximateArrivalOfFirstRecord, approximateArrivalOfLastRecord, batchSize: 3, streamArn, reason: 'retries exhausted' });
 * const all = await dest.list();
 */
export class FileFailureDestination {
  // Appends from concurrent shards are serialised so that lines never interleave.
  #tail: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Writes one record durably (appended and fsynced) and returns it. */
  send(info: FailedBatch): Promise<FailureRecord> {
    const { reason, condition, approximateInvokeCount, functionArn, functionError, ...batch } = info;
    const record: FailureRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: `${batch.shardId}:${batch.startSequenceNumber}:${Date.now()}`,
        functionArn: functionArn ?? 'arn:aws:lambda:us-east-1:000000000000:function:local',
        condition: condition ?? 'RetryAttemptsExhausted',
        approximateInvokeCount: approximateInvokeCount ?? 0,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: functionError ?? (condition === 'RecordAgeExceeded' ? '' : 'Unhandled') },
      KinesisBatchInfo: {
        shardId: batch.shardId,
        startSequenceNumber: batch.startSequenceNumber,
        endSequenceNumber: batch.endSequenceNumber,
        approximateArrivalOfFirstRecord: batch.approximateArrivalOfFirstRecord,
        approximateArrivalOfLastRecord: batch.approximateArrivalOfLastRecord,
        batchSize: batch.batchSize,
        streamArn: batch.streamArn,
      },
      reason,
    };
    const write = this.#tail.then(async () => {
      await fs.mkdir(path.dirname(this.path), { recursive: true });
      const fh = await fs.open(this.path, 'a');
      try {
        await fh.appendFile(`${JSON.stringify(record)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
    this.#tail = write.catch(() => {});
    return write.then(() => record);
  }

  /** Every record written so far, oldest first (empty when the file does not exist). */
  async list(): Promise<FailureRecord[]> {
    await this.#tail;
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as FailureRecord);
  }
}
