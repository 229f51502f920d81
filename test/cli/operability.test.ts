/**
 * The command line as a newcomer and an engineer use it (the CLI operability audit):
 * `COMMAND --help`, bad flag values as usage errors, `| head`, `produce --file` edge
 * cases, a `--data-dir` already in use, the temporary data directory of `up`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { deaggregate } from '../../src/decode/kpl.ts';
import { fileRecords } from '../../src/cli/jsonl.ts';
import { ConfigError, SinkError } from '../../src/errors.ts';
import { MAX_RECORD_BYTES, produce } from '../../src/local/producer.ts';
import { lockDataDir } from '../../src/local/up.ts';
import { BIN, ROOT, run } from '../support/cli.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sm-operability-'));

describe('COMMAND --help', () => {
  it('prints that command\'s usage and exits 0 for every command, -h too', async () => {
    for (const command of ['up', 'produce', 'query', 'metrics', 'bad-records', 'failures', 'serve', 'worker']) {
      for (const flag of ['--help', '-h']) {
        const r = await run([command, flag]);
        expect({ command, flag, code: r.code, stderr: r.stderr }).toEqual({ command, flag, code: 0, stderr: '' });
        expect(r.stdout).toContain(`stream-metrics ${command}`);
      }
    }
  });

  it('up --help names every flag up takes (SPEC §7 and --port-base, --shards)', async () => {
    const r = await run(['up', '--help']);
    for (const flag of ['--no-producer', '--rate', '--data-dir', '--pg-url', '--chaos', '--json', '--dashboard', '--port-base', '--shards']) expect(r.stdout).toContain(flag);
  });
});

describe('bad flag values are usage errors (exit 2, one line)', () => {
  it('up --chaos with an unknown fault or a bad probability, up --pg-url that is not postgres://', async () => {
    for (const args of [['--chaos', 'bogus'], ['--chaos', 'crash=2'], ['--pg-url', 'mysql://x@127.0.0.1/x']]) {
      const r = await run(['up', '--port-base', '0', ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a value that starts with "-" (--rate -1, --top -1) is named with what to write, not parseArgs\' three sentences', async () => {
    // Act
    const up = await run(['up', '--port-base', '0', '--rate', '-1']);
    const query = await run(['query', 'page_views', '--from', '2026-01-01', '--to', '2026-01-02', '--top', '-1']);
    const explicit = await run(['produce', '--stream', 'clickstream', '--generate', '5', '--rate=-1']);
    // Assert
    expect([up.code, query.code, explicit.code]).toEqual([2, 2, 2]);
    expect(up.stderr).toBe('stream-metrics: --rate has no value: the next argument starts with "-" and is read as a flag (write --rate=VALUE for a value that starts with "-"); run "stream-metrics help"\n');
    expect(query.stderr).toContain('stream-metrics: --top has no value');
    expect(explicit.stderr).toBe('stream-metrics: --rate needs a non-negative integer, got "-1"\n');
  });

  it('metrics takes no arguments', async () => {
    const r = await run(['metrics', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('stream-metrics: metrics takes no arguments, got "--bogus"');
  });

  it('produce --file with a directory says so instead of EISDIR', async () => {
    const r = await run(['produce', '--stream', 'clickstream', '--file', os.tmpdir()]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`stream-metrics: --file: "${os.tmpdir()}" is a directory, not a JSON Lines file`);
  });

  it('failures list: a --data-dir that does not exist is not "nothing failed"; --format is checked', async () => {
    const a = await run(['failures', 'list', '--data-dir', '/nonexistent/sm-data']);
    expect(a.code).toBe(2);
    expect(a.stdout).toBe('');
    expect(a.stderr).toMatch(/^stream-metrics: --data-dir: no such directory "\/nonexistent\/sm-data"/);
    const b = await run(['failures', 'list', '--data-dir', os.tmpdir(), '--format', 'xml']);
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toBe('stream-metrics: --format must be table or json');
  });
});

describe('output into a pipe that closes (| head)', () => {
  it('a one-shot command stops quietly, without an EPIPE stack trace', async () => {
    // Arrange: the reader is gone before the command writes (tsx takes a moment to start)
    const child = spawn(process.execPath, [BIN, 'help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Act
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    // Assert
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('produce: a record over Kinesis\'s 1 MiB limit', () => {
  const accepting = () => {
    const batches: { data: string[] }[] = [];
    const kinesis = {
      send: async (cmd: { input: { Records: { Data: Uint8Array }[] } }) => {
        const recs = cmd.input.Records;
        if (recs.some((r) => r.Data.byteLength > MAX_RECORD_BYTES)) throw Object.assign(new Error('Member must have length less than or equal to 1048576'), { name: 'ValidationException' });
        batches.push({ data: recs.map((r) => Buffer.from(r.Data).toString('utf8').slice(0, 20)) });
        return { FailedRecordCount: 0, Records: recs.map(() => ({})) };
      },
    };
    return { kinesis: kinesis as never, batches };
  };

  it('is not sent and is named by its line; the records around it are sent', async () => {
    // Arrange: a blank line and CRLF before it, so the line number is not the record number
    const dir = tmp();
    const file = path.join(dir, 'big.jsonl');
    fs.writeFileSync(file, `{"eventId":"a"}\r\n\n{"eventId":"big","t":"${'x'.repeat(1.5 * 1024 * 1024)}"}\n{"eventId":"c"}`);
    const { kinesis, batches } = accepting();
    const refused: { line: number; bytes: number }[] = [];
    // Act
    const sent = await produce(kinesis, 's', fileRecords(file), { onTooLarge: (r, bytes) => refused.push({ line: r.line!, bytes }) });
    // Assert
    expect(sent).toBe(2);
    expect(batches.flatMap((b) => b.data)).toEqual(['{"eventId":"a"}', '{"eventId":"c"}']);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.line).toBe(3);
    expect(refused[0]!.bytes).toBeGreaterThan(MAX_RECORD_BYTES);
  });

  it('--kpl: an aggregate closes before it outgrows the limit; every user record arrives once', async () => {
    // Arrange: 12 user records of 300 KB, 10 per aggregate asked for: only 3 fit in 1 MiB
    const kinesis = {
      sent: [] as Uint8Array[],
      send: async (cmd: { input: { Records: { Data: Uint8Array; PartitionKey: string }[] } }) => {
        const recs = cmd.input.Records;
        if (recs.some((r) => r.Data.byteLength + Buffer.byteLength(r.PartitionKey) > MAX_RECORD_BYTES)) throw Object.assign(new Error('Member must have length less than or equal to 1048576'), { name: 'ValidationException' });
        kinesis.sent.push(...recs.map((r) => r.Data));
        return { FailedRecordCount: 0, Records: recs.map(() => ({})) };
      },
    };
    const users = Array.from({ length: 12 }, (_, i) => ({ partitionKey: `k${i}`, data: `{"eventId":"e${i}","t":"${'x'.repeat(300 * 1024)}"}` }));
    // Act
    const sent = await produce(kinesis as never, 's', users, { kplAggregate: 10 });
    // Assert
    expect(sent).toBe(12);
    const unpacked = kinesis.sent.flatMap((bytes) => deaggregate(bytes).map((u) => JSON.parse(Buffer.from(u.data).toString('utf8')).eventId as string));
    expect(unpacked).toEqual(users.map((_, i) => `e${i}`));
    expect(kinesis.sent.length).toBe(4);
  });

  it('without onTooLarge: a clear error instead of the whole batch refused by Kinesis', async () => {
    const { kinesis } = accepting();
    const big = { partitionKey: 'k', data: 'x'.repeat(MAX_RECORD_BYTES) };
    await expect(produce(kinesis, 's', [{ partitionKey: 'a', data: '{}' }, big])).rejects.toThrow(SinkError);
    await expect(produce(kinesis, 's', [big])).rejects.toThrow(/over Kinesis's limit of 1048576 bytes/);
  });
});

describe('up --data-dir already in use', () => {
  it('lockDataDir refuses a directory a live process holds and takes over one a dead process left', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'up.pid'), String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(ConfigError);
    expect(() => lockDataDir(dir)).toThrow(`--data-dir: ${dir} is in use by another "stream-metrics up" (pid ${process.ppid}); stop it, or pass another --data-dir`);
    fs.writeFileSync(path.join(dir, 'up.pid'), '999999999');
    const release = lockDataDir(dir);
    expect(fs.readFileSync(path.join(dir, 'up.pid'), 'utf8')).toBe(String(process.pid));
    release();
    expect(fs.existsSync(path.join(dir, 'up.pid'))).toBe(false);
  });

  it('up on a held --data-dir: one line naming the flag, exit 1, no LevelDB stack trace', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'up.pid'), String(process.pid));
    const r = await run(['up', '--port-base', '0', '--no-producer', '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`stream-metrics: --data-dir: ${dir} is in use by another "stream-metrics up" (pid ${process.pid}); stop it, or pass another --data-dir`);
  });
});

describe('up without --data-dir', () => {
  it('removes its temporary data directory when it stops', async () => {
    // Arrange
    const child = spawn(process.execPath, [BIN, 'up', '--port-base', '0', '--no-producer'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const dir = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).on('line', (l) => {
        const m = /^\s+data dir\s+(\S+)/.exec(l);
        if (m) resolve(m[1]!);
      });
      void exited.then((c) => reject(new Error(`up exited with ${c}`)));
    });
    expect(fs.existsSync(dir)).toBe(true);
    // Act
    process.kill(-child.pid!, 'SIGTERM');
    // Assert
    expect(await exited).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
  }, 120_000);
});
