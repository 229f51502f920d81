/**
 * `npm run local | cat` (or a CI log): `up --dashboard` with stdout that is not a terminal
 * prints one status line every 2 s on stdout; the workers' one JSON line per batch goes to
 * the log file in the data directory instead of burying those lines on stderr.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../support/cli.ts';

describe('up --dashboard with stdout piped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-piped-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes status lines on stdout, the per-batch log to the file, and no JSON lines on stderr', async () => {
    // Prepare: the synthetic producer on, as `npm run local` runs it, its output piped.
    const child = spawn(process.execPath, [BIN, 'up', '--dashboard', '--port-base', '0', '--rate', '200', '--data-dir', dir], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    const stderr: string[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (l) => stdout.push(l));
    readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const logFile = path.join(dir, 'stream-metrics.log');
    const batchLines = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"message":"batch"')) : []);

    // Act: run until the workers have logged batches and a status line counted records.
    try {
      const deadline = Date.now() + 90_000;
      while (!(batchLines().length >= 2 && stdout.some((l) => / out=\d+\/s .*counted=\d+/.test(l)))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no batches or status line: ${[...stdout, ...stderr].slice(-10).join('\n')}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      process.kill(-child.pid!, 'SIGINT');
    }
    const code = await exited;

    // Assert
    expect(code).toBe(0);
    const status = stdout.filter((l) => /^\d{4}-\d\d-\d\dT\S+Z in=\d+\/s out=\d+\/s /.test(l));
    expect(status.length).toBeGreaterThanOrEqual(1);
    expect(stderr.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(stderr.join('\n')).toContain(`log goes to ${logFile}`);
    expect(stderr.at(-1)).toBe(`stream-metrics: stopped (log: ${logFile})`);
    expect(batchLines().length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
