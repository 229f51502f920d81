/**
 * An in-memory metric sink with DynamoDB's semantics as the real store uses them (one
 * atomic conditional update per item, per-writer high-water marks, per-writer sketch
 * partials), plus fault injection: a write that fails before it lands, and a write that
 * lands but whose answer is lost (the caller sees an error). Lets property tests drive
 * thousands of replays, bisections and crashes in milliseconds; the same scenarios run
 * against dynalite and DynamoDB Local in the sink tests.
 */
import { decodeCell } from '../../src/metrics/catalog.ts';
import type { MetricSink } from '../../src/pipeline/emit.ts';
import type { StoredCell } from '../../src/query/rollup.ts';
import { mergeSketchBytes } from '../../src/sketch/index.ts';
import type { CounterItemDelta, SketchItemDelta, SketchKind } from '../../src/types.ts';

export class SimulatedWriteError extends Error {
  constructor(readonly landed: boolean) {
    super(landed ? 'simulated: write landed, answer lost' : 'simulated: write failed');
    this.name = 'ServiceUnavailableException';
  }
}

interface CounterItem {
  cells: Map<string, number>;
  hw: Map<string, string>;
  ver: number;
}
interface SketchItem {
  cells: Map<string, { kind: SketchKind; bytes: Uint8Array }>;
  hw: string;
  ver: number;
}

export class MemoryMetricSink implements MetricSink {
  readonly counters = new Map<string, CounterItem>();
  readonly sketches = new Map<string, SketchItem & { windowStart: number }>();
  /** probability that a write fails (before or after landing) */
  constructor(
    private readonly faultRate = 0,
    private readonly random: () => number = Math.random,
  ) {}

  private fault(): void {
    if (this.faultRate > 0 && this.random() < this.faultRate) throw new SimulatedWriteError(false);
  }
  private lostAnswer(): void {
    if (this.faultRate > 0 && this.random() < this.faultRate / 2) throw new SimulatedWriteError(true);
  }

  async applyCounters(writer: string, deltas: CounterItemDelta[], recompute: (d: CounterItemDelta, after: string) => CounterItemDelta | null) {
    const applied: { delta: CounterItemDelta; version: number; values: Map<string, number> }[] = [];
    const failed: { delta: CounterItemDelta; error: unknown }[] = [];
    for (const delta of deltas) {
      try {
        this.fault();
        const key = `${delta.group}#${delta.bucket}#${delta.windowStart}`;
        const item = this.counters.get(key) ?? { cells: new Map(), hw: new Map(), ver: 0 };
        this.counters.set(key, item);
        const mark = item.hw.get(writer);
        let todo: CounterItemDelta | null = delta;
        if (mark !== undefined && mark >= delta.firstPos) todo = mark >= delta.lastPos ? null : recompute(delta, mark);
        if (todo) {
          for (const [c, n] of todo.cells) item.cells.set(c, (item.cells.get(c) ?? 0) + n);
          item.hw.set(writer, todo.lastPos);
          item.ver++;
        }
        this.lostAnswer();
        applied.push({ delta, version: item.ver, values: new Map([...delta.cells.keys()].map((c) => [c, item.cells.get(c) ?? 0])) });
      } catch (error) {
        failed.push({ delta, error });
      }
    }
    return { applied, failed };
  }

  async applySketches(writer: string, deltas: SketchItemDelta[], recompute: (d: SketchItemDelta, after: string) => SketchItemDelta | null) {
    const applied: { delta: SketchItemDelta; version: number; values: Map<string, Uint8Array> }[] = [];
    const failed: { delta: SketchItemDelta; error: unknown }[] = [];
    for (const delta of deltas) {
      try {
        this.fault();
        const key = `${delta.group}#${delta.windowStart}#${writer}`;
        const item = this.sketches.get(key) ?? { cells: new Map(), hw: '', ver: 0, windowStart: delta.windowStart };
        this.sketches.set(key, item);
        let todo: SketchItemDelta | null = delta;
        if (item.hw !== '' && item.hw >= delta.firstPos) todo = item.hw >= delta.lastPos ? null : recompute(delta, item.hw);
        if (todo) {
          for (const [c, s] of todo.cells) item.cells.set(c, { kind: s.kind, bytes: mergeSketchBytes(s.kind, item.cells.get(c)?.bytes, s.bytes) });
          item.hw = todo.lastPos;
          item.ver++;
        }
        this.lostAnswer();
        applied.push({ delta, version: item.ver, values: new Map([...delta.cells.keys()].map((c) => [c, item.cells.get(c)?.bytes ?? new Uint8Array()])) });
      } catch (error) {
        failed.push({ delta, error });
      }
    }
    return { applied, failed };
  }

  /** Every stored cell of a metric and dimension combination (sketch partials not merged). */
  cellsOf(metric: string, combo: readonly string[]): StoredCell[] {
    const out: StoredCell[] = [];
    const match = (names: string[]) => names.length === combo.length && names.every((n, i) => n === combo[i]);
    for (const [key, item] of this.counters) {
      const ws = Number(key.split('#')[2]);
      for (const [cell, value] of item.cells) {
        const c = decodeCell(cell);
        if (c.metric === metric && match(c.dimNames)) out.push({ windowStart: ws, dims: c.dims, value });
      }
    }
    for (const item of this.sketches.values()) {
      for (const [cell, s] of item.cells) {
        const c = decodeCell(cell);
        if (c.metric === metric && match(c.dimNames)) out.push({ windowStart: item.windowStart, dims: c.dims, sketch: s.bytes });
      }
    }
    return out;
  }
}
