/**
 * The state and delivery loop of the local Firehose: delivery stream definitions live in
 * the SQL backend (table `_firehose_delivery_streams`) and the record buffer beside it
 * (`buffer.ts`: a table on a durable backend), so an acknowledged record survives a restart
 * with the same data directory, as it would in Firehose.
 *
 * Delivery does what Firehose does for a Redshift destination, minus S3: the buffered
 * records of a stream are concatenated (in arrival order; producers add their own `\n`)
 * and loaded like `COPY <DataTableName> (<DataTableColumns>) FORMAT AS JSON 'auto'`: one
 * row per JSON object, keys matched to columns case-insensitively, missing keys → NULL,
 * values cast by PostgreSQL from their text, strings truncated to the column length when
 * the COPY options say TRUNCATECOLUMNS. A load and the removal of its records from the
 * buffer commit together. A failed load (bad JSON, SQL error) stays buffered and is retried
 * with back-off; records still failing after `RetryOptions.DurationInSeconds` move to
 * `_firehose_errors` (Firehose's S3 error prefix). There is no de-duplication: delivery is
 * at least once, and downstream tables are keyed by event id.
 */
import { randomFillSync } from 'node:crypto';
import type { SqlBackend } from '../sql-backend.ts';
import { recordBufferFor, type RecordBuffer } from './buffer.ts';
import { parseJsonObjects, type JsonRow, type ObjectSpans } from './json-records.ts';
import type { DeliveryStreamDefinition } from './common.ts';

const STREAMS_TABLE = '_firehose_delivery_streams';
/** bytes of records loaded per COPY at most */
const MAX_LOAD_BYTES = 64 * 1024 * 1024;
/** rows per INSERT of a load: bounds the size of its one JSON parameter */
const ROWS_PER_STATEMENT = 5_000;

export interface FirehoseStats {
  /** records loaded into their tables */
  delivered: number;
  /** loads that failed (each is retried later) */
  failedDeliveries: number;
  /** successful loads */
  deliveries: number;
  /** records given up after the retry duration (moved to `_firehose_errors`) */
  skipped: number;
  /** records waiting in buffers */
  buffered: number;
  /** the error of the last failed load */
  lastError?: string;
}

interface BufferState {
  count: number;
  bytes: number;
  /** arrival of the oldest buffered record, epoch ms */
  oldestMs: number;
  failures: number;
  retryAtMs: number;
  delivering: Promise<void> | null;
}

/**
 * A new RecordId: long and opaque, like Firehose's.
 *
 * @example
 * newRecordId(); // → 'p9v…' (56 characters)
 */
export function newRecordId(): string {
  // Random bytes drawn 100 ids at a time: one system call per record was ~1 % of the
  // endpoint's CPU under load.
  if (idPoolAt >= ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolAt = 0;
  }
  idPoolAt += ID_BYTES;
  return ID_POOL.toString('base64url', idPoolAt - ID_BYTES, idPoolAt);
}
const ID_BYTES = 42;
const ID_POOL = Buffer.alloc(ID_BYTES * 100);
let idPoolAt = ID_POOL.length;

/** Quotes a table reference (`schema.table`) as Redshift reads it: unquoted names fold to lower case. */
function quoteName(name: string): string {
  const parts = name.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [name];
  return parts.map((p) => (p.startsWith('"') ? p : `"${p.trim().toLowerCase().replace(/"/g, '""')}"`)).join('.');
}

export interface FirehoseEngineOptions {
  /**
   * Caps every delivery stream's `IntervalInSeconds`, ms (a local speed-up: `up` delivers
   * within a second although its streams say 60 s). Without it the hints apply as given.
   */
  maxFlushIntervalMs?: number;
}

/** The byte size at which a stream's buffer is delivered (`SizeInMBs`, in MiB as Firehose counts). */
function sizeTrigger(def: DeliveryStreamDefinition): number {
  return def.redshift.S3Configuration.BufferingHints.SizeInMBs * 1024 * 1024;
}

export class FirehoseEngine {
  private readonly definitions = new Map<string, DeliveryStreamDefinition>();
  private readonly buffers = new Map<string, BufferState>();
  private readonly store: RecordBuffer;
  private readonly counters = { delivered: 0, failedDeliveries: 0, deliveries: 0, skipped: 0 };
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly backend: SqlBackend,
    private readonly options: FirehoseEngineOptions = {},
  ) {
    this.store = recordBufferFor(backend);
  }

  /** Creates the state tables when missing and loads definitions and buffer sizes. */
  async open(): Promise<void> {
    await this.backend.query(`CREATE TABLE IF NOT EXISTS ${STREAMS_TABLE} (name VARCHAR(64) PRIMARY KEY, definition TEXT NOT NULL)`);
    for (const [, def] of (await this.backend.query(`SELECT name, definition FROM ${STREAMS_TABLE} ORDER BY name`)).rows) {
      const d = JSON.parse(String(def)) as DeliveryStreamDefinition;
      this.definitions.set(d.name, d);
    }
    for (const [stream, size] of await this.store.open()) {
      this.buffers.set(stream, { ...size, failures: 0, retryAtMs: 0, delivering: null });
    }
    // The timer only checks ages: 50 ms keeps an interval trigger within 50 ms of its hint
    // (and of a short cap) for the price of a map walk.
    const tick = Math.max(10, Math.min(50, Math.floor((this.options.maxFlushIntervalMs ?? 100) / 2)));
    this.timer = setInterval(() => this.onTick(), tick);
    this.timer.unref();
  }

  get(name: string): DeliveryStreamDefinition | undefined {
    return this.definitions.get(name);
  }

  names(): string[] {
    return [...this.definitions.keys()].sort();
  }

  async create(def: DeliveryStreamDefinition): Promise<boolean> {
    if (this.definitions.has(def.name)) return false;
    const r = await this.backend.query(`INSERT INTO ${STREAMS_TABLE} (name, definition) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [def.name, JSON.stringify(def)]);
    if (r.rowCount === 0) return false;
    this.definitions.set(def.name, def);
    return true;
  }

  /** Deletes a stream and drops its buffered records (as deleting a Firehose stream does). */
  async delete(name: string): Promise<void> {
    this.definitions.delete(name);
    await this.buffers.get(name)?.delivering?.catch(() => {});
    // Records first: an interrupted delete leaves a stream to delete again, never records
    // without a stream (which a new stream of the same name would deliver).
    await this.store.drop(name);
    await this.backend.query(`DELETE FROM ${STREAMS_TABLE} WHERE name = $1`, [name]);
    this.buffers.delete(name);
  }

  /** Buffers accepted records durably; returns when they are stored. */
  async put(name: string, records: { recordId: string; data: Buffer }[]): Promise<void> {
    if (records.length === 0) return;
    const now = Date.now();
    await this.store.append(name, now, records);
    const b = this.state(name);
    if (b.count === 0) b.oldestMs = now;
    b.count += records.length;
    b.bytes += records.reduce((a, r) => a + r.data.length, 0);
    const def = this.definitions.get(name);
    // Whichever hint is met first: the size now, the interval on the timer (0 s means now).
    if (def && (b.bytes >= sizeTrigger(def) || this.intervalMs(def) === 0)) void this.startDelivery(name, false);
  }

  /**
   * How old a stream's oldest buffered record may get before it is delivered, ms: its
   * `IntervalInSeconds`, capped by `maxFlushIntervalMs`.
   */
  intervalMs(def: DeliveryStreamDefinition): number {
    return Math.min(def.redshift.S3Configuration.BufferingHints.IntervalInSeconds * 1000, this.options.maxFlushIntervalMs ?? Infinity);
  }

  stats(): FirehoseStats {
    let buffered = 0;
    for (const b of this.buffers.values()) buffered += b.count;
    return { ...this.counters, buffered, ...(this.lastError !== undefined ? { lastError: this.lastError } : {}) };
  }

  /**
   * Delivers everything buffered now (back-off ignored). Rejects when a load fails (the
   * records stay buffered and are retried later).
   */
  async flush(): Promise<void> {
    const errors: string[] = [];
    for (const name of [...this.buffers.keys()]) {
      if (!this.definitions.has(name)) continue;
      for (let rounds = 0; (this.buffers.get(name)?.count ?? 0) > 0 && rounds < 10_000; rounds++) {
        const before = this.counters.failedDeliveries;
        await this.startDelivery(name, true);
        if (this.counters.failedDeliveries > before) {
          errors.push(`${name}: ${this.lastError}`);
          break;
        }
      }
    }
    if (errors.length > 0) throw new Error(`Firehose delivery failed: ${errors.join('; ')}`);
  }

  /**
   * Stops the timer after a last flush. A load that fails then does not fail `close`: its
   * records stay in the buffer table and are delivered after a restart (see `stats()`).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush().catch(() => {});
    await Promise.all([...this.buffers.values()].map((b) => b.delivering?.catch(() => {})));
  }

  private state(name: string): BufferState {
    let b = this.buffers.get(name);
    if (!b) {
      b = { count: 0, bytes: 0, oldestMs: 0, failures: 0, retryAtMs: 0, delivering: null };
      this.buffers.set(name, b);
    }
    return b;
  }

  private onTick(): void {
    const now = Date.now();
    for (const [name, b] of this.buffers) {
      if (b.count === 0 || b.delivering || now < b.retryAtMs || !this.definitions.has(name)) continue;
      const def = this.definitions.get(name)!;
      if (b.bytes >= sizeTrigger(def) || now - b.oldestMs >= this.intervalMs(def)) this.startDelivery(name, false).catch(() => {});
    }
  }

  /** One load of a stream's oldest buffered records (joining a load already under way). */
  private startDelivery(name: string, force: boolean): Promise<void> {
    const b = this.state(name);
    if (b.delivering) return b.delivering;
    if (!force && Date.now() < b.retryAtMs) return Promise.resolve();
    b.delivering = this.deliverOnce(name, b).finally(() => {
      b.delivering = null;
    });
    return b.delivering;
  }

  private async deliverOnce(name: string, b: BufferState): Promise<void> {
    const def = this.definitions.get(name);
    if (!def || b.count === 0) return;
    let loaded = 0;
    try {
      loaded = await this.store.deliver(name, MAX_LOAD_BYTES, (tx, data) => this.load(tx, def, Buffer.concat(data).toString('utf8')));
      this.counters.deliveries++;
      this.counters.delivered += loaded;
      b.failures = 0;
      b.retryAtMs = 0;
    } catch (err) {
      this.counters.failedDeliveries++;
      b.failures++;
      this.lastError = (err as Error).message ?? String(err);
      // Back off like Firehose's retries: doubling from the stream's interval (kept within
      // 0.1–1 s, so a 0 s hint does not spin and a 900 s one does not wait), at most 30 s.
      const base = Math.max(100, Math.min(1_000, this.intervalMs(def)));
      b.retryAtMs = Date.now() + Math.min(30_000, base * 2 ** Math.min(b.failures - 1, 10));
      if (Date.now() - b.oldestMs > def.redshift.RetryOptions.DurationInSeconds * 1000) await this.skipOldest(name, this.lastError).catch(() => {});
    } finally {
      await this.refresh(name, b).catch(() => {});
    }
  }

  /** The load itself: JSON 'auto' into the table's columns. */
  private async load(tx: SqlBackend, def: DeliveryStreamDefinition, text: string): Promise<void> {
    const table = quoteName(def.redshift.CopyCommand.DataTableName);
    const meta = await tx.query(
      `SELECT a.attname, CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod > 4 THEN a.atttypmod - 4 END FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table],
    );
    if (meta.rows.length === 0) throw new Error(`ERROR: relation "${def.redshift.CopyCommand.DataTableName}" does not exist`);
    const maxLen = new Map(meta.rows.map(([n, len]) => [String(n), len === null ? undefined : Number(len)]));
    const listed = def.redshift.CopyCommand.DataTableColumns;
    const columns = listed && listed.trim() !== '' ? listed.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1').toLowerCase()) : [...maxLen.keys()];
    for (const c of columns) if (!maxLen.has(c)) throw new Error(`ERROR: column "${c}" of relation "${def.redshift.CopyCommand.DataTableName}" does not exist`);
    const truncate = /\bTRUNCATECOLUMNS\b/i.test(def.redshift.CopyCommand.CopyOptions ?? '');
    const spans: ObjectSpans = { start: [], end: [], plain: [] };
    const rows = parseJsonObjects(text, spans);
    const columnList = columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
    // One JSON parameter per statement, spread into the table's row type by PostgreSQL:
    // each value still reaches its column as text and is cast by the column type's own
    // input function, as a parameter per value would be, at ~40 % of the cost (thousands of
    // parameters per statement are slow to bind). An object PostgreSQL reads as we do
    // (`ObjectSpans.plain`) and that needs no truncation goes in as it was written; any
    // other is rebuilt from what we read.
    const sql = `INSERT INTO ${table} (${columnList}) SELECT ${columnList} FROM json_populate_recordset(NULL::${table}, $1::json)`;
    const loaded = new Set(columns);
    // As written: a plain object whose keys are all loaded columns (PostgreSQL casts every
    // key it knows, loaded or not) and whose strings need no truncation.
    const asWritten = (row: JsonRow, r: number): boolean => {
      if (!spans.plain[r]) return false;
      for (const [c, v] of row) {
        if (!loaded.has(c)) return false;
        const len = maxLen.get(c);
        if (truncate && v !== null && len !== undefined && v.length > len && [...v].length > len) return false;
      }
      return true;
    };
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const objects: string[] = [];
      for (let r = start; r < Math.min(rows.length, start + ROWS_PER_STATEMENT); r++) {
        const row = rows[r]!;
        if (asWritten(row, r)) {
          objects.push(text.slice(spans.start[r], spans.end[r]));
          continue;
        }
        const o: Record<string, string | null> = {};
        for (const c of columns) {
          let v = row.get(c) ?? null;
          const len = maxLen.get(c);
          // Counted in code points, as PostgreSQL counts characters; a string no longer in
          // UTF-16 units than the limit cannot be longer in code points.
          if (truncate && v !== null && len !== undefined && v.length > len && [...v].length > len) v = [...v].slice(0, len).join('');
          // A lone surrogate would make the JSON invalid for PostgreSQL; as a parameter it
          // became U+FFFD in UTF-8, so make it that here too.
          o[c] = v === null ? null : v.toWellFormed();
        }
        objects.push(JSON.stringify(o));
      }
      await tx.query(sql, [`[${objects.join(',')}]`]);
    }
  }

  /** Gives up the oldest records of a stream that keeps failing (Firehose's error output). */
  private async skipOldest(name: string, error: string): Promise<void> {
    const def = this.definitions.get(name);
    if (!def) return;
    const cutoff = Date.now() - def.redshift.RetryOptions.DurationInSeconds * 1000;
    this.counters.skipped += await this.store.moveToErrors(name, cutoff, error);
  }

  private async refresh(name: string, b: BufferState): Promise<void> {
    const size = await this.store.size(name);
    b.count = size.count;
    b.bytes = size.bytes;
    b.oldestMs = size.oldestMs;
  }
}
