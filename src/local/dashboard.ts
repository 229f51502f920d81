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
import type { LogSink } from './log-sink.ts';
import { currencyDigits } from '../schema/currencies.ts';

const MIN = 60_000;

function num(v: QueryRow['value'] | undefined): number {
  return typeof v === 'number' ? v : 0;
}

/**
 * An amount in minor units as the currency writes it, with thousands separators; integer
 * arithmetic, so it is exact whatever the size.
 *
 * @example
 * formatMoney(1930889, 'USD'); // 'USD 19,308.89'
 * formatMoney(817730, 'JPY');  // 'JPY 817,730'
 */
export function formatMoney(minor: number, currency: string): string {
  const digits = currencyDigits(currency) ?? 2;
  const abs = BigInt(Math.abs(Math.trunc(minor)));
  const scale = 10n ** BigInt(digits);
  const whole = (abs / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = digits > 0 ? `.${(abs % scale).toString().padStart(digits, '0')}` : '';
  return `${currency} ${minor < 0 ? '-' : ''}${whole}${frac}`;
}

/** Renders one frame from stats and query rows (pure: tested without a terminal). */
export function renderFrame(input: {
  now: number;
  shards: { stream: string; shardId: string; recordsIn: number; iteratorAgeMs: number; failures: number }[];
  inRate: number;
  /** records per second done with (their batch succeeded, or they were given up on) */
  outRate: number;
  pageViews: QueryRow[];
  revenue: QueryRow[];
  topPages: QueryRow[];
  quality: QueryRow[];
  failures: number;
  /** the last warnings and errors of the workers and pollers */
  problems?: string[];
  /** where the full log goes, when not to the terminal */
  logPath?: string;
}): string {
  const lines: string[] = [];
  const t = new Date(input.now).toISOString().slice(11, 19);
  lines.push(`stream-metrics — local stack                                     ${t} UTC`);
  lines.push('─'.repeat(78));
  lines.push(`records/s  in ${input.inRate.toFixed(0).padStart(6)}  out ${input.outRate.toFixed(0).padStart(6)}      batches to on-failure destination: ${input.failures}`);
  lines.push('shard                                  records in   iterator age   failures');
  for (const s of input.shards) {
    lines.push(`${`${s.stream}/${s.shardId}`.slice(0, 38).padEnd(38)} ${String(s.recordsIn).padStart(11)} ${`${(s.iteratorAgeMs / 1000).toFixed(1)} s`.padStart(14)} ${String(s.failures).padStart(10)}`);
  }
  lines.push('');
  // Revenue in a column per currency, in major units: the four with the largest sums (in
  // minor units) over the minutes shown.
  const minutes = [...new Set(input.pageViews.map((r) => r.windowStart))].slice(-5);
  const totals = new Map<string, number>();
  for (const r of input.revenue) if (minutes.includes(r.windowStart)) totals.set(r.dims.currency ?? '', (totals.get(r.dims.currency ?? '') ?? 0) + num(r.value));
  const currencies = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 4).map(([c]) => c);
  lines.push(`minute   page views${currencies.map((c) => `revenue ${c}`.padStart(15)).join('')}`);
  for (const m of minutes) {
    const pv = num(input.pageViews.find((r) => r.windowStart === m)?.value);
    const rev = currencies.map((c) => {
      const row = input.revenue.find((r) => r.windowStart === m && r.dims.currency === c);
      return (row ? formatMoney(num(row.value), c).slice(c.length + 1) : '-').padStart(15);
    });
    lines.push(`${m.slice(11, 16)}    ${String(pv).padStart(10)}${rev.join('')}`);
  }
  lines.push('');
  lines.push('top pages (last hour)');
  for (const r of input.topPages) lines.push(`  ${String(num(r.value)).padStart(7)}  ${(r.dims.page ?? '').slice(0, 66)}`);
  lines.push('');
  const q = input.quality.map((r) => `${r.dims.outcome} ${num(r.value)}`).join('   ');
  lines.push(`data quality (last hour): ${q}`);
  lines.push('');
  const problems = input.problems ?? [];
  lines.push(problems.length === 0 ? 'problems: none' : 'problems (latest last):');
  for (const p of problems) lines.push(`  ${p}`);
  if (input.logPath) lines.push(`full log: ${input.logPath}`);
  return lines.map((l) => l.slice(0, 80)).join('\n');
}

/**
 * The one line per redraw printed when stdout is not a terminal (`npm run local | cat`, a
 * CI log): rates, page views and revenue of the latest minute, data quality of the last
 * hour, the largest iterator age (pure: tested without a terminal).
 *
 * @example
 * statusLine({ now, inRate: 50, outRate: 48, pageViews, revenue, quality, iteratorAgeMaxMs: 420, failures: 0 });
 * // '2026-12-06T23:26:01.848Z in=50/s out=48/s page_views[23:25]=412 revenue[23:25]=USD 1,234.50 EUR 99.00 counted=461 … iterator_age_max=420ms'
 */
export function statusLine(input: { now: number; inRate: number; outRate: number; pageViews: QueryRow[]; revenue: QueryRow[]; quality: QueryRow[]; iteratorAgeMaxMs: number; failures: number }): string {
  const minute = input.pageViews.map((r) => r.windowStart).concat(input.revenue.map((r) => r.windowStart)).sort().at(-1);
  const parts = [new Date(input.now).toISOString(), `in=${input.inRate.toFixed(0)}/s`, `out=${input.outRate.toFixed(0)}/s`];
  if (minute) {
    const hhmm = minute.slice(11, 16);
    parts.push(`page_views[${hhmm}]=${num(input.pageViews.find((r) => r.windowStart === minute)?.value)}`);
    const rev = input.revenue.filter((r) => r.windowStart === minute).sort((a, b) => num(b.value) - num(a.value)).slice(0, 4);
    if (rev.length) parts.push(`revenue[${hhmm}]=${rev.map((r) => formatMoney(num(r.value), r.dims.currency ?? '')).join(' ')}`);
  }
  for (const r of input.quality) parts.push(`${r.dims.outcome}=${num(r.value)}`);
  parts.push(`iterator_age_max=${input.iteratorAgeMaxMs}ms`);
  if (input.failures) parts.push(`on_failure_batches=${input.failures}`);
  return parts.join(' ');
}

/**
 * Starts redrawing every 2 s; returns the timer.
 *
 * @example
 * const timer = startDashboard(process.stdout, stack);
 */
export function startDashboard(out: NodeJS.WriteStream, stack: Stack, logSink?: LogSink): NodeJS.Timeout {
  const source = createQuerySource(loadConfig(), 'dynamodb');
  let last = { at: Date.now(), total: 0, done: 0 };
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = Date.now();
      const shards = Object.entries(stack.pollers).flatMap(([stream, p]) => Object.entries(p.stats).map(([shardId, s]) => ({ stream, shardId, recordsIn: s.recordsIn, recordsOut: s.recordsOut, iteratorAgeMs: s.iteratorAgeMs, failures: s.failures })));
      const total = shards.reduce((a, s) => a + s.recordsIn, 0);
      const done = shards.reduce((a, s) => a + s.recordsOut, 0);
      const elapsed = Math.max(1, now - last.at);
      const inRate = ((total - last.total) * 1000) / elapsed;
      const outRate = ((done - last.done) * 1000) / elapsed;
      last = { at: now, total, done };
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
      const frame = renderFrame({ now, shards, inRate, outRate, pageViews, revenue, topPages, quality, failures, ...(logSink ? { problems: logSink.recent(), logPath: logSink.path } : {}) });
      if (out.isTTY) out.write(`\x1b[H\x1b[2J${frame}\n`);
      else out.write(`${statusLine({ now, inRate, outRate, pageViews, revenue, quality, iteratorAgeMaxMs: Math.max(0, ...shards.map((s) => s.iteratorAgeMs)), failures })}\n`);
    } catch (err) {
      out.write(`dashboard: ${(err as Error).message}\n`);
    } finally {
      busy = false;
    }
  };
  return setInterval(() => void tick(), 2_000);
}
