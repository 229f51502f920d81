/**
 * Durable de-duplication in DynamoDB (SPEC §2 "duplicate", DESIGN-NOTES step 2): one
 * conditional put per counted candidate, remembering the position that first counted each
 * key and its arrival time.
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decideClaim } from '../../dedupe/memory-dedupe-store.ts';
import { SinkError } from '../../errors.ts';
import type { DedupeClaim, DedupeStore } from '../../types.ts';
import { withRetry, type RetryOptions } from '../retry.ts';
import { isConditionalCheckFailed, mapLimit, type WriteStats } from './support.ts';

const SINK = 'dynamodb-dedupe';
const DAY_MS = 86_400_000;

export interface DedupeStoreOptions {
  /** puts in flight at once; default 16 */
  concurrency?: number;
  retry?: RetryOptions;
  /**
   * How long past the horizon DynamoDB keeps an entry (TTL). TTL deletes by the wall clock,
   * decisions go by arrival times: the slack covers consumers that lag behind the stream
   * (up to its retention). Default 7 days.
   */
  ttlSlackMs?: number;
}

/**
 * A `DedupeStore` on a DynamoDB table keyed by `pk = "<stream>#<key>"`.
 *
 * A put succeeds when the key is absent, when it was claimed by this very position (a
 * replay of itself), or when the remembered copy arrived more than the horizon before this
 * one (expired). A failed condition means a copy is remembered; the store then looks at it
 * (DynamoDB returns it with the failure; dynalite needs a consistent read) to tell a real duplicate from a copy that arrived more than a horizon later than this claim
 * (possible across shards, or when a replay comes after the expiry): the claim came first,
 * so it counts — decided by arrival times only, so replays decide alike.
 *
 * @example
 * const store = new DynamoDedupeStore(client, 'stream-metrics-dedupe', { clickstream: 3_600_000, transactions: 86_400_000 });
 * const verdicts = await store.claim(claims); // ['new', 'duplicate', …]
 */
export class DynamoDedupeStore implements DedupeStore {
  readonly stats: WriteStats = { requests: 0, wcu: 0, conditionalFailures: 0 };
  private readonly concurrency: number;
  private readonly retry: RetryOptions;
  private readonly ttlSlackMs: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly horizons: { clickstream: number; transactions: number },
    options: DedupeStoreOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
    this.retry = options.retry ?? {};
    this.ttlSlackMs = options.ttlSlackMs ?? 7 * DAY_MS;
  }

  /**
   * Claims each key for its position; one verdict per claim, in order. Throws `SinkError`
   * when DynamoDB keeps failing (the batch then fails and is retried: claims already made
   * are replays of themselves next time).
   *
   * @example
   * await store.claim([{ stream: 'transactions', key: 't1|purchase|completed', posKey, arrivalMs }]);
   */
  async claim(claims: readonly DedupeClaim[]): Promise<('new' | 'duplicate')[]> {
    return mapLimit(claims, this.concurrency, (c) => this.claimOne(c));
  }

  private async claimOne(c: DedupeClaim): Promise<'new' | 'duplicate'> {
    const horizon = this.horizons[c.stream];
    const pk = `${c.stream}#${c.key}`;
    const item: Record<string, AttributeValue> = {
      pk: { S: pk },
      pos: { S: c.posKey },
      arr: { N: String(c.arrivalMs) },
      ttl: { N: String(Math.ceil((c.arrivalMs + horizon + this.ttlSlackMs) / 1000)) },
    };
    let old: Record<string, AttributeValue> | undefined;
    try {
      const out = await withRetry(
        () =>
          this.client.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: item,
              ConditionExpression: 'attribute_not_exists(pk) OR pos = :pos OR arr < :cutoff',
              ExpressionAttributeValues: { ':pos': { S: c.posKey }, ':cutoff': { N: String(c.arrivalMs - horizon) } },
              // The remembered copy comes back with the failure on DynamoDB (not on dynalite).
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        this.retry,
      );
      this.stats.requests++;
      this.stats.wcu += out.ConsumedCapacity?.CapacityUnits ?? 1;
      return 'new';
    } catch (err) {
      if (!isConditionalCheckFailed(err)) {
        throw new SinkError(SINK, `claim of ${pk} failed after retries: ${(err as Error).message}`, c.posKey, { cause: err });
      }
      // AWS bills a failed condition (one unit for these small items); dynalite does not report it.
      this.stats.requests++;
      this.stats.conditionalFailures++;
      this.stats.wcu += 1;
      old = (err as { Item?: Record<string, AttributeValue> }).Item;
    }
    const seen = old ? { pos: old.pos?.S ?? '', arr: Number(old.arr?.N) } : await this.read(pk, c.posKey);
    // Absent now: deleted by TTL between the put and the read; the remembered copy was
    // long expired, so the claim is new (the next replay's put will remember it).
    if (seen === undefined) return this.claimOne(c);
    return decideClaim(seen, c, horizon).verdict;
  }

  private async read(pk: string, posKey: string): Promise<{ pos: string; arr: number } | undefined> {
    try {
      const out = await withRetry(
        () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk } }, ConsistentRead: true })),
        this.retry,
      );
      if (!out.Item) return undefined;
      return { pos: out.Item.pos?.S ?? '', arr: Number(out.Item.arr?.N) };
    } catch (err) {
      throw new SinkError(SINK, `reading ${pk} failed after retries: ${(err as Error).message}`, posKey, { cause: err });
    }
  }
}
