/**
 * The bad-records sink on DynamoDB (SPEC §2 "rejected"): every rejected record with its
 * reason, its raw data and its stream position, kept for the retention period so it can be
 * inspected and replayed. Keyed by position, so writing a batch twice changes nothing.
 *
 * Items: `pk = "<streamName>#<shardId>"`, `sk = posKey`. A raw record whose base64 does not
 * fit one item (Kinesis allows 1 MiB of data, DynamoDB 400 KB per item) continues in extra
 * items `sk = "<posKey>#<n>"` (n = 1, 2, …) that `list` reassembles.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { SinkError } from '../../errors.ts';
import type { BatchSource, ClassifiedRecord, StreamKind } from '../../types.ts';
import { withRetry, type RetryOptions } from '../retry.ts';
import { isConditionalCheckFailed, mapLimit, type WriteStats } from './support.ts';

const SINK = 'dynamodb-bad-records';
/** base64 characters of raw data per item: leaves room for the other attributes under 400 KB */
const RAW_CHUNK = 380_000;
/** `detail` is a human-readable message; cap it so it cannot crowd out the raw data */
const MAX_DETAIL = 2_000;
/** BatchWriteItem takes at most 25 requests */
const BATCH = 25;

/** One rejected record as stored. */
export interface BadRecord {
  pk: string;
  sk: string;
  stream: StreamKind;
  streamName: string;
  shardId: string;
  sequenceNumber: string;
  subSequence: number;
  arrivalMs: number;
  reason: string;
  detail: string;
  /** base64 of the user record's data, as received */
  rawBase64: string;
  replayedAt?: number;
  /** replays that left the record rejected (its next replay is a new generation) */
  replays?: number;
}

export interface BadRecordStoreOptions {
  /** days a bad record is kept after its arrival (DynamoDB TTL); default 14 */
  retentionDays?: number;
  retry?: RetryOptions;
}

export interface ListOptions {
  /** physical stream name */
  streamName?: string;
  reason?: string;
  /** stop after this many records */
  limit?: number;
  /** include records already marked replayed (default false) */
  includeReplayed?: boolean;
}

/**
 * Writes, lists and marks bad records.
 *
 * @example
 * const store = new DynamoBadRecordStore(client, 'stream-metrics-bad-records');
 * await store.put(source, result.rejected);
 * for await (const bad of store.list({ reason: 'invalid_json' })) console.log(bad.sk, bad.detail);
 */
export class DynamoBadRecordStore {
  readonly stats: WriteStats = { requests: 0, wcu: 0, conditionalFailures: 0 };
  private readonly retentionDays: number;
  private readonly retry: RetryOptions;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: BadRecordStoreOptions = {},
  ) {
    this.retentionDays = options.retentionDays ?? 14;
    this.retry = options.retry ?? {};
  }

  /**
   * Stores `records` (the rejected ones of a batch) under their positions. Idempotent:
   * writing the same records again leaves one item per position. BatchWriteItem, 25 items
   * at a time; unprocessed items are retried with back-off, then `SinkError`.
   *
   * Positions already stored are skipped (one consistent BatchGetItem per 100 records
   * first): BatchWriteItem has no conditions, and rewriting an item would wipe what a
   * `bad-records replay` recorded on it (`replayedAt`, `replays`, a new reason) when Lambda
   * retries the original batch later. Only this shard's batch, one at a time, creates its
   * positions, so nothing can appear between the read and the write.
   *
   * @example
   * await store.put({ stream: 'clickstream', streamName: 'clickstream', shardId }, rejected);
   */
  async put(source: BatchSource, records: ClassifiedRecord[]): Promise<void> {
    const pk = `${source.streamName}#${source.shardId}`;
    const stored = await this.existing(pk, records.map((r) => r.posKey), records[0]?.posKey);
    const items = new Map<string, Record<string, AttributeValue>>();
    for (const r of records) {
      if (stored.has(r.posKey)) continue;
      const ttl = { N: String(Math.floor(r.arrivalMs / 1000) + this.retentionDays * 86_400) };
      const raw = r.rawBase64 ?? '';
      const parts = Math.max(1, Math.ceil(raw.length / RAW_CHUNK));
      const main: Record<string, AttributeValue> = {
        pk: { S: pk },
        sk: { S: r.posKey },
        stream: { S: source.stream },
        streamName: { S: source.streamName },
        shardId: { S: source.shardId },
        seq: { S: r.position.sequenceNumber },
        sub: { N: String(r.position.subSequence) },
        arrivalMs: { N: String(r.arrivalMs) },
        reason: { S: r.reason ?? 'unknown' },
        detail: { S: (r.detail ?? '').slice(0, MAX_DETAIL) },
        raw: { S: raw.slice(0, RAW_CHUNK) },
        ttl,
      };
      if (parts > 1) main.parts = { N: String(parts) };
      // Continuation items first, the main item last: a stored main item (which `put`
      // skips on a retry) then always has all its parts.
      for (let p = 1; p < parts; p++) {
        const sk = `${r.posKey}#${p}`;
        items.set(sk, { pk: { S: pk }, sk: { S: sk }, part: { N: String(p) }, raw: { S: raw.slice(p * RAW_CHUNK, (p + 1) * RAW_CHUNK) }, ttl });
      }
      items.set(r.posKey, main);
    }
    const all = [...items.values()];
    for (let i = 0; i < all.length; i += BATCH) {
      await this.batchWrite(all.slice(i, i + BATCH).map((Item) => ({ PutRequest: { Item } })), records[0]?.posKey);
    }
  }

  /**
   * Bad records in table order (not sorted), filtered; continuation items are reassembled.
   *
   * @example
   * for await (const bad of store.list({ streamName: 'clickstream', limit: 10 })) …
   */
  async *list(options: ListOptions = {}): AsyncIterable<BadRecord> {
    const filters = ['attribute_exists(#reason)'];
    const names: Record<string, string> = { '#reason': 'reason' };
    const values: Record<string, AttributeValue> = {};
    if (options.streamName !== undefined) {
      filters.push('#sn = :sn');
      names['#sn'] = 'streamName';
      values[':sn'] = { S: options.streamName };
    }
    if (options.reason !== undefined) {
      filters.push('#reason = :reason');
      values[':reason'] = { S: options.reason };
    }
    if (!options.includeReplayed) {
      filters.push('attribute_not_exists(#rp)');
      names['#rp'] = 'replayedAt';
    }
    const limit = options.limit ?? Infinity;
    if (limit <= 0) return;
    let yielded = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await withRetry(
        () =>
          this.client.send(
            new ScanCommand({
              TableName: this.tableName,
              FilterExpression: filters.join(' AND '),
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: Object.keys(values).length > 0 ? values : undefined,
              ExclusiveStartKey: start,
            }),
          ),
        this.retry,
      );
      for (const item of out.Items ?? []) {
        yield await this.toBadRecord(item);
        if (++yielded >= limit) return;
      }
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /**
   * Marks records as replayed at `at` (epoch ms), so `list` skips them by default. Keys that
   * no longer exist (expired) are ignored.
   *
   * @example
   * await store.markReplayed([{ pk: bad.pk, sk: bad.sk }], Date.now());
   */
  async markReplayed(keys: { pk: string; sk: string }[], at: number): Promise<void> {
    await mapLimit(keys, 16, async (k) => {
      try {
        const out = await withRetry(
          () =>
            this.client.send(
              new UpdateItemCommand({
                TableName: this.tableName,
                Key: { pk: { S: k.pk }, sk: { S: k.sk } },
                UpdateExpression: 'SET #rp = :at',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeNames: { '#rp': 'replayedAt' },
                ExpressionAttributeValues: { ':at': { N: String(at) } },
                ReturnConsumedCapacity: 'TOTAL',
              }),
            ),
          this.retry,
        );
        this.stats.requests++;
        this.stats.wcu += out.ConsumedCapacity?.CapacityUnits ?? 1;
      } catch (err) {
        if (isConditionalCheckFailed(err)) {
          this.stats.requests++;
          this.stats.conditionalFailures++;
          this.stats.wcu += 1;
          return;
        }
        throw new SinkError(SINK, `marking ${k.pk} ${k.sk} replayed failed: ${(err as Error).message}`, undefined, { cause: err });
      }
    });
  }

  private async toBadRecord(item: Record<string, AttributeValue>): Promise<BadRecord> {
    const pk = item.pk?.S ?? '';
    const sk = item.sk?.S ?? '';
    let raw = item.raw?.S ?? '';
    const parts = Number(item.parts?.N ?? 1);
    if (parts > 1) raw += await this.readContinuation(pk, sk, parts);
    const bad: BadRecord = {
      pk,
      sk,
      stream: (item.stream?.S ?? 'clickstream') as StreamKind,
      streamName: item.streamName?.S ?? '',
      shardId: item.shardId?.S ?? '',
      sequenceNumber: item.seq?.S ?? '',
      subSequence: Number(item.sub?.N ?? 0),
      arrivalMs: Number(item.arrivalMs?.N ?? 0),
      reason: item.reason?.S ?? '',
      detail: item.detail?.S ?? '',
      rawBase64: raw,
    };
    if (item.replayedAt?.N !== undefined) bad.replayedAt = Number(item.replayedAt.N);
    if (item.replays?.N !== undefined) bad.replays = Number(item.replays.N);
    return bad;
  }

  private async readContinuation(pk: string, sk: string, parts: number): Promise<string> {
    const chunks: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await withRetry(
        () =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
              ExpressionAttributeValues: { ':pk': { S: pk }, ':prefix': { S: `${sk}#` } },
              ConsistentRead: true,
              ExclusiveStartKey: start,
            }),
          ),
        this.retry,
      );
      for (const it of out.Items ?? []) chunks[Number(it.part?.N)] = it.raw?.S ?? '';
      start = out.LastEvaluatedKey;
    } while (start);
    let raw = '';
    for (let p = 1; p < parts; p++) {
      if (chunks[p] === undefined) throw new SinkError(SINK, `bad record ${pk} ${sk}: part ${p} of ${parts} of its raw data is missing`);
      raw += chunks[p];
    }
    return raw;
  }

  /** The positions among `posKeys` that already have an item (consistent reads). */
  private async existing(pk: string, posKeys: string[], firstPosKey: string | undefined): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(posKeys)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, AttributeValue>[] = unique.slice(i, i + 100).map((sk) => ({ pk: { S: pk }, sk: { S: sk } }));
      for (let attempt = 1; keys.length > 0; attempt++) {
        let out;
        try {
          out = await withRetry(
            () => this.client.send(new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'sk' } } })),
            this.retry,
          );
        } catch (err) {
          throw new SinkError(SINK, `BatchGetItem failed after retries: ${(err as Error).message}`, firstPosKey, { cause: err });
        }
        for (const item of out.Responses?.[this.tableName] ?? []) if (item.sk?.S) found.add(item.sk.S);
        keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, AttributeValue>[];
        if (keys.length > 0 && attempt >= (this.retry.attempts ?? 8)) throw new SinkError(SINK, `${keys.length} bad-record keys still unprocessed after ${attempt} BatchGetItem calls`, firstPosKey);
      }
    }
    return found;
  }

  private async batchWrite(requests: WriteRequest[], firstPosKey: string | undefined): Promise<void> {
    let pending = requests;
    const attempts = this.retry.attempts ?? 8;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let out;
      try {
        out = await withRetry(
          () => this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending }, ReturnConsumedCapacity: 'TOTAL' })),
          this.retry,
        );
      } catch (err) {
        throw new SinkError(SINK, `BatchWriteItem failed after retries: ${(err as Error).message}`, firstPosKey, { cause: err });
      }
      const unprocessed = out.UnprocessedItems?.[this.tableName] ?? [];
      this.stats.requests += pending.length - unprocessed.length;
      for (const c of out.ConsumedCapacity ?? []) this.stats.wcu += c.CapacityUnits ?? 0;
      pending = unprocessed;
      if (pending.length === 0) return;
      if (attempt >= attempts) throw new SinkError(SINK, `${pending.length} bad records still unprocessed after ${attempts} BatchWriteItem calls`, firstPosKey);
      // Unprocessed items mean throttling: back off like withRetry does.
      const sleep = this.retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
      await sleep(Math.floor((this.retry.random ?? Math.random)() * Math.min(this.retry.capMs ?? 2_000, (this.retry.baseMs ?? 50) * 2 ** (attempt - 1))));
    }
  }
}
