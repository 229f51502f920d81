/**
 * Where `npm run local` puts log lines while the dashboard owns the terminal: the workers'
 * structured lines (one per batch) and the poller's failure events would scroll through the
 * redrawn frame, so they go to a file, and the dashboard shows the last few problems.
 */
import fs from 'node:fs';

/** Lines kept for the dashboard's "problems" panel. */
const RECENT = 3;

/** A line worth showing on the dashboard: a worker's warning or error, or a poller failure event. */
function problem(line: string): string | null {
  if (line.startsWith('{')) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return null;
    }
    const level = String(entry.level ?? '').toLowerCase();
    if (level !== 'warn' && level !== 'error') return null;
    const where = [entry.stream, entry.shard].filter((v) => typeof v === 'string').join('/');
    const error = typeof entry.error === 'string' ? `: ${entry.error}` : '';
    return `${level} ${where ? `${where} ` : ''}${String(entry.message ?? '')}${error}`;
  }
  return /^poller |error|fail/i.test(line) ? line : null;
}

/**
 * Appends log text to a file and remembers the last few problems in it.
 *
 * @example
 * const sink = new LogSink('/tmp/stream-metrics/stream-metrics.log');
 * sink.write('{"level":"error","message":"batch failed","error":"throttled"}\n');
 * sink.recent(); // [ 'HH:MM:SS error batch failed: throttled' ]
 */
export class LogSink {
  readonly #out: fs.WriteStream;
  readonly #recent: string[] = [];

  /**
   * @param onProblem called with each problem line as it is logged (when the dashboard cannot
   * show them: stdout is not a terminal, so they go to stderr instead)
   */
  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
    private readonly onProblem?: (line: string) => void,
  ) {
    this.#out = fs.createWriteStream(path, { flags: 'a' });
    // A full disk must not stop the stack: the log is a convenience.
    this.#out.on('error', () => {});
  }

  /** Appends `text` (one or more lines); a line without a final newline gets one. */
  write = (text: string): void => {
    this.#out.write(text.endsWith('\n') ? text : `${text}\n`);
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const p = problem(line);
      if (p === null) continue;
      const stamped = `${new Date(this.now()).toISOString().slice(11, 19)} ${p}`;
      this.#recent.push(stamped);
      if (this.#recent.length > RECENT) this.#recent.shift();
      this.onProblem?.(stamped);
    }
  };

  /** The last problems, oldest first, each prefixed with the time it was logged (UTC). */
  recent(): string[] {
    return [...this.#recent];
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#out.end(() => resolve()));
  }
}
