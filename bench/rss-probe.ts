/**
 * Peak memory of one full-pipeline invocation on the largest batch Lambda can deliver,
 * measured in a fresh process (so other benchmark rounds do not inflate it). Prints one
 * JSON line: {"records":N,"payload_mb":…,"peak_rss_mb":…,"source":…}.
 *
 * Peak RSS is read from `VmHWM` in /proc/self/status where there is one (Linux), not from
 * `process.resourceUsage().maxRSS`: Linux carries `ru_maxrss` across fork + exec, so a
 * probe started by a 280 MB benchmark process reports at least 280 MB whatever it uses
 * itself. `VmHWM` belongs to the process's own address space and starts fresh at exec.
 */
import { readFileSync } from 'node:fs';
import { MemoryDedupeStore } from '../src/dedupe/memory-dedupe-store.ts';
import { parseCidrList } from '../src/filter/cidr.ts';
import { processBatch } from '../src/pipeline/process-batch.ts';
import { buildEvent } from './batch.ts';

/** Peak resident set size of this process in MB, and where the number comes from. */
function peakRss(): { mb: number; source: string } {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return { mb: Number(m[1]) / 1024, source: 'VmHWM' };
  } catch {
    /* not Linux: fall back below */
  }
  return { mb: process.resourceUsage().maxRSS / 1024, source: 'maxRSS' };
}

// The event arrives as JSON text, as the Lambda runtime hands it over.
const text = JSON.stringify(buildEvent('max', 7));
const event = JSON.parse(text) as ReturnType<typeof buildEvent>;
const result = await processBatch(
  event.Records.map((r) => r.kinesis),
  { stream: 'clickstream', streamName: 'clickstream', shardId: 'shardId-000000000000' },
  { validate: { allowedLatenessMs: 7 * 86_400_000, futureToleranceMs: 300_000 }, internalCidrs: parseCidrList(''), maxRecordBytes: 1_048_576, dedupeStore: new MemoryDedupeStore({ clickstream: 3_600_000, transactions: 86_400_000 }) },
);
const peak = peakRss();
console.log(JSON.stringify({ records: event.Records.length, counted: result.counts.counted, payload_mb: +(text.length / 1048576).toFixed(2), peak_rss_mb: +peak.mb.toFixed(1), source: peak.source }));
