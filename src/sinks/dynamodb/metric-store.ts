/**
 * The DynamoDB metric store: counter items and per-shard sketch partials, each update
 * applied exactly once per shard through a high-water mark kept in the item itself
 * (DESIGN-NOTES "Recommended design for exactly-once effect", no transactions needed).
 *
 * Counter item (one group, one bucket, one minute): `ADD` the batch's cell deltas and the
 * version, `SET hw|<shard>` to the batch's last contributing position, on condition that
 * the mark is absent or below the batch's first contributing position. A replay fails the
 * condition; the store then reads the mark and applies only what lies after it (the caller's
 * `recompute`), conditioned on the mark it saw.
 *
 * Sketch partial (one group, one minute, ONE shard): read, merge, conditional put. Partials
 * of different shards are merged on read, so merges are exact and no shard waits on another.
 */
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SinkError } from '../../errors.ts';
import { mergeSketchBytes } from '../../sketch/index.ts';
import type { CounterItemDelta, SketchItemDelta } from '../../types.ts';
import { withRetry, type RetryOptions } from '../retry.ts';
import {
  DAY_MS,
  MAX_EXPRESSION_BYTES,
  MAX_ITEM_BYTES,
  counterKey,
  dayRanges,
  isConditionalCheckFailed,
  isSizeLimitError,
  itemSizeBytes,
  mapLimit,
  sketchKey,
  writeUnits,
  type WriteStats,
} from './support.ts';

export type { WriteStats } from './support.ts';

/** A counter delta as written: the absolute values of its cells afterwards and the item's version. */
export interface AppliedCounters {
  delta: CounterItemDelta;
  version: number;
  values: Map<string, number>;
}

/** A sketch delta as written: the shard's partial of each of its cells afterwards, and the version. */
export interface AppliedSketches {
  delta: SketchItemDelta;
  version: number;
  values: Map<string, Uint8Array>;
}

export interface MetricStoreOptions {
  /** days a minute item lives after its window starts (DynamoDB TTL); default 35 */
  ttlDays?: number;
  /** item updates in flight at once; default 16 */
  concurrency?: number;
  retry?: RetryOptions;
}

const SINK = 'dynamodb-metrics';
const CELL = 'c|';
const SKETCH_CELL = 's|';
const MARK = 'hw|';
/** Rounds of read-and-retry after lost races before giving up on an item (zombie writers). */
const MAX_ROUNDS = 25;

/**
 * Reads and writes the metrics table.
 *
 * @example
 * const store = new DynamoMetricStore(client, 'stream-metrics-metrics');
 * const { applied, failed } = await store.applyCounters('clickstream/shardId-000000000000', deltas, recompute);
 */
export class DynamoMetricStore {
  readonly stats: WriteStats = { requests: 0, wcu: 0, conditionalFailures: 0 };
  private readonly ttlDays: number;
  private readonly concurrency: number;
  private readonly retry: RetryOptions;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: MetricStoreOptions = {},
  ) {
    this.ttlDays = options.ttlDays ?? 35;
    this.concurrency = options.concurrency ?? 16;
    this.retry = options.retry ?? {};
  }

  /**
   * Applies one batch's counter deltas of one shard, each exactly once. Never throws for a
   * single item: an item that still fails after retries is returned in `failed` (its
   * `firstPos` is where the batch must be retried from).
   *
   * @example
   * const out = await store.applyCounters(shard, result.counters, (d, after) => recomputeCounter(records, source, d, after));
   */
  async applyCounters(
    shardId: string,
    deltas: CounterItemDelta[],
    recompute: (delta: CounterItemDelta, afterPosKey: string) => CounterItemDelta | null,
  ): Promise<{ applied: AppliedCounters[]; failed: { delta: CounterItemDelta; error: unknown }[] }> {
    const results = await mapLimit(deltas, this.concurrency, async (delta) => {
      try {
        return { ok: true as const, value: await this.applyCounter(shardId, delta, recompute) };
      } catch (error) {
        return { ok: false as const, error, delta };
      }
    });
    const applied: AppliedCounters[] = [];
    const failed: { delta: CounterItemDelta; error: unknown }[] = [];
    for (const r of results) {
      if (r.ok) applied.push(r.value);
      else failed.push({ delta: r.delta, error: r.error });
    }
    return { applied, failed };
  }

  /**
   * Applies one batch's sketch deltas of one shard to that shard's partials, each exactly once.
   *
   * @example
   * const out = await store.applySketches(shard, result.sketches, (d, after) => recomputeSketch(records, source, d, after));
   */
  async applySketches(
    shardId: string,
    deltas: SketchItemDelta[],
    recompute: (delta: SketchItemDelta, afterPosKey: string) => SketchItemDelta | null,
  ): Promise<{ applied: AppliedSketches[]; failed: { delta: SketchItemDelta; error: unknown }[] }> {
    const results = await mapLimit(deltas, this.concurrency, async (delta) => {
      try {
        return { ok: true as const, value: await this.applySketch(shardId, delta, recompute) };
      } catch (error) {
        return { ok: false as const, error, delta };
      }
    });
    const applied: AppliedSketches[] = [];
    const failed: { delta: SketchItemDelta; error: unknown }[] = [];
    for (const r of results) {
      if (r.ok) applied.push(r.value);
      else failed.push({ delta: r.delta, error: r.error });
    }
    return { applied, failed };
  }

  /**
   * Counter items of `group` with `fromMs <= windowStart < toMs`, in window order per day.
   *
   * @example
   * for await (const item of store.readCounters('page_views', from, to)) total += item.cells.get(cell) ?? 0;
   */
  async *readCounters(group: string, fromMs: number, toMs: number): AsyncIterable<{ windowStart: number; bucket: number; cells: Map<string, number> }> {
    for await (const item of this.query('C', group, fromMs, toMs)) {
      const windowStart = Number(item.ws?.N);
      if (!(windowStart >= fromMs && windowStart < toMs)) continue;
      const cells = new Map<string, number>();
      for (const [name, value] of Object.entries(item)) {
        if (name.startsWith(CELL) && value.N !== undefined) cells.set(name.slice(CELL.length), Number(value.N));
      }
      const sk = item.sk?.S ?? '';
      yield { windowStart, bucket: Number(sk.slice(sk.lastIndexOf('#') + 1)), cells };
    }
  }

  /**
   * Sketch partials of `group` with `fromMs <= windowStart < toMs`, one per window and shard:
   * merge the partials of a window's shards to get the window's sketch.
   *
   * @example
   * for await (const p of store.readSketches('unique_visitors', from, to)) acc = mergeSketchBytes('hll', acc, p.cells.get(cell)!);
   */
  async *readSketches(group: string, fromMs: number, toMs: number): AsyncIterable<{ windowStart: number; shardId: string; cells: Map<string, Uint8Array> }> {
    for await (const item of this.query('S', group, fromMs, toMs)) {
      const windowStart = Number(item.ws?.N);
      if (!(windowStart >= fromMs && windowStart < toMs)) continue;
      const cells = new Map<string, Uint8Array>();
      for (const [name, value] of Object.entries(item)) {
        if (name.startsWith(SKETCH_CELL) && value.B !== undefined) cells.set(name.slice(SKETCH_CELL.length), value.B);
      }
      // sk = `<YYYY-MM-DDTHH:MM>#<shardId>`: the minute is 16 characters.
      yield { windowStart, shardId: (item.sk?.S ?? '').slice(17), cells };
    }
  }

  private async *query(prefix: 'C' | 'S', group: string, fromMs: number, toMs: number): AsyncIterable<Record<string, AttributeValue>> {
    if (!(toMs > fromMs)) return;
    for (const range of dayRanges(prefix, group, fromMs, toMs)) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await withRetry(
          () =>
            this.client.send(
              new QueryCommand({
                TableName: this.tableName,
                KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
                ExpressionAttributeValues: { ':pk': { S: range.pk }, ':lo': { S: range.lower }, ':hi': { S: range.upper } },
                ExclusiveStartKey: start,
              }),
            ),
          this.retry,
        );
        // BETWEEN is inclusive: `hi` (a bare minute) sorts before that minute's items, so
        // nothing of the excluded minute can match it exactly.
        for (const item of out.Items ?? []) yield item;
        start = out.LastEvaluatedKey;
      } while (start);
    }
  }

  // ---- counters ----

  private async applyCounter(
    shardId: string,
    delta: CounterItemDelta,
    recompute: (delta: CounterItemDelta, afterPosKey: string) => CounterItemDelta | null,
  ): Promise<AppliedCounters> {
    const key = counterKey(delta.group, delta.windowStart, delta.bucket);
    const markName = MARK + shardId;
    let pending: CounterItemDelta = delta;
    // undefined: the first attempt (mark absent or below firstPos); a string: the mark seen.
    let seenMark: string | undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const input = this.counterUpdate(key, markName, delta, pending, seenMark);
      let item: Record<string, AttributeValue> | undefined;
      try {
        const out = await this.write(() => this.client.send(new UpdateItemCommand(input)), delta.firstPos, `${key.pk} ${key.sk}`);
        const attrs = out.Attributes ?? {};
        const values = new Map<string, number>();
        for (const cell of cellUnion(delta, pending)) values.set(cell, Number(attrs[CELL + cell]?.N ?? 0));
        return { delta, version: Number(attrs.ver?.N ?? 0), values };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        // DynamoDB returns the item that failed the condition (ALL_OLD below), which spares
        // a read; dynalite does not, so read it then.
        item = (err as { Item?: Record<string, AttributeValue> }).Item;
      }
      // A replay (or a zombie invocation of the same shard won a race): find out how far
      // this shard's contributions already reached this item.
      item ??= await this.readItem(key, true);
      // AWS bills a failed condition by the size of the item (write() counted one unit).
      if (item) this.stats.wcu += writeUnits(itemSizeBytes(item)) - 1;
      const mark = item?.[markName]?.S;
      const current = () => {
        const values = new Map<string, number>();
        for (const cell of delta.cells.keys()) values.set(cell, Number(item?.[CELL + cell]?.N ?? 0));
        return { delta, version: Number(item?.ver?.N ?? 0), values };
      };
      if (mark === undefined) {
        // The mark vanished (item expired and deleted): start over as a first write.
        pending = delta;
        seenMark = undefined;
        continue;
      }
      if (mark >= delta.lastPos) return current();
      if (mark < delta.firstPos) {
        pending = delta;
      } else {
        const rest = recompute(delta, mark);
        if (rest === null || rest.cells.size === 0) return current();
        pending = rest;
      }
      seenMark = mark;
    }
    throw new SinkError(SINK, `item ${key.pk} ${key.sk}: lost ${MAX_ROUNDS} races for the high-water mark of ${shardId}`, delta.firstPos);
  }

  private counterUpdate(
    key: { pk: string; sk: string },
    markName: string,
    original: CounterItemDelta,
    pending: CounterItemDelta,
    seenMark: string | undefined,
  ): UpdateItemCommandInput {
    const names: Record<string, string> = { '#hw': markName, '#ver': 'ver', '#ws': 'ws', '#ttl': 'ttl' };
    const values: Record<string, AttributeValue> = {
      ':one': { N: '1' },
      ':last': { S: pending.lastPos },
      ':ws': { N: String(original.windowStart) },
      ':ttl': { N: String(Math.floor(original.windowStart / 1000) + this.ttlDays * (DAY_MS / 1000)) },
    };
    const adds: string[] = [];
    let i = 0;
    let addedBytes = 0;
    // Cells of the original delta that the recomputed rest no longer touches are added with
    // 0, so that UPDATED_NEW returns all of them at this very version (the Redshift mirror
    // needs values and version from one snapshot).
    for (const cell of cellUnion(original, pending)) {
      const v = pending.cells.get(cell) ?? 0;
      if (!Number.isFinite(v)) throw new SinkError(SINK, `item ${key.pk} ${key.sk}: cell ${cell} has a non-finite delta ${v}`, original.firstPos);
      const id = (i++).toString(36);
      names[`#n${id}`] = CELL + cell;
      values[`:v${id}`] = { N: String(v) };
      adds.push(`#n${id} :v${id}`);
      addedBytes += Buffer.byteLength(CELL + cell) + 22;
    }
    adds.push('#ver :one');
    let condition: string;
    if (seenMark === undefined) {
      condition = 'attribute_not_exists(#hw) OR #hw < :first';
      values[':first'] = { S: pending.firstPos };
    } else {
      condition = '#hw = :seen';
      values[':seen'] = { S: seenMark };
    }
    const update = `ADD ${adds.join(', ')} SET #hw = :last, #ws = :ws, #ttl = :ttl`;
    const updateBytes = Buffer.byteLength(update);
    if (updateBytes > MAX_EXPRESSION_BYTES) {
      throw new SinkError(
        SINK,
        `item ${key.pk} ${key.sk}: the update of ${pending.cells.size} cells needs a ${updateBytes}-byte expression, over DynamoDB's 4 KB limit; the batch will be bisected (fewer records, fewer cells per item)`,
        original.firstPos,
      );
    }
    if (addedBytes > MAX_ITEM_BYTES) {
      throw new SinkError(
        SINK,
        `item ${key.pk} ${key.sk}: ${pending.cells.size} cells need about ${addedBytes} bytes, over DynamoDB's 400 KB item limit; the batch will be bisected`,
        original.firstPos,
      );
    }
    return {
      TableName: this.tableName,
      Key: { pk: { S: key.pk }, sk: { S: key.sk } },
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'UPDATED_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ReturnConsumedCapacity: 'TOTAL',
    };
  }

  // ---- sketches ----

  private async applySketch(
    shardId: string,
    delta: SketchItemDelta,
    recompute: (delta: SketchItemDelta, afterPosKey: string) => SketchItemDelta | null,
  ): Promise<AppliedSketches> {
    const key = sketchKey(delta.group, delta.windowStart, shardId);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.readItem(key, true);
      const mark = item?.hw?.S;
      const version = Number(item?.ver?.N ?? 0);
      let pending: SketchItemDelta | null = delta;
      if (mark !== undefined && mark >= delta.firstPos) {
        pending = mark >= delta.lastPos ? null : recompute(delta, mark);
      }
      if (pending === null || pending.cells.size === 0) {
        const values = new Map<string, Uint8Array>();
        for (const cell of delta.cells.keys()) {
          const b = item?.[SKETCH_CELL + cell]?.B;
          if (b) values.set(cell, b);
        }
        return { delta, version, values };
      }
      const next: Record<string, AttributeValue> = {
        ...item,
        pk: { S: key.pk },
        sk: { S: key.sk },
        ws: { N: String(delta.windowStart) },
        hw: { S: pending.lastPos },
        ver: { N: String(version + 1) },
        ttl: { N: String(Math.floor(delta.windowStart / 1000) + this.ttlDays * (DAY_MS / 1000)) },
      };
      for (const [cell, { kind, bytes }] of pending.cells) {
        next[SKETCH_CELL + cell] = { B: mergeSketchBytes(kind, item?.[SKETCH_CELL + cell]?.B, bytes) };
      }
      const size = itemSizeBytes(next);
      if (size > MAX_ITEM_BYTES) {
        throw new SinkError(SINK, `item ${key.pk} ${key.sk}: the merged sketch partial would be ${size} bytes, over DynamoDB's 400 KB item limit; the batch will be bisected`, delta.firstPos);
      }
      const input =
        item === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: '#hw = :old', ExpressionAttributeNames: { '#hw': 'hw' }, ExpressionAttributeValues: { ':old': item.hw ?? { S: '' } } };
      if (item !== undefined && item.hw === undefined) {
        // An item without a mark is not ours to overwrite blindly; condition on its version instead.
        Object.assign(input, { ConditionExpression: '#ver = :oldVer', ExpressionAttributeNames: { '#ver': 'ver' }, ExpressionAttributeValues: { ':oldVer': { N: String(version) } } });
      }
      try {
        await this.write(
          () => this.client.send(new PutItemCommand({ TableName: this.tableName, Item: next, ReturnConsumedCapacity: 'TOTAL', ...input })),
          delta.firstPos,
          `${key.pk} ${key.sk}`,
          // A failed condition on a put is billed by the size of the item that stays.
          item ? itemSizeBytes(item) : 0,
        );
      } catch (err) {
        if (isConditionalCheckFailed(err)) continue; // a zombie invocation of this shard wrote meanwhile
        throw err;
      }
      const values = new Map<string, Uint8Array>();
      for (const cell of delta.cells.keys()) {
        const b = next[SKETCH_CELL + cell]?.B;
        if (b) values.set(cell, b);
      }
      return { delta, version: version + 1, values };
    }
    throw new SinkError(SINK, `item ${key.pk} ${key.sk}: lost ${MAX_ROUNDS} races writing the sketch partial of ${shardId}`, delta.firstPos);
  }

  // ---- plumbing ----

  private async readItem(key: { pk: string; sk: string }, consistent: boolean): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const out = await withRetry(
        () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } }, ConsistentRead: consistent })),
        this.retry,
      );
      return out.Item;
    } catch (err) {
      throw new SinkError(SINK, `reading ${key.pk} ${key.sk} failed: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  /**
   * Sends one write with retries and counts what DynamoDB billed. A failed condition is
   * rethrown as is (the caller's business); other failures become a `SinkError`.
   */
  private async write<T extends { ConsumedCapacity?: { CapacityUnits?: number } }>(
    send: () => Promise<T>,
    firstPos: string,
    what: string,
    failedConditionBytes = 0,
  ): Promise<T> {
    try {
      const out = await withRetry(send, this.retry);
      this.stats.requests++;
      this.stats.wcu += out.ConsumedCapacity?.CapacityUnits ?? 1;
      return out;
    } catch (err) {
      if (isConditionalCheckFailed(err)) {
        this.stats.requests++;
        this.stats.conditionalFailures++;
        this.stats.wcu += writeUnits(failedConditionBytes);
        throw err;
      }
      if (isSizeLimitError(err)) {
        throw new SinkError(SINK, `item ${what}: DynamoDB refused the write as too large (${(err as Error).message}); the batch will be bisected`, firstPos, { cause: err });
      }
      throw new SinkError(SINK, `item ${what}: write failed after retries: ${(err as Error).message}`, firstPos, { cause: err });
    }
  }
}

function cellUnion(a: CounterItemDelta, b: CounterItemDelta): string[] {
  const out = [...a.cells.keys()];
  for (const c of b.cells.keys()) if (!a.cells.has(c)) out.push(c);
  return out;
}
