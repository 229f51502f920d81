/**
 * Durable de-duplication in DynamoDB (SPEC §2 "duplicate", DESIGN-NOTES step 2): a
 * conditional put per counted candidate, remembering the position that first counted each
 * key and its arrival time — one `PutItem` each (`single`, the cheapest on AWS) or up to
 * 100 per `TransactWriteItems` (`transact`: 2 write units per item on AWS, but ~50× fewer
 * requests, which is what the CPU-bound local stack needs).
 */
import { GetItemCommand, PutItemCommand, TransactWriteItemsCommand, type AttributeValue, type CancellationReason, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { claimPosition, decideClaim } from '../../dedupe/memory-dedupe-store.ts';
import { SinkError } from '../../errors.ts';
import type { DedupeClaim, DedupeStore } from '../../types.ts';
import { withRetry, type RetryOptions } from '../retry.ts';
import { isConditionalCheckFailed, mapLimit, type WriteStats } from './support.ts';

const SINK = 'dynamodb-dedupe';
const DAY_MS = 86_400_000;
/** DynamoDB's limit of actions per `TransactWriteItems`. */
const MAX_TRANSACT_ITEMS = 100;
/** Transactions cancelled by something other than our condition before the per-key path takes over. */
const MAX_TRANSACT_ROUNDS = 8;

/** How claims are written: one `PutItem` per key, or many per `TransactWriteItems`. */
export type DedupeWrites = 'single' | 'transact';

export interface DedupeStoreOptions {
  /** puts (or transactions) in flight at once; default 16 */
  concurrency?: number;
  /** default `single` */
  writes?: DedupeWrites;
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
 * replay of itself; `pos` = `<shardId>/<posKey>`, the shard because Kinesis makes a
 * sequence number unique within its shard only), or when the remembered copy arrived more than the horizon before this
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
  private readonly writes: DedupeWrites;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly horizons: { clickstream: number; transactions: number },
    options: DedupeStoreOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
    this.retry = options.retry ?? {};
    this.ttlSlackMs = options.ttlSlackMs ?? 7 * DAY_MS;
    this.writes = options.writes ?? 'single';
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
    const { chunks, repeats } = transactChunks(claims);
    // A repeated key is claimed after its first claim was decided, as the interface promises
    // (the pipeline never repeats one: in-batch copies are settled before the store).
    if (this.writes === 'single') return mapLimit(claims, repeats ? 1 : this.concurrency, (c) => this.claimOne(c));
    const verdicts = await mapLimit(chunks, repeats ? 1 : this.concurrency, (chunk) => this.claimChunk(chunk));
    return verdicts.flat();
  }

  /** The conditional put of one claim, as a `PutItem` or as one action of a transaction. */
  private put(c: DedupeClaim) {
    const horizon = this.horizons[c.stream];
    const item: Record<string, AttributeValue> = {
      pk: { S: pkOf(c) },
      pos: { S: claimPosition(c) },
      arr: { N: String(c.arrivalMs) },
      ttl: { N: String(Math.ceil((c.arrivalMs + horizon + this.ttlSlackMs) / 1000)) },
    };
    return {
      TableName: this.tableName,
      Item: item,
      // `:bare`: an item written before positions named their shard (sequence number alone).
      ConditionExpression: 'attribute_not_exists(pk) OR pos = :pos OR pos = :bare OR arr < :cutoff',
      ExpressionAttributeValues: { ':pos': { S: claimPosition(c) }, ':bare': { S: c.posKey }, ':cutoff': { N: String(c.arrivalMs - horizon) } },
      // The remembered copy comes back with the failure on DynamoDB (not on dynalite's PutItem).
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  /**
   * Claims up to 100 distinct keys in one transaction. All new (the usual case): one
   * request. A cancellation names, per key, whether its condition failed: those keys are
   * decided from the remembered copy that comes back with it, the others are sent again
   * in a new transaction (they were not written: a transaction is all or nothing).
   */
  private async claimChunk(chunk: readonly DedupeClaim[]): Promise<('new' | 'duplicate')[]> {
    const verdicts = new Array<'new' | 'duplicate'>(chunk.length);
    let pending = chunk.map((_, i) => i);
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_TRANSACT_ROUNDS) {
        // Conflicting transactions keep cancelling each other: the per-key path decides the rest.
        const rest = await mapLimit(pending, this.concurrency, (i) => this.claimOne(chunk[i]!));
        rest.forEach((v, j) => (verdicts[pending[j]!] = v));
        break;
      }
      let reasons: CancellationReason[] | undefined;
      try {
        await withRetry(
          () => this.client.send(new TransactWriteItemsCommand({ TransactItems: pending.map((i) => ({ Put: this.put(chunk[i]!) })) })),
          this.retry,
        );
        this.stats.requests++;
        // AWS bills two units per transactional write of an item under 1 KB, cancelled or
        // not (DynamoDB Local's ConsumedCapacity for transactions is not the bill).
        this.stats.wcu += 2 * pending.length;
        for (const i of pending) verdicts[i] = 'new';
        break;
      } catch (err) {
        if ((err as { name?: string }).name !== 'TransactionCanceledException') {
          throw new SinkError(SINK, `claim of ${pending.length} keys failed after retries: ${(err as Error).message}`, chunk[pending[0]!]!.posKey, { cause: err });
        }
        reasons = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
        this.stats.requests++;
        this.stats.wcu += 2 * pending.length;
      }
      const again: number[] = [];
      const decided: Promise<void>[] = [];
      pending.forEach((i, j) => {
        const reason = reasons?.[j];
        if (reason?.Code !== 'ConditionalCheckFailed') {
          again.push(i); // None (not written because of another key), a conflict or throttling
          return;
        }
        this.stats.conditionalFailures++;
        decided.push(this.decide(chunk[i]!, reason.Item).then((v) => void (verdicts[i] = v)));
      });
      await Promise.all(decided);
      if (again.length === pending.length) {
        // Nothing failed its condition, so something else cancelled it (conflict, throttling):
        // back off before the next round.
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 25 * 2 ** Math.min(round, 6))));
      }
      pending = again;
    }
    return verdicts;
  }

  /** The verdict for a claim whose condition failed, from the remembered copy (read when absent). */
  private async decide(c: DedupeClaim, old: Record<string, AttributeValue> | undefined): Promise<'new' | 'duplicate'> {
    const pk = pkOf(c);
    const seen = old ? { pos: old.pos?.S ?? '', arr: Number(old.arr?.N) } : await this.read(pk, c.posKey);
    // Absent now: deleted by TTL between the put and the read; the remembered copy was
    // long expired, so the claim is new (the next replay's put will remember it).
    if (seen === undefined) return this.claimOne(c);
    return decideClaim(seen, c, this.horizons[c.stream]).verdict;
  }

  private async claimOne(c: DedupeClaim): Promise<'new' | 'duplicate'> {
    const pk = pkOf(c);
    let old: Record<string, AttributeValue> | undefined;
    try {
      const out = await withRetry(() => this.client.send(new PutItemCommand({ ...this.put(c), ReturnConsumedCapacity: 'TOTAL' })), this.retry);
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
    return this.decide(c, old);
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

/** The table's key of a claim: streams keep their keys apart. */
function pkOf(c: DedupeClaim): string {
  return `${c.stream}#${c.key}`;
}

/**
 * Splits claims into transactions of at most 100 actions with distinct keys (a transaction
 * may not touch one item twice), keeping input order: a repeated key starts a new chunk
 * (`repeats`), and such chunks are then claimed one after another.
 */
function transactChunks(claims: readonly DedupeClaim[]): { chunks: DedupeClaim[][]; repeats: boolean } {
  const chunks: DedupeClaim[][] = [];
  let chunk: DedupeClaim[] = [];
  let keys = new Set<string>();
  let repeats = false;
  for (const c of claims) {
    const key = pkOf(c);
    if (keys.has(key)) repeats = true;
    if (chunk.length === MAX_TRANSACT_ITEMS || keys.has(key)) {
      chunks.push(chunk);
      chunk = [];
      keys = new Set();
    }
    chunk.push(c);
    keys.add(key);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return { chunks, repeats };
}
