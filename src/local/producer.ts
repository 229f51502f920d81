/**
 * Writing records to Kinesis with PutRecords (SPEC §7 `produce`): batches of at most 500
 * records / 5 MiB, failed entries retried with back-off until accepted, an optional rate
 * limit, and optional KPL aggregation (several user records in one Kinesis record).
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { aggregate as kplAggregate } from '../decode/kpl.ts';
import { SinkError } from '../errors.ts';
import { createClient } from '../sinks/clients.ts';
import { withRetry } from '../sinks/retry.ts';

export interface ProducerRecord {
  partitionKey: string;
  data: string | Uint8Array;
  /** where it came from (the line of `produce --file`), for messages */
  line?: number;
}

export interface ProduceOptions {
  /** records per second, 0 or undefined for as fast as possible */
  rate?: number;
  /** aggregate this many user records per Kinesis record (KPL format); 1 = none */
  kplAggregate?: number;
  onProgress?: (sent: number) => void;
  /**
   * A record Kinesis would refuse (data and partition key over 1 MiB) is not sent: it is
   * passed here and the others go on. Without it, such a record stops `produce` with an
   * error (PutRecords would refuse its whole batch).
   */
  onTooLarge?: (record: ProducerRecord, bytes: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

const MAX_RECORDS = 500;
const MAX_BYTES = 5 * 1024 * 1024;
/** Kinesis's limit on one record: its data blob plus its partition key. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** KPL aggregate framing: magic bytes, MD5 and the aggregate's own partition key (≤ 256). */
const KPL_FRAME_BYTES = 4 + 16 + 256;
/** Upper bound of the per-user-record framing: tags, varint lengths, its key-table entry. */
const KPL_RECORD_OVERHEAD = 24;

/** A Kinesis client that works against kinesalite (HTTP/1.1) and AWS alike. */
export function createKinesisClient(options: { region?: string; endpoint?: string } = {}): KinesisClient {
  return createClient('kinesis', { region: options.region ?? 'us-east-1', ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
}

/**
 * Sends records to a stream; resolves with the number of user records written.
 *
 * @example
 * await produce(kinesis, 'clickstream', lines.map((l, i) => ({ partitionKey: String(i), data: l })), { rate: 1000 });
 */
export async function produce(kinesis: KinesisClient, streamName: string, records: Iterable<ProducerRecord> | AsyncIterable<ProducerRecord>, options: ProduceOptions = {}): Promise<number> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const per = Math.max(1, options.kplAggregate ?? 1);
  let sent = 0;
  let batch: PutRecordsRequestEntry[] = [];
  let batchBytes = 0;
  let batchUser = 0;
  let pendingAgg: ProducerRecord[] = [];
  let pendingAggBytes = KPL_FRAME_BYTES;
  const encoder = new TextEncoder();
  const started = Date.now();

  const flush = async () => {
    if (batch.length === 0) return;
    await putWithRetry(kinesis, streamName, batch, sleep);
    sent += batchUser;
    batch = [];
    batchBytes = 0;
    batchUser = 0;
    options.onProgress?.(sent);
    if (options.rate && options.rate > 0) {
      const due = started + (sent / options.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
  };
  const push = async (entry: PutRecordsRequestEntry, users: number) => {
    const size = (entry.Data?.byteLength ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '');
    if (batch.length >= MAX_RECORDS || batchBytes + size > MAX_BYTES) await flush();
    batch.push(entry);
    batchBytes += size;
    batchUser += users;
    // With a rate, send small batches often rather than 500 at once.
    if (options.rate && batchUser >= Math.max(1, Math.min(MAX_RECORDS, Math.ceil(options.rate / 10)))) await flush();
  };
  const pushAgg = async () => {
    if (pendingAgg.length === 0) return;
    const data = kplAggregate(pendingAgg.map((r) => ({ partitionKey: r.partitionKey, data: r.data })));
    await push({ PartitionKey: pendingAgg[0]!.partitionKey, Data: data }, pendingAgg.length);
    pendingAgg = [];
    pendingAggBytes = KPL_FRAME_BYTES;
  };

  for await (const r of records as AsyncIterable<ProducerRecord>) {
    const data = typeof r.data === 'string' ? encoder.encode(r.data) : r.data;
    const bytes = data.byteLength + Buffer.byteLength(r.partitionKey);
    if (bytes > MAX_RECORD_BYTES) {
      if (!options.onTooLarge) throw new SinkError('kinesis', `a record of ${bytes} bytes is over Kinesis's limit of ${MAX_RECORD_BYTES} bytes (data and partition key)`);
      options.onTooLarge(r, bytes);
      continue;
    }
    if (per > 1) {
      // An aggregate is one Kinesis record: it closes early rather than outgrow the limit
      // (the estimate is an upper bound of the KPL framing: magic, MD5, tags and lengths).
      const framed = bytes + KPL_RECORD_OVERHEAD;
      if (pendingAgg.length > 0 && pendingAggBytes + framed > MAX_RECORD_BYTES) await pushAgg();
      pendingAgg.push({ partitionKey: r.partitionKey, data });
      pendingAggBytes += framed;
      if (pendingAgg.length >= per) await pushAgg();
      continue;
    }
    await push({ PartitionKey: r.partitionKey, Data: data }, 1);
  }
  await pushAgg();
  await flush();
  return sent;
}

async function putWithRetry(kinesis: KinesisClient, streamName: string, entries: PutRecordsRequestEntry[], sleep: (ms: number) => Promise<void>): Promise<void> {
  let pending = entries;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const out = await withRetry(() => kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending })), { attempts: 8, sleep });
    if (!out.FailedRecordCount) return;
    if (attempt >= 20) throw new SinkError('kinesis', `${out.FailedRecordCount} records still failing after ${attempt} attempts`);
    pending = pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
    await sleep(Math.min(2_000, 50 * 2 ** attempt) * Math.random());
  }
}
