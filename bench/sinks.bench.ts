/**
 * `npm run bench:sinks`: what the sinks cost per 10,000 records — DynamoDB write requests and
 * write units (metric store: counter items and sketch partials apart; de-duplication; bad
 * records), Redshift Data API calls per batch and Firehose calls per batch — on the
 * generator's standard mix, through the real sinks and SDK clients against the local parts
 * (dynalite, the local Data API and Firehose endpoints on PGlite).
 *
 * Records arrive as in production: ~200 records/s of event time over 2 shards (partition
 * key → shard by hash), so a batch of 500 on one shard spans ~5 s of event time. Each run
 * pushes 10,000 records through one worker per shard (`handleRecords`), batch by batch, at
 * batch sizes 100, 500 and 1000 (1000 is the event source mapping's, `src/settings.ts`).
 *
 * Prints a table, a per-group breakdown of the metric-store writes, and as the LAST line one
 * JSON object with the headline numbers (clickstream at the configured batch size):
 * {"records":10000,"batch_size":1000,"metric_requests":…,"metric_wcu":…,"records_per_metric_request":…,
 *  "dedupe_requests":…,"dedupe_wcu":…,"data_api_calls_per_batch":…,"firehose_calls_per_batch":…}
 *
 * Environment: BENCH_RECORDS (10000), BENCH_SEED (7), BENCH_RATE (200 records/s),
 * BENCH_START (ISO start of event time, default a fixed instant so runs are reproducible),
 * BENCH_SIZES (100,500,1000), BENCH_TX_SIZES (sizes for transactions; default 1000),
 * BENCH_DURABLE_DEDUPE (`configured`: claims go to the DynamoDB de-duplication table at the
 * configured batch size and are counted from the in-memory store at the other sizes, where
 * they are the same one put per claim — dynalite's ~5 ms per put would blow the time
 * budget; `all`: DynamoDB everywhere), BENCH_WHATIF=1 (adds what-if runs: `page_views` by
 * page over 4 buckets instead of 16; the mirror's transaction taking 250 ms / 1 s as on
 * Redshift instead of the stand-in's few ms).
 */
import { FUNCTIONS } from '../src/settings.ts';
import type { StreamKind } from '../src/types.ts';
import { layoutRecords, runOnce, startLocalParts, withBuckets, type LocalParts, type RecordLayout, type RunResult } from './sinks-harness.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const SHARDS = 2;
// A fixed start keeps the input (and so every DynamoDB count) identical from run to run.
// Outcomes never depend on the processing clock (SPEC §2), only on arrival times.
const START_MS = Date.parse(process.env.BENCH_START ?? '2026-01-15T12:00:40.000Z');
const CONFIGURED = FUNCTIONS.clickstream.eventSource.batchSize;
const sizes = (v: string | undefined) => [...new Set((v ?? `100,500,${CONFIGURED},1000`).split(',').map(Number).filter((n) => n > 0))].sort((a, b) => a - b);
const PLAN: { stream: StreamKind; sizes: number[] }[] = [
  { stream: 'clickstream', sizes: sizes(process.env.BENCH_SIZES) },
  // Transactions at the configured size only by default: the comparison sizes tell the same
  // story and PGlite (the Redshift stand-in) makes every run cost 10–40 s on a busy machine.
  { stream: 'transactions', sizes: sizes(process.env.BENCH_TX_SIZES ?? String(CONFIGURED)) },
];
/** opt-in what-if runs (fewer page buckets; Redshift latency), see `whatIf` */
const WHATIF = process.env.BENCH_WHATIF === '1';
const TARGET_RECORDS_PER_REQUEST = 10;
/** `configured` (default): the durable de-duplication store at the configured batch size only; `all`: everywhere. */
const DURABLE_DEDUPE = process.env.BENCH_DURABLE_DEDUPE ?? 'configured';

const per10k = (n: number, records: number) => (n * 10_000) / records;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The numbers of one run, per 10,000 records where that applies. */
function summarize(r: RunResult) {
  const metricCalls = r.calls.filter((c) => c.table.endsWith('-metrics'));
  const metricRequests = r.counters.requests + r.sketches.requests;
  const metricWcu = r.counters.wcu + r.sketches.wcu;
  const byCommand = (service: string, command: string) => r.calls.filter((c) => c.service === service && c.command === command).length;
  const n = (x: number) => per10k(x, r.records);
  return {
    stream: r.stream,
    batchSize: r.batchSize,
    batches: r.batches,
    records: r.records,
    outcomes: r.outcomes,
    metricRequests: n(metricRequests),
    metricWcu: n(metricWcu),
    counterRequests: n(r.counters.requests),
    counterWcu: n(r.counters.wcu),
    sketchRequests: n(r.sketches.requests),
    sketchWcu: n(r.sketches.wcu),
    conditionalFailures: r.counters.conditionalFailures + r.sketches.conditionalFailures,
    metricReads: n(metricCalls.reduce((s, c) => s + c.reads, 0)),
    recordsPerMetricRequest: metricRequests > 0 ? r.records / metricRequests : Infinity,
    dedupeRequests: n(r.dedupe.requests),
    dedupeWcu: n(r.dedupe.wcu),
    badRequests: n(r.badRecords.requests),
    badWcu: n(r.badRecords.wcu),
    totalWriteRequests: n(metricRequests + r.dedupe.requests + r.badRecords.requests),
    totalWcu: n(metricWcu + r.dedupe.wcu + r.badRecords.wcu),
    dataApiCallsPerBatch: r.dataApiCalls / r.batches,
    batchExecutePerBatch: byCommand('redshift-data', 'BatchExecuteStatement') / r.batches,
    describePerBatch: byCommand('redshift-data', 'DescribeStatement') / r.batches,
    firehoseCallsPerBatch: r.firehoseCalls / r.batches,
    firehoseRecords: r.firehoseRecords,
    // Cross-check: the meter's count of metric-table writes equals the store's own.
    meteredMetricWrites: metricCalls.reduce((s, c) => s + c.writes, 0),
    storeMetricWrites: metricRequests,
    batchItemFailures: r.batchItemFailures,
    dedupeMode: r.dedupeMode,
    elapsedS: r.elapsedMs / 1000,
  };
}

type Summary = ReturnType<typeof summarize>;

/** Metric-store writes per group of one run: items written per batch, late-window share, units. */
function groupBreakdown(r: RunResult) {
  const rows = new Map<string, { writes: number; wcu: number; lateWrites: number; items: Set<string>; maxWcu: number }>();
  for (const c of r.calls) {
    if (!c.table.endsWith('-metrics') || c.writes === 0) continue;
    const row = rows.get(c.group) ?? { writes: 0, wcu: 0, lateWrites: 0, items: new Set<string>(), maxWcu: 0 };
    row.writes += c.writes;
    row.wcu += c.wcu;
    row.maxWcu = Math.max(row.maxWcu, c.wcu);
    if (c.windowStart !== null && c.windowStart < r.lateBefore) row.lateWrites++;
    if (c.windowStart !== null) row.items.add(`${c.windowStart}`);
    rows.set(c.group, row);
  }
  return [...rows.entries()]
    .sort((a, b) => b[1].writes - a[1].writes)
    .map(([group, x]) => ({
      group,
      writes: x.writes,
      perBatch: x.writes / r.batches,
      lateWrites: x.lateWrites,
      wcu: x.wcu,
      wcuPerWrite: x.writes > 0 ? x.wcu / x.writes : 0,
      maxWcu: x.maxWcu,
      windows: x.items.size,
    }));
}

function pad(s: string, n: number, left = false): string {
  return left ? s.padEnd(n) : s.padStart(n);
}

function printTable(summaries: Summary[]): void {
  const cols = summaries.map((s) => `${s.stream === 'clickstream' ? 'click' : 'tx'} @${s.batchSize}`);
  const w = 16;
  const label = 44;
  console.log(`\nSink cost per 10,000 records — ${SHARDS} shards, ~${RATE} records/s of event time, generator seed ${SEED}, standard mix`);
  console.log(pad('', label, true) + cols.map((c) => pad(c, w)).join(''));
  const line = (name: string, f: (s: Summary) => number | string, digits = 1) =>
    console.log(pad(name, label, true) + summaries.map((s) => pad(typeof f(s) === 'number' ? String(round(f(s) as number, digits)) : String(f(s)), w)).join(''));
  line('batches (both shards)', (s) => s.batches, 0);
  line('counted / filtered / duplicate / rejected', (s) => `${s.outcomes.counted}/${s.outcomes.filtered}/${s.outcomes.duplicate}/${s.outcomes.rejected}`);
  console.log('DynamoDB metric store');
  line('  write requests', (s) => s.metricRequests);
  line('    counter items (UpdateItem)', (s) => s.counterRequests);
  line('    sketch partials (PutItem)', (s) => s.sketchRequests);
  line('  WCU', (s) => s.metricWcu);
  line('    counter items', (s) => s.counterWcu);
  line('    sketch partials', (s) => s.sketchWcu);
  line('  records per write request (target ≥ 10)', (s) => s.recordsPerMetricRequest);
  line('  failed conditions', (s) => s.conditionalFailures, 0);
  line('  reads (GetItem before sketch merges)', (s) => s.metricReads);
  console.log('DynamoDB de-duplication (* counted: one put per claim, not sent)');
  line('  write requests', (s) => `${round(s.dedupeRequests)}${s.dedupeMode === 'counted' ? '*' : ''}`);
  line('  WCU', (s) => `${round(s.dedupeWcu)}${s.dedupeMode === 'counted' ? '*' : ''}`);
  console.log('DynamoDB bad records');
  line('  write requests', (s) => s.badRequests);
  line('  WCU', (s) => s.badWcu);
  console.log('DynamoDB, all tables');
  line('  write requests', (s) => `${round(s.totalWriteRequests)}${s.dedupeMode === 'counted' ? '*' : ''}`);
  line('  WCU', (s) => `${round(s.totalWcu)}${s.dedupeMode === 'counted' ? '*' : ''}`);
  console.log('Redshift Data API (metric mirror)');
  line('  calls per batch (target ≤ 2)', (s) => s.dataApiCallsPerBatch, 2);
  line('    BatchExecuteStatement per batch', (s) => s.batchExecutePerBatch, 2);
  line('    DescribeStatement per batch', (s) => s.describePerBatch, 2);
  console.log('Firehose (cleaned events)');
  line('  PutRecordBatch calls per batch', (s) => s.firehoseCallsPerBatch, 2);
  line('  records delivered', (s) => s.firehoseRecords, 0);
  line('batches reporting failures', (s) => s.batchItemFailures, 0);
  line('wall time, s', (s) => s.elapsedS);
}

function printBreakdown(r: RunResult): void {
  console.log(`\nMetric-store writes by storage group — ${r.stream}, batch size ${r.batchSize} (${r.batches} batches, ${r.records} records)`);
  console.log(`${pad('group', 10, true)}${pad('writes', 8)}${pad('/batch', 8)}${pad('late', 7)}${pad('on-time/batch', 15)}${pad('WCU', 8)}${pad('WCU/write', 11)}${pad('max', 6)}${pad('windows', 9)}`);
  for (const g of groupBreakdown(r)) {
    console.log(
      pad(g.group, 10, true) +
        pad(String(g.writes), 8) +
        pad(String(round(g.perBatch)), 8) +
        pad(String(g.lateWrites), 7) +
        pad(String(round((g.writes - g.lateWrites) / r.batches)), 15) +
        pad(String(round(g.wcu)), 8) +
        pad(String(round(g.wcuPerWrite, 2)), 11) +
        pad(String(g.maxWcu), 6) +
        pad(String(g.windows), 9),
    );
  }
}

interface WhatIf {
  scenario: string;
  result: RunResult;
}

/** What-if runs (clickstream, counted de-duplication): the proposals of docs/sink-costs.md, measured. */
async function whatIf(parts: LocalParts, layout: RecordLayout, firstRun: number): Promise<WhatIf[]> {
  const out: WhatIf[] = [];
  let run = firstRun;
  for (const size of [100, CONFIGURED]) {
    const result = await withBuckets('cs_page', 4, () => runOnce(parts, 'clickstream', layout, size, `bench-${process.pid}-${++run}`, 'counted'));
    out.push({ scenario: 'page_views by page: 4 buckets, not 16', result });
  }
  for (const ms of [250, 1000]) {
    parts.setStatementDelay(ms);
    try {
      const result = await runOnce(parts, 'clickstream', layout, CONFIGURED, `bench-${process.pid}-${++run}`, 'counted');
      out.push({ scenario: `mirror transaction takes +${ms} ms`, result });
    } finally {
      parts.setStatementDelay(0);
    }
  }
  for (const w of out) process.stderr.write(`what-if ${w.scenario} @${w.result.batchSize}: ${(w.result.elapsedMs / 1000).toFixed(1)} s\n`);
  return out;
}

function printWhatIf(rows: WhatIf[]): void {
  console.log('\nWhat-if runs — clickstream, per 10,000 records (de-duplication counted, not sent)');
  console.log(`${pad('scenario', 42, true)}${pad('batch', 7)}${pad('metric req', 12)}${pad('cs_page req', 13)}${pad('metric WCU', 12)}${pad('rec/req', 9)}${pad('Data API/batch', 16)}`);
  for (const { scenario, result } of rows) {
    const s = summarize(result);
    const page = groupBreakdown(result).find((g) => g.group === 'cs_page');
    console.log(
      pad(scenario, 42, true) +
        pad(String(s.batchSize), 7) +
        pad(String(round(s.metricRequests)), 12) +
        pad(String(page?.writes ?? 0), 13) +
        pad(String(round(s.metricWcu)), 12) +
        pad(String(round(s.recordsPerMetricRequest)), 9) +
        pad(String(round(s.dataApiCallsPerBatch, 2)), 16),
    );
  }
}

const total0 = performance.now();
const parts = await startLocalParts();
const results: RunResult[] = [];
let whatIfs: WhatIf[] = [];
try {
  let run = 0;
  for (const { stream, sizes: batchSizes } of PLAN) {
    const layout = layoutRecords(stream, { count: RECORDS, shards: SHARDS, seed: SEED, startMs: START_MS, rate: RATE });
    for (const batchSize of batchSizes) {
      const mode = DURABLE_DEDUPE === 'all' || batchSize === CONFIGURED ? 'dynamodb' : 'counted';
      const r = await runOnce(parts, stream, layout, batchSize, `bench-${process.pid}-${++run}`, mode);
      results.push(r);
      process.stderr.write(`${stream} @${batchSize}: ${(r.elapsedMs / 1000).toFixed(1)} s\n`);
    }
  }
  if (WHATIF) whatIfs = await whatIf(parts, layoutRecords('clickstream', { count: RECORDS, shards: SHARDS, seed: SEED, startMs: START_MS, rate: RATE }), run);
} finally {
  await parts.close();
}

const summaries = results.map(summarize);
printTable(summaries);
const headlineRun = results.find((r) => r.stream === 'clickstream' && r.batchSize === CONFIGURED) ?? results[0]!;
for (const r of results) printBreakdown(r);
console.log("(late: writes to windows before the run's first minute, i.e. for late records; on-time/batch: the other writes per batch; max: largest WCU of one write; windows: distinct minutes written)");
if (whatIfs.length > 0) printWhatIf(whatIfs);
const h = summarize(headlineRun);
for (const s of summaries) {
  if (s.meteredMetricWrites !== s.storeMetricWrites) console.log(`WARNING ${s.stream} @${s.batchSize}: the meter saw ${s.meteredMetricWrites} metric writes, the store counted ${s.storeMetricWrites}`);
}
const met = h.recordsPerMetricRequest >= TARGET_RECORDS_PER_REQUEST;
console.log(
  `\nTarget ≥ ${TARGET_RECORDS_PER_REQUEST} records per metric-store write request at batch size ${h.batchSize}: ${met ? 'met' : 'NOT met'} (${round(h.recordsPerMetricRequest, 2)}). ` +
    `Data API calls per batch: ${round(h.dataApiCallsPerBatch, 2)} (target ≤ 2). Total ${((performance.now() - total0) / 1000).toFixed(0)} s.`,
);
console.log(
  JSON.stringify({
    records: h.records,
    batch_size: h.batchSize,
    metric_requests: round(h.metricRequests),
    metric_wcu: round(h.metricWcu),
    records_per_metric_request: round(h.recordsPerMetricRequest, 2),
    dedupe_requests: round(h.dedupeRequests),
    dedupe_wcu: round(h.dedupeWcu),
    data_api_calls_per_batch: round(h.dataApiCallsPerBatch, 2),
    firehose_calls_per_batch: round(h.firehoseCallsPerBatch, 2),
  }),
);
