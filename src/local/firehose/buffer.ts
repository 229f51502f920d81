/**
 * Where the local Firehose keeps records it has acknowledged but not yet delivered.
 *
 * Firehose never loses an acknowledged record, so the buffer must be exactly as durable as
 * the database it delivers into:
 * - on a durable backend (PostgreSQL, PGlite with a data directory) it is a table,
 *   `_firehose_buffer`, and a load and the removal of its records commit together;
 * - on PGlite in memory nothing outlives the process anyway, so writing every record into
 *   the database twice (buffer, then table) would buy nothing: the buffer is an array
 *   that lives as long as that database object (an endpoint restarted on the same backend
 *   finds its records again). Together with the cheaper load in `engine.ts`, the local
 *   Firehose path went from ~250 to ~100 µs per record (docs/e2e-performance.md).
 */
import type { SqlBackend } from '../sql-backend.ts';

export const BUFFER_TABLE = '_firehose_buffer';
export const ERRORS_TABLE = '_firehose_errors';

/** A buffered record. */
export interface BufferedRecord {
  recordId: string;
  data: Buffer;
}

/** Count, bytes and oldest arrival (epoch ms; 0 when empty) of one stream's buffer. */
export interface BufferSize {
  count: number;
  bytes: number;
  oldestMs: number;
}

/** One stream's buffer operations, as the delivery loop (`engine.ts`) uses them. */
export interface RecordBuffer {
  /** Creates what the buffer needs and returns the size of every non-empty stream buffer. */
  open(): Promise<Map<string, BufferSize>>;
  /** Stores accepted records; resolves when they are as durable as the backend. */
  append(stream: string, arrivedMs: number, records: readonly BufferedRecord[]): Promise<void>;
  /**
   * Hands the oldest records of a stream (at most `maxBytes`, at least one) to `load`
   * inside one transaction, and removes them from the buffer if and only if that
   * transaction commits. Returns how many were loaded.
   */
  deliver(stream: string, maxBytes: number, load: (tx: SqlBackend, data: Buffer[]) => Promise<void>): Promise<number>;
  /** Moves records that arrived at or before `cutoffMs` to `_firehose_errors`; returns how many. */
  moveToErrors(stream: string, cutoffMs: number, error: string): Promise<number>;
  /** Drops a stream's records (its delivery stream was deleted). */
  drop(stream: string): Promise<void>;
  size(stream: string): Promise<BufferSize>;
}

const ERRORS_DDL = `CREATE TABLE IF NOT EXISTS ${ERRORS_TABLE} (seq BIGINT PRIMARY KEY, stream VARCHAR(64) NOT NULL, record_id VARCHAR(128) NOT NULL, arrived_ms BIGINT NOT NULL, data BYTEA NOT NULL, error TEXT NOT NULL)`;

/** The buffer as a table of the backend: durable with it. */
class SqlRecordBuffer implements RecordBuffer {
  constructor(private readonly backend: SqlBackend) {}

  async open(): Promise<Map<string, BufferSize>> {
    await this.backend.query(
      `CREATE TABLE IF NOT EXISTS ${BUFFER_TABLE} (seq BIGSERIAL PRIMARY KEY, stream VARCHAR(64) NOT NULL, record_id VARCHAR(128) NOT NULL, arrived_ms BIGINT NOT NULL, data BYTEA NOT NULL)`,
    );
    await this.backend.query(ERRORS_DDL);
    const sizes = await this.backend.query(`SELECT stream, count(*), coalesce(sum(octet_length(data)), 0), min(arrived_ms) FROM ${BUFFER_TABLE} GROUP BY stream`);
    return new Map(sizes.rows.map(([stream, count, bytes, oldest]) => [String(stream), { count: Number(count), bytes: Number(bytes), oldestMs: Number(oldest) }]));
  }

  async append(stream: string, arrivedMs: number, records: readonly BufferedRecord[]): Promise<void> {
    const params: unknown[] = [];
    const tuples = records.map((r, i) => {
      params.push(r.recordId, r.data.toString('hex'));
      // Hex text decoded in SQL: both engines take a text parameter the same way.
      return `($1, $2, $${i * 2 + 3}, decode($${i * 2 + 4}, 'hex'))`;
    });
    await this.backend.query(`INSERT INTO ${BUFFER_TABLE} (stream, arrived_ms, record_id, data) VALUES ${tuples.join(', ')}`, [stream, arrivedMs, ...params]);
  }

  deliver(stream: string, maxBytes: number, load: (tx: SqlBackend, data: Buffer[]) => Promise<void>): Promise<number> {
    return this.backend.transaction(async (tx) => {
      // Two endpoints on one database (two stacks on one --pg-url) must not load the same
      // buffered records twice: one delivery per stream at a time.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`_firehose:${stream}`]);
      const batch = await tx.query(
        `SELECT seq, data FROM (SELECT seq, data, sum(octet_length(data)) OVER (ORDER BY seq) AS upto, row_number() OVER (ORDER BY seq) AS n FROM ${BUFFER_TABLE} WHERE stream = $1) s WHERE upto <= $2 OR n = 1 ORDER BY seq`,
        [stream, maxBytes],
      );
      if (batch.rows.length === 0) return 0;
      await load(
        tx,
        batch.rows.map((r) => Buffer.from(r[1] as Uint8Array)),
      );
      const lastSeq = batch.rows[batch.rows.length - 1]![0];
      await tx.query(`DELETE FROM ${BUFFER_TABLE} WHERE stream = $1 AND seq <= $2`, [stream, lastSeq]);
      return batch.rows.length;
    });
  }

  moveToErrors(stream: string, cutoffMs: number, error: string): Promise<number> {
    return this.backend.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${ERRORS_TABLE} (seq, stream, record_id, arrived_ms, data, error) SELECT seq, stream, record_id, arrived_ms, data, $3 FROM ${BUFFER_TABLE} WHERE stream = $1 AND arrived_ms <= $2`,
        [stream, cutoffMs, error],
      );
      return (await tx.query(`DELETE FROM ${BUFFER_TABLE} WHERE stream = $1 AND arrived_ms <= $2`, [stream, cutoffMs])).rowCount;
    });
  }

  async drop(stream: string): Promise<void> {
    await this.backend.query(`DELETE FROM ${BUFFER_TABLE} WHERE stream = $1`, [stream]);
  }

  async size(stream: string): Promise<BufferSize> {
    const r = await this.backend.query(`SELECT count(*), coalesce(sum(octet_length(data)), 0), min(arrived_ms) FROM ${BUFFER_TABLE} WHERE stream = $1`, [stream]);
    const [count, bytes, oldest] = r.rows[0] ?? [0, 0, null];
    return { count: Number(count), bytes: Number(bytes), oldestMs: oldest === null || oldest === undefined ? 0 : Number(oldest) };
  }
}

interface MemoryEntry extends BufferedRecord {
  seq: number;
  arrivedMs: number;
}

/** The buffer in memory, beside a database that is in memory too. */
class MemoryRecordBuffer implements RecordBuffer {
  private readonly streams = new Map<string, MemoryEntry[]>();
  private seq = 0;

  constructor(private readonly backend: SqlBackend) {}

  async open(): Promise<Map<string, BufferSize>> {
    await this.backend.query(ERRORS_DDL);
    const out = new Map<string, BufferSize>();
    for (const stream of this.streams.keys()) {
      const size = sizeOf(this.streams.get(stream)!);
      if (size.count > 0) out.set(stream, size);
    }
    return out;
  }

  async append(stream: string, arrivedMs: number, records: readonly BufferedRecord[]): Promise<void> {
    let list = this.streams.get(stream);
    if (!list) this.streams.set(stream, (list = []));
    for (const r of records) list.push({ seq: ++this.seq, arrivedMs, recordId: r.recordId, data: r.data });
  }

  async deliver(stream: string, maxBytes: number, load: (tx: SqlBackend, data: Buffer[]) => Promise<void>): Promise<number> {
    const list = this.streams.get(stream) ?? [];
    let n = 0;
    for (let bytes = 0; n < list.length && (n === 0 || bytes + list[n]!.data.length <= maxBytes); n++) bytes += list[n]!.data.length;
    if (n === 0) return 0;
    const taken = list.slice(0, n);
    await this.backend.transaction((tx) => load(tx, taken.map((e) => e.data)));
    // Appends during the load went to the end; a drop or an error move may have removed
    // entries meanwhile, so remove exactly the delivered ones.
    this.remove(stream, taken);
    return n;
  }

  async moveToErrors(stream: string, cutoffMs: number, error: string): Promise<number> {
    const list = this.streams.get(stream) ?? [];
    const moved = list.filter((e) => e.arrivedMs <= cutoffMs);
    if (moved.length === 0) return 0;
    const params: unknown[] = [stream, error];
    const tuples = moved.map((e) => {
      params.push(e.seq, e.recordId, e.arrivedMs, e.data.toString('hex'));
      const p = params.length;
      return `($${p - 3}, $1, $${p - 2}, $${p - 1}, decode($${p}, 'hex'), $2)`;
    });
    await this.backend.query(`INSERT INTO ${ERRORS_TABLE} (seq, stream, record_id, arrived_ms, data, error) VALUES ${tuples.join(', ')}`, params);
    this.remove(stream, moved);
    return moved.length;
  }

  /** Removes exactly `entries` from a stream's list, whatever else changed meanwhile. */
  private remove(stream: string, entries: readonly MemoryEntry[]): void {
    const gone = new Set(entries.map((e) => e.seq));
    this.streams.set(
      stream,
      (this.streams.get(stream) ?? []).filter((e) => !gone.has(e.seq)),
    );
  }

  async drop(stream: string): Promise<void> {
    this.streams.delete(stream);
  }

  async size(stream: string): Promise<BufferSize> {
    return sizeOf(this.streams.get(stream) ?? []);
  }
}

function sizeOf(list: readonly MemoryEntry[]): BufferSize {
  let bytes = 0;
  for (const e of list) bytes += e.data.length;
  return { count: list.length, bytes, oldestMs: list.length > 0 ? list[0]!.arrivedMs : 0 };
}

// One memory buffer per database object, so it lives exactly as long as the database.
const memoryBuffers = new WeakMap<SqlBackend, MemoryRecordBuffer>();

/**
 * The buffer for a backend: a table when the backend is durable, memory when it is not.
 *
 * @example
 * const buffer = recordBufferFor(await createPgliteBackend()); // in memory
 * await buffer.open();
 * await buffer.append('events', Date.now(), [{ recordId: 'r1', data: Buffer.from('{"id":1}\n') }]);
 */
export function recordBufferFor(backend: SqlBackend): RecordBuffer {
  if (backend.durable) return new SqlRecordBuffer(backend);
  let buffer = memoryBuffers.get(backend);
  if (!buffer) memoryBuffers.set(backend, (buffer = new MemoryRecordBuffer(backend)));
  return buffer;
}
