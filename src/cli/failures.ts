/**
 * `stream-metrics failures list`: the batches the local poller gave up on (retries exhausted
 * or records too old) and sent to the on-failure destination, as Lambda would send a
 * `KinesisBatchInfo` to SQS/SNS.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';

/** Runs `failures list --data-dir DIR`. */
export async function failuresCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'data-dir': { type: 'string' }, format: { type: 'string', default: 'table' } } });
  if (positionals[0] !== 'list') throw new UsageError('usage: stream-metrics failures list --data-dir DIR [--format table|json]');
  if (!values['data-dir']) throw new UsageError('failures list needs --data-dir (the one given to "stream-metrics up")');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"; usage: stream-metrics failures list --data-dir DIR [--format table|json]`);
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format must be table or json');
  // A mistyped directory would otherwise read as "nothing failed".
  if (!fs.statSync(values['data-dir'], { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--data-dir: no such directory "${values['data-dir']}" (the one given to "stream-metrics up", or the temporary one it printed)`);
  const file = path.join(values['data-dir'], 'on-failure.jsonl');
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  if (values.format === 'json') process.stdout.write(`[${lines.join(',')}]\n`);
  else if (lines.length === 0) process.stdout.write('no batches were sent to the on-failure destination\n');
  else for (const l of lines) process.stdout.write(`${l}\n`);
  return 0;
}
