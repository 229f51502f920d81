/**
 * Emit: a processed batch → the sinks, and the `batchItemFailures` that make Lambda (or the
 * local poller) retry exactly what is not durable yet.
 *
 * Three independent branches run at once, because each sink is idempotent on its own and
 * the batch commits only after all three settled: the bad records (kept before the batch
 * commits); the metric store (counters and sketches at once, idempotent per item through
 * high-water marks) followed by the Redshift mirror, which needs the values the store
 * returns (absolute values with versions: a replay changes nothing); and the cleaned events
 * (at least once, keyed by event id). Running them one after another cost the sum of their
 * round trips on every batch (docs/e2e-performance.md). When a sink gives up, the batch
 * fails from the lowest position whose effect is not durable; everything before it is safe
 * to skip. A crash injected between steps (`--chaos`) fails the batch once every branch has
 * settled, like a crash after some of the writes landed.
 */
import { decodeCell, findMetric } from '../metrics/catalog.ts';
import type { BatchResult, BatchSource, ClassifiedRecord, CounterItemDelta, CounterRow, SketchItemDelta, SketchKind, SketchRow, StreamKind } from '../types.ts';

export interface MetricSink {
  applyCounters(
    writerId: string,
    deltas: CounterItemDelta[],
    recompute: (delta: CounterItemDelta, afterPosKey: string) => CounterItemDelta | null,
  ): Promise<{ applied: { delta: CounterItemDelta; version: number; values: Map<string, number> }[]; failed: { delta: CounterItemDelta; error: unknown }[] }>;
  applySketches(
    writerId: string,
    deltas: SketchItemDelta[],
    recompute: (delta: SketchItemDelta, afterPosKey: string) => SketchItemDelta | null,
  ): Promise<{ applied: { delta: SketchItemDelta; version: number; values: Map<string, Uint8Array> }[]; failed: { delta: SketchItemDelta; error: unknown }[] }>;
}

export interface Sinks {
  badRecords: { put(source: BatchSource, records: ClassifiedRecord[]): Promise<void> } | null;
  metrics: MetricSink;
  mirror: { load(counters: CounterRow[], sketches: SketchRow[]): Promise<void> } | null;
  events: { send(stream: StreamKind, rows: Record<string, unknown>[]): Promise<void> } | null;
  toEventRow: (record: ClassifiedRecord, source: BatchSource) => Record<string, unknown>;
}

/** Fault injection between steps (`--chaos`): throwing here is a crash mid-batch. */
export interface EmitHooks {
  between?(step: 'bad-records' | 'counters' | 'sketches' | 'mirror' | 'events'): void | Promise<void>;
}

export interface EmitOutcome {
  /** lowest position (posKey) whose effect is not durable, or null when all is */
  failedFrom: string | null;
  errors: unknown[];
  /** what reached the Redshift mirror, for stats */
  mirrored: { counters: number; sketches: number };
}

/**
 * Writes one processed batch to the sinks.
 *
 * @example
 * const out = await emit(result, sinks, (d, after) => recomputeCounter(result.records, result.source, d, after), …);
 * if (out.failedFrom) return { batchItemFailures: [{ itemIdentifier: sequenceOf(out.failedFrom) }] };
 */
export async function emit(
  result: BatchResult,
  sinks: Sinks,
  recompute: {
    counter: (delta: CounterItemDelta, afterPosKey: string) => CounterItemDelta | null;
    sketch: (delta: SketchItemDelta, afterPosKey: string) => SketchItemDelta | null;
  },
  hooks: EmitHooks = {},
): Promise<EmitOutcome> {
  const { source } = result;
  // Shard ids repeat across streams (`shardId-000000000000`): the writer of an item is the
  // pair, or two streams' marks would collide in the shared data-quality items.
  const writerId = `${source.streamName}/${source.shardId}`;
  const errors: unknown[] = [];
  const firstPos = result.records[0]?.posKey ?? null;
  let failedFrom: string | null = null;
  const failAt = (pos: string | null | undefined, err: unknown) => {
    errors.push(err);
    if (pos && (failedFrom === null || pos < failedFrom)) failedFrom = pos;
  };
  const mirrored = { counters: 0, sketches: 0 };

  const badRecords = async (): Promise<void> => {
    if (sinks.badRecords && result.rejected.length > 0) {
      try {
        await sinks.badRecords.put(source, result.rejected);
      } catch (err) {
        failAt(result.rejected[0]!.posKey, err);
      }
    }
    await hooks.between?.('bad-records');
  };

  const metrics = async (): Promise<void> => {
    // Both settle before a crash between them propagates: nothing is left in flight.
    const [counterOutcome, sketchOutcome] = await Promise.allSettled([
      sinks.metrics.applyCounters(writerId, result.counters, recompute.counter).then(async (out) => {
        for (const f of out.failed) failAt(f.delta.firstPos, f.error);
        await hooks.between?.('counters');
        return out;
      }),
      sinks.metrics.applySketches(writerId, result.sketches, recompute.sketch).then(async (out) => {
        for (const f of out.failed) failAt(f.delta.firstPos, f.error);
        await hooks.between?.('sketches');
        return out;
      }),
    ]);
    if (counterOutcome.status === 'rejected') throw counterOutcome.reason;
    if (sketchOutcome.status === 'rejected') throw sketchOutcome.reason;
    const counters = counterOutcome.value;
    const sketches = sketchOutcome.value;
    if (sinks.mirror) {
      const { counterRows, sketchRows } = mirrorRows(counters.applied, sketches.applied, writerId);
      if (counterRows.length + sketchRows.length > 0) {
        try {
          await sinks.mirror.load(counterRows, sketchRows);
          mirrored.counters = counterRows.length;
          mirrored.sketches = sketchRows.length;
        } catch (err) {
          // The mirror holds absolute values of the items this batch touched: retrying the
          // whole batch re-derives them (the store's replay path returns current values).
          failAt(firstPos, err);
        }
      }
    }
    await hooks.between?.('mirror');
  };

  const events = async (): Promise<void> => {
    if (sinks.events) {
      const counted = result.records.filter((r) => r.outcome === 'counted');
      if (counted.length > 0) {
        try {
          await sinks.events.send(source.stream, counted.map((r) => sinks.toEventRow(r, source)));
        } catch (err) {
          failAt(counted[0]!.posKey, err);
        }
      }
    }
    await hooks.between?.('events');
  };

  const settled = await Promise.allSettled([badRecords(), metrics(), events()]);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return { failedFrom, errors, mirrored };
}

/** The rows of the Redshift mirror: the absolute values the metric store returned, with their versions. */
function mirrorRows(
  counters: Awaited<ReturnType<MetricSink['applyCounters']>>['applied'],
  sketches: Awaited<ReturnType<MetricSink['applySketches']>>['applied'],
  writerId: string,
): { counterRows: CounterRow[]; sketchRows: SketchRow[] } {
  const counterRows: CounterRow[] = [];
  for (const a of counters) {
    for (const [cell, value] of a.values) {
      const { metric, dims } = decodeCell(cell);
      counterRows.push({ metric, dims, windowStart: a.delta.windowStart, value, version: a.version });
    }
  }
  const sketchRows: SketchRow[] = [];
  for (const a of sketches) {
    for (const [cell, bytes] of a.values) {
      const { metric, dims } = decodeCell(cell);
      const kind = (findMetric(metric)?.kind ?? 'hll') as SketchKind;
      sketchRows.push({ metric, dims, windowStart: a.delta.windowStart, shardId: writerId, kind, sketch: Buffer.from(bytes).toString('base64'), version: a.version });
    }
  }
  return { counterRows, sketchRows };
}
