/**
 * The live terminal dashboard of `npm run local`: records in and out, iterator age per
 * shard, page views and revenue per minute, top pages, data quality, errors. Redraws in
 * place on a TTY (fits 80 columns); prints plain log lines otherwise.
 */
import { runQuery } from '../query/run-query.ts';
import { createQuerySource } from '../sinks/query-source.ts';
import { loadConfig } from '../config.ts';
import type { QueryRow } from '../query/rollup.ts';
import type { Stack } from './stack.ts';

const MIN = 60_000;

function num(v: QueryRow['value'] | undefined): number {
  return typeof v === 'number' ? v : 0;
}

/** Renders one frame from stats and query rows (pure: tested without a terminal). */
export function renderFrame(input: {
  now: number;
  shards: { stream: string; shardId: string; recordsIn: number; iteratorAgeMs: number; failures: number }[];
  inRate: number;
  pageViews: QueryRow[];
  revenue: QueryRow[];
  topPages: QueryRow[];
  quality: QueryRow[];
  failures: number;
}): string {
  const lines: string[] = [];
  const t = new Date(input.now).toISOString().slice(11, 19);
  lines.push(`stream-metrics — local stack                                     ${t} UTC`);
  lines.push('─'.repeat(78));
  lines.push(`records in: ${input.inRate.toFixed(0).padStart(6)}/s      batches sent to on-failure destination: ${input.failures}`);
  lines.push('shard                                  records in   iterator age   failures');
  for (const s of input.shards) {
    lines.push(`${`${s.stream}/${s.shardId}`.slice(0, 38).padEnd(38)} ${String(s.recordsIn).padStart(11)} ${`${(s.iteratorAgeMs / 1000).toFixed(1)} s`.padStart(14)} ${String(s.failures).padStart(10)}`);
  }
  lines.push('');
  lines.push('minute   page views   revenue');
  const minutes = [...new Set(input.pageViews.map((r) => r.windowStart))].slice(-5);
  for (const m of minutes) {
    const pv = num(input.pageViews.find((r) => r.windowStart === m)?.value);
    const rev = input.revenue
      .filter((r) => r.windowStart === m)
      .map((r) => `${r.dims.currency} ${num(r.value)}`)
      .join('  ');
    lines.push(`${m.slice(11, 16)}    ${String(pv).padStart(10)}   ${rev.slice(0, 55)}`);
  }
  lines.push('');
  lines.push('top pages (last hour)');
  for (const r of input.topPages) lines.push(`  ${String(num(r.value)).padStart(7)}  ${(r.dims.page ?? '').slice(0, 66)}`);
  lines.push('');
  const q = input.quality.map((r) => `${r.dims.outcome} ${num(r.value)}`).join('   ');
  lines.push(`data quality (last hour): ${q}`);
  return lines.map((l) => l.slice(0, 80)).join('\n');
}

/**
 * Starts redrawing every 2 s; returns the timer.
 *
 * @example
 * const timer = startDashboard(process.stdout, stack);
 */
export function startDashboard(out: NodeJS.WriteStream, stack: Stack): NodeJS.Timeout {
  const source = createQuerySource(loadConfig(), 'dynamodb');
  let last = { at: Date.now(), total: 0 };
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = Date.now();
      const shards = Object.entries(stack.pollers).flatMap(([stream, p]) => Object.entries(p.stats).map(([shardId, s]) => ({ stream, shardId, recordsIn: s.recordsIn, iteratorAgeMs: s.iteratorAgeMs, failures: s.failures })));
      const total = shards.reduce((a, s) => a + s.recordsIn, 0);
      const inRate = ((total - last.total) * 1000) / Math.max(1, now - last.at);
      last = { at: now, total };
      const from = Math.floor(now / MIN) * MIN - 10 * MIN;
      const to = Math.floor(now / MIN) * MIN + MIN;
      const hour = now - 60 * MIN;
      const [pageViews, revenue, topPages, quality, failures] = await Promise.all([
        runQuery({ metric: 'page_views', fromMs: from, toMs: to, by: [], grain: '1m' }, source),
        runQuery({ metric: 'revenue', fromMs: from, toMs: to, by: ['currency'], grain: '1m' }, source),
        runQuery({ metric: 'page_views', fromMs: hour, toMs: to, by: ['page'], top: 5 }, source),
        runQuery({ metric: 'records', fromMs: hour, toMs: to, by: ['outcome'] }, source),
        stack.failures.list().then((l) => l.length),
      ]);
      const frame = renderFrame({ now, shards, inRate, pageViews, revenue, topPages, quality, failures });
      if (out.isTTY) out.write(`\x1b[H\x1b[2J${frame}\n`);
      else out.write(`${new Date(now).toISOString()} in=${inRate.toFixed(0)}/s ${quality.map((r) => `${r.dims.outcome}=${num(r.value)}`).join(' ')} iterator_age_max=${Math.max(0, ...shards.map((s) => s.iteratorAgeMs))}ms\n`);
    } catch (err) {
      out.write(`dashboard: ${(err as Error).message}\n`);
    } finally {
      busy = false;
    }
  };
  return setInterval(() => void tick(), 2_000);
}
