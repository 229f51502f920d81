/**
 * What `npm run bench:e2e` reads back, through the query path of `stream-metrics query`
 * (`runQuery` over the DynamoDB metric store, with the real SDK client against dynalite):
 * the `records` data-quality count of a stream, and the marker pages of `page_views --by page`.
 */
import { loadConfig } from '../src/config.ts';
import { runQuery } from '../src/query/run-query.ts';
import { createQuerySource } from '../src/sinks/query-source.ts';
import type { Marker } from './e2e-load.ts';
import { MARKER_HOST } from './e2e-load.ts';

const MINUTE = 60_000;
type Source = ReturnType<typeof createQuerySource>;

/**
 * The query source the CLI would build from the stack's environment.
 *
 * @example
 * const source = querySource(stack.env);
 */
export function querySource(env: Record<string, string>): Source {
  return createQuerySource(loadConfig(env), 'dynamodb');
}

/**
 * Records of `stream` accounted for (every outcome) with arrival time in `[fromMs, now + 1 min)`:
 * `stream-metrics query records --by stream`.
 *
 * @example
 * const n = await recordsSeen(source, 'clickstream', startedAt - 60_000);
 */
export async function recordsSeen(source: Source, stream: string, fromMs: number): Promise<number> {
  const rows = await runQuery({ metric: 'records', by: ['stream'], fromMs, toMs: Date.now() + MINUTE }, source);
  return rows.filter((r) => r.dims.stream === stream).reduce((a, r) => a + (r.value as number), 0);
}

/**
 * Polls until `recordsSeen` reaches `target`; resolves with the `Date.now()` of the poll
 * that saw it (the end of that query: conservative).
 *
 * @example
 * const doneAt = await waitForRecords(source, 'clickstream', from, 30_000, { timeoutMs: 180_000 });
 */
export async function waitForRecords(source: Source, stream: string, fromMs: number, target: number, o: { timeoutMs: number; intervalMs?: number; onPoll?: (n: number) => void }): Promise<number> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const n = await recordsSeen(source, stream, fromMs);
    const at = Date.now();
    o.onPoll?.(n);
    if (n >= target) return at;
    if (at > deadline) throw new Error(`only ${n} of ${target} records of ${stream} accounted for after ${o.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100));
  }
}

/**
 * Watches marker pages until each is visible in `page_views --by page` (or `timeoutMs`
 * after the last marker was added), stamping `visibleAt` with the end of the query that
 * first showed it. Returns the query durations (the resolution of the measurement).
 *
 * @example
 * const w = watchMarkers(source);
 * w.add(markers);
 * const { pollMs } = await w.finish(10_000);
 */
export function watchMarkers(source: Source, o: { intervalMs?: number } = {}) {
  const pending = new Map<string, Marker>();
  const pollMs: number[] = [];
  let closing = false;
  let lastAdded = Date.now();
  let finishTimeout = Infinity;
  const loop = (async () => {
    while (!closing || (pending.size > 0 && Date.now() - lastAdded < finishTimeout)) {
      if (pending.size === 0) {
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      let oldest = Infinity;
      for (const m of pending.values()) oldest = Math.min(oldest, m.sentAt);
      const t0 = Date.now();
      const rows = await runQuery({ metric: 'page_views', by: ['page'], fromMs: Math.floor(oldest / MINUTE) * MINUTE - MINUTE, toMs: t0 + MINUTE }, source);
      const at = Date.now();
      pollMs.push(at - t0);
      for (const r of rows) {
        const page = r.dims.page;
        if (!page?.startsWith(MARKER_HOST)) continue;
        const m = pending.get(page);
        if (m && (r.value as number) > 0) {
          m.visibleAt = at;
          pending.delete(page);
        }
      }
      if (o.intervalMs) await new Promise((r) => setTimeout(r, o.intervalMs));
    }
  })();
  return {
    add(markers: readonly Marker[]) {
      for (const m of markers) pending.set(m.page, m);
      lastAdded = Date.now();
    },
    async finish(timeoutMs: number): Promise<{ pollMs: number[]; unseen: number }> {
      finishTimeout = timeoutMs;
      closing = true;
      await loop;
      return { pollMs, unseen: pending.size };
    },
  };
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
