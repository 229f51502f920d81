/**
 * `stream-metrics bad-records list|replay`: the rejected records kept with their reason, raw
 * data and stream position (SPEC §2).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { UsageError } from '../errors.ts';

/** Runs a `bad-records` subcommand. */
export async function badRecordsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { stream: { type: 'string' }, reason: { type: 'string' }, limit: { type: 'string', default: '100' }, format: { type: 'string', default: 'table' }, all: { type: 'boolean', default: false } },
  });
  const sub = positionals[0];
  const config = loadConfig();
  const { openBadRecordStore } = await import('../sinks/bad-records.ts');
  const store = openBadRecordStore(config);
  if (sub === 'list') {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit needs a positive integer');
    const rows = [];
    for await (const r of store.list({ ...(values.stream ? { streamName: values.stream } : {}), ...(values.reason ? { reason: values.reason } : {}), limit, includeReplayed: values.all })) rows.push(r);
    if (values.format === 'json') {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    if (rows.length === 0) process.stdout.write('no bad records\n');
    for (const r of rows) {
      const raw = Buffer.from(r.rawBase64, 'base64').toString('utf8').replace(/\s+/g, ' ');
      process.stdout.write(`${new Date(r.arrivalMs).toISOString()}  ${r.streamName}/${r.shardId}  ${r.sequenceNumber}${r.subSequence ? `:${r.subSequence}` : ''}  ${r.reason}: ${r.detail}\n    ${raw.slice(0, 120)}\n`);
    }
    return 0;
  }
  if (sub === 'replay') {
    const { replayBadRecords } = await import('../sinks/bad-records.ts');
    const out = await replayBadRecords(config, { ...(values.stream ? { streamName: values.stream } : {}), ...(values.reason ? { reason: values.reason } : {}) });
    process.stdout.write(`replayed ${out.replayed} bad records: ${out.counted} counted, ${out.filtered} filtered, ${out.duplicate} duplicate, ${out.rejected} still rejected\n`);
    return 0;
  }
  throw new UsageError('usage: stream-metrics bad-records list|replay [--stream NAME] [--reason CODE]');
}
