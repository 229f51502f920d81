/**
 * `stream-metrics bad-records list|replay`: the rejected records kept with their reason, raw
 * data and stream position (SPEC §2), and their replay after a fix.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { UsageError } from '../errors.ts';
import type { BadRecord } from '../sinks/dynamodb/bad-record-store.ts';
import { REJECT_REASONS } from '../types.ts';

const USAGE = 'usage: stream-metrics bad-records list|replay [--stream NAME] [--reason CODE] [--limit N] [--format table|json] [--all]';

/** One bad record as `list --format json` prints it: its position, reason and raw data (base64). */
export function badRecordJson(r: BadRecord): Record<string, unknown> {
  return {
    stream: r.stream,
    streamName: r.streamName,
    shardId: r.shardId,
    sequenceNumber: r.sequenceNumber,
    subSequence: r.subSequence,
    arrivalMs: r.arrivalMs,
    arrivedAt: new Date(r.arrivalMs).toISOString(),
    reason: r.reason,
    detail: r.detail,
    rawBase64: r.rawBase64,
    replays: r.replays ?? 0,
    ...(r.replayedAt !== undefined ? { replayedAt: new Date(r.replayedAt).toISOString() } : {}),
  };
}

/** Two lines per record for people: position and reason, then the start of the raw data as text. */
function tableLines(r: BadRecord): string {
  // Raw data can be anything: whitespace folded, other control characters shown as `.`.
  const raw = Buffer.from(r.rawBase64, 'base64')
    .toString('utf8')
    .replace(/\s+/g, ' ')
    .replace(/[\u0000-\u001f\u007f\ufffd]/g, '.');
  const more = raw.length > 120 ? `… (${Buffer.byteLength(r.rawBase64, 'base64')} bytes)` : '';
  const state = r.replayedAt !== undefined ? `  [replayed ${new Date(r.replayedAt).toISOString()}]` : r.replays ? `  [replayed ${r.replays}×, still rejected]` : '';
  return `${new Date(r.arrivalMs).toISOString()}  ${r.streamName}/${r.shardId}  ${r.sequenceNumber}${r.subSequence ? `:${r.subSequence}` : ''}  ${r.reason}: ${r.detail}${state}\n    ${raw.slice(0, 120)}${more}\n`;
}

/**
 * Runs a `bad-records` subcommand; resolves with the exit code. Usage errors throw
 * `UsageError` (exit 2) before anything is read.
 *
 * @example
 * process.exitCode = await badRecordsCommand(['list', '--reason', 'too_late', '--format', 'json']);
 */
export async function badRecordsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { stream: { type: 'string' }, reason: { type: 'string' }, limit: { type: 'string', default: '100' }, format: { type: 'string', default: 'table' }, all: { type: 'boolean', default: false } },
  });
  const sub = positionals[0];
  if (sub !== 'list' && sub !== 'replay') throw new UsageError(sub === undefined ? USAGE : `unknown bad-records subcommand "${sub}"; ${USAGE}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"; ${USAGE}`);
  const config = loadConfig();
  // A misspelt filter would answer "no bad records", which reads like good news.
  const streams = [config.streams.clickstream, config.streams.transactions];
  const streamName = values.stream === undefined ? undefined : values.stream === 'clickstream' || values.stream === 'transactions' ? config.streams[values.stream] : values.stream;
  if (streamName !== undefined && !streams.includes(streamName)) throw new UsageError(`--stream: unknown stream "${values.stream}"; streams: ${[...new Set(streams)].join(', ')}`);
  if (values.reason !== undefined && !(REJECT_REASONS as readonly string[]).includes(values.reason)) throw new UsageError(`--reason: unknown reason code "${values.reason}"; codes: ${REJECT_REASONS.join(', ')}`);
  const filter = { ...(streamName ? { streamName } : {}), ...(values.reason ? { reason: values.reason } : {}) };
  const { openBadRecordStore, replayBadRecords } = await import('../sinks/bad-records.ts');
  if (sub === 'list') {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit needs a positive integer, got "${values.limit}"`);
    if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format must be table or json');
    const rows: BadRecord[] = [];
    for await (const r of openBadRecordStore(config).list({ ...filter, limit, includeReplayed: values.all })) rows.push(r);
    // The table is scanned in no particular order: show records by stream, shard and position.
    rows.sort((a, b) => (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
    if (values.format === 'json') {
      process.stdout.write(`${JSON.stringify(rows.map(badRecordJson))}\n`);
      return 0;
    }
    if (rows.length === 0) process.stdout.write(values.all ? 'no bad records\n' : 'no bad records waiting for replay (--all shows replayed ones too)\n');
    for (const r of rows) process.stdout.write(tableLines(r));
    if (rows.length === limit) process.stdout.write(`(first ${limit}; --limit N shows more)\n`);
    return 0;
  }
  if (values.all || argv.some((a) => a === '--limit' || a.startsWith('--limit='))) {
    throw new UsageError('replay takes --stream, --reason and --format (it replays every matching record not yet replayed)');
  }
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format must be table or json');
  const out = await replayBadRecords(config, filter);
  if (values.format === 'json') process.stdout.write(`${JSON.stringify(out)}\n`);
  else process.stdout.write(`replayed ${out.replayed} bad records: ${out.counted} counted, ${out.filtered} filtered, ${out.duplicate} duplicate, ${out.rejected} still rejected\n`);
  return 0;
}
