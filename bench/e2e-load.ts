/**
 * Load for `npm run bench:e2e`: pre-generated clickstream records (so the generator's cost
 * is not measured), the raw PutRecords rate of kinesalite, and a paced sender whose every
 * batch carries one marker page view per shard, each with its own page, so that the bench
 * can tell when that very record has become readable through `query`.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createClickstreamGenerator } from '../src/generate/index.ts';
import { produce, type ProducerRecord } from '../src/local/producer.ts';

/** The marker pages live under this host: nothing else produces it. */
export const MARKER_HOST = 'probe.bench.local';
const DESKTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

/**
 * `count` realistic clickstream records (the generator's default mix: sessions, a few bots,
 * duplicates, bad and late records), event time = the wall clock when generated.
 *
 * @example
 * const records = generateRecords(30_000, 7);
 */
export function generateRecords(count: number, seed: number): ProducerRecord[] {
  const gen = createClickstreamGenerator({ seed });
  const out: ProducerRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const g = gen.next();
    out[i] = { partitionKey: g.partitionKey, data: g.data };
  }
  return out;
}

/** Creates a stream (kinesalite creates streams at once) and waits until it is active. */
export async function createStream(kinesis: KinesisClient, name: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (let i = 0; i < 200; i++) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`stream ${name} did not become active`);
}

/**
 * Kinesalite's raw PutRecords rate: `records` written with the same producer the bench uses
 * (`produce`, batches of 500, one call in flight) to a stream nobody reads.
 *
 * @example
 * const rps = await rawPutRecordsRate(kinesis, 'bench-raw', records);
 */
export async function rawPutRecordsRate(kinesis: KinesisClient, streamName: string, records: readonly ProducerRecord[]): Promise<{ rps: number; ms: number }> {
  const t0 = performance.now();
  await produce(kinesis, streamName, records);
  const ms = performance.now() - t0;
  return { rps: (records.length * 1000) / ms, ms };
}

/** One hash key per open shard (its starting key), to place a marker on every shard. */
export async function shardHashKeys(kinesis: KinesisClient, streamName: string): Promise<string[]> {
  const out = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  return (out.Shards ?? []).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).map((s) => s.HashKeyRange!.StartingHashKey!);
}

export interface Marker {
  /** the page dimension of its page view (`host + path`) */
  page: string;
  /** `Date.now()` when the PutRecords call that carried it was sent */
  sentAt: number;
  /** `Date.now()` when a query first showed it, or undefined */
  visibleAt?: number;
}

/** A valid, countable page view whose page is unique to it. */
function markerRecord(id: string, hashKey: string, page: string): PutRecordsRequestEntry {
  const event = {
    eventId: `probe_${id}`,
    type: 'page_view',
    occurredAt: new Date().toISOString(),
    sessionId: `probe_sess_${id}`,
    anonymousId: `probe_anon_${id}`,
    page: { url: `https://${page}` },
    userAgent: DESKTOP_UA,
    country: 'DE',
  };
  return { PartitionKey: `probe-${id}`, ExplicitHashKey: hashKey, Data: new TextEncoder().encode(JSON.stringify(event)) };
}

export interface PacedRun {
  markers: Marker[];
  /** records sent, markers included */
  sent: number;
  /** ms from the first send to the last acknowledgement */
  ms: number;
  /** batches that were sent later than scheduled by more than one interval */
  lateBatches: number;
}

/**
 * Sends `filler` records at `rate` records/s for `durationMs` in batches every `intervalMs`,
 * each batch with one marker per shard in `hashKeys`. Open loop: a batch leaves on schedule
 * even while earlier ones are still in flight (at most `maxInFlight`), so a slow consumer
 * does not slow the offered load down.
 *
 * @example
 * const run = await pacedSend(kinesis, 'clickstream', filler, { rate: 1000, durationMs: 20_000, intervalMs: 100, hashKeys });
 */
export async function pacedSend(
  kinesis: KinesisClient,
  streamName: string,
  filler: readonly ProducerRecord[],
  o: { rate: number; durationMs: number; intervalMs: number; hashKeys: readonly string[]; maxInFlight?: number; onMarkers?: (m: Marker[]) => void },
): Promise<PacedRun> {
  const batches = Math.max(1, Math.round(o.durationMs / o.intervalMs));
  const perBatch = Math.max(o.hashKeys.length, Math.round((o.rate * o.intervalMs) / 1000));
  const markers: Marker[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = o.maxInFlight ?? 8;
  let next = 0;
  let sent = 0;
  let lateBatches = 0;
  const t0 = Date.now();
  for (let b = 0; b < batches; b++) {
    const due = t0 + b * o.intervalMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if (-wait > o.intervalMs) lateBatches++;
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const entries: PutRecordsRequestEntry[] = [];
    const mine: Marker[] = [];
    const sentAt = Date.now();
    o.hashKeys.forEach((hk, s) => {
      const page = `${MARKER_HOST}/b${b}s${s}`;
      entries.push(markerRecord(`${t0}_${b}_${s}`, hk, page));
      mine.push({ page, sentAt });
    });
    while (entries.length < perBatch) {
      const r = filler[next++ % filler.length]!;
      entries.push({ PartitionKey: r.partitionKey, Data: typeof r.data === 'string' ? new TextEncoder().encode(r.data) : r.data });
    }
    markers.push(...mine);
    o.onMarkers?.(mine);
    sent += entries.length;
    const p = putAll(kinesis, streamName, entries).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { markers, sent, ms: Date.now() - t0, lateBatches };
}

/** PutRecords, retrying failed entries (kinesalite never throttles, but be correct). */
async function putAll(kinesis: KinesisClient, streamName: string, entries: PutRecordsRequestEntry[]): Promise<void> {
  let pending = entries;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 10) throw new Error(`PutRecords: ${pending.length} records still failing`);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
    if (!out.FailedRecordCount) return;
    pending = pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
  }
}
