/**
 * The SQL engine behind the local Redshift stand-in: an embedded PostgreSQL (PGlite, in
 * process) or a real PostgreSQL reached by URL. Both give the same `SqlBackend`, so the
 * local Data API and Firehose endpoints do not care which one runs.
 *
 * Values come back the same from both engines: every value is read as PostgreSQL's text
 * output (no driver-side parsing, which differs between `pg` and PGlite and loses precision
 * for `bigint`, `numeric` and timestamps) and then converted by column type:
 * `bool` → boolean; `int2`/`int4`/`oid`/`float4`/`float8` → number; `int8` → number when it
 * is a safe integer, else its decimal string; `bytea` → Uint8Array; anything else
 * (`numeric`, dates and times, JSON, text, arrays) → the text PostgreSQL prints. Sessions
 * run in UTC, like Redshift.
 *
 * Statements of one transaction never interleave with others: transactions run one at a
 * time per backend (and with PGlite, which has a single connection, every statement waits
 * its turn). Inside `transaction(fn)` use the `tx` handed to `fn`, never the outer backend
 * (that would wait for the transaction itself to end).
 */
import { installMemfsGrowth } from './pglite-memfs.ts';
import pg from 'pg';
import type { CustomTypesConfig, QueryConfig, QueryResult } from 'pg';
import { ConfigError } from '../errors.ts';

export interface SqlColumn {
  name: string;
  /** PostgreSQL type name (`int4`, `varchar`, `numeric`, `timestamp`, …) */
  typeName: string;
}

export interface SqlResult {
  rows: unknown[][];
  columns: SqlColumn[];
  /** rows returned (SELECT, RETURNING) or affected (INSERT, UPDATE, DELETE, MERGE, COPY); 0 for DDL */
  rowCount: number;
}

export interface SqlBackend {
  /** Runs one statement with positional parameters (`$1`, `$2`, …). */
  query(sql: string, params?: unknown[]): Promise<SqlResult>;
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlBackend) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
  /**
   * Whether what is stored outlives this process: false for PGlite in memory. State kept
   * beside such a database (the local Firehose's buffer) can live in memory just as well.
   */
  readonly durable: boolean;
}

// Type names of the built-in types (pg_type.typname), so results need no catalog lookup.
const TYPE_NAMES: Record<number, string> = {
  16: 'bool', 17: 'bytea', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 24: 'regproc', 25: 'text', 26: 'oid',
  114: 'json', 142: 'xml', 650: 'cidr', 700: 'float4', 701: 'float8', 705: 'unknown', 790: 'money', 869: 'inet', 1000: '_bool',
  1005: '_int2', 1007: '_int4', 1009: '_text', 1015: '_varchar', 1016: '_int8', 1021: '_float4', 1022: '_float8', 1042: 'bpchar',
  1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1115: '_timestamp', 1182: '_date', 1184: 'timestamptz',
  1185: '_timestamptz', 1186: 'interval', 1231: '_numeric', 1266: 'timetz', 1560: 'bit', 1562: 'varbit', 1700: 'numeric',
  2205: 'regclass', 2249: 'record', 2950: 'uuid', 2951: '_uuid', 3614: 'tsvector', 3802: 'jsonb', 3807: '_jsonb', 4089: 'regnamespace',
};

/**
 * The type name of a type OID (`unknown(<oid>)` for types outside the built-in list).
 *
 * @example
 * typeNameOf(1043); // → 'varchar'
 */
export function typeNameOf(oid: number): string {
  return TYPE_NAMES[oid] ?? `unknown(${oid})`;
}

/**
 * Converts one value from PostgreSQL's text output by its type OID (see the module comment).
 *
 * @example
 * convertText('t', 16); // → true
 * convertText('9007199254740993', 20); // → '9007199254740993' (not a safe integer)
 */
export function convertText(text: unknown, oid: number): unknown {
  if (text === null || text === undefined) return null;
  if (typeof text !== 'string') return text;
  switch (oid) {
    case 16:
      return text === 't' || text === 'true';
    case 21:
    case 23:
    case 26:
    case 700:
    case 701:
      return Number(text);
    case 20: {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 17: {
      const hex = text.startsWith('\\x') ? text.slice(2) : text;
      return Uint8Array.from(Buffer.from(hex, 'hex'));
    }
    default:
      return text;
  }
}

/** A promise-chain mutex: `run(fn)` starts `fn` when every earlier `run` has settled. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => {});
    return next;
  }
}

/** Wraps a raw statement runner into a `SqlBackend` for the inside of one transaction. */
function txHandle(kind: SqlBackend['kind'], durable: boolean, run: (sql: string, params?: unknown[]) => Promise<SqlResult>): { tx: SqlBackend; end(): void } {
  let open = true;
  const tx: SqlBackend = {
    kind,
    durable,
    query: (sql, params) => (open ? run(sql, params) : Promise.reject(new Error('this transaction has ended'))),
    // Nested transactions flatten into the enclosing one (no savepoints needed here).
    transaction: (fn) => fn(tx),
    close: () => Promise.reject(new Error('close the backend, not a transaction')),
  };
  return { tx, end: () => (open = false) };
}

/**
 * Starts an embedded PostgreSQL (PGlite): in memory, or persisted in `dataDir`.
 *
 * @example
 * const db = await createPgliteBackend();
 * const { rows } = await db.query('SELECT $1::int + 1', [41]); // rows → [[42]]
 * await db.close();
 */
export async function createPgliteBackend(options: { dataDir?: string } = {}): Promise<SqlBackend> {
  const { PGlite, types } = await import('@electric-sql/pglite');
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  // In memory, files live in MEMFS, whose 12.5 % growth steps copy each file ~8 times over.
  if (!options.dataDir) installMemfsGrowth((db as unknown as { mod?: Parameters<typeof installMemfsGrowth>[0] }).mod);
  await db.query("SET TIME ZONE 'UTC'");
  // Identity parsers for every type PGlite would parse itself (built-ins and the array types
  // it loads from the catalog), so all values arrive as PostgreSQL's text.
  const identity = (v: string) => v;
  let parsers: Record<number, (v: string) => unknown> = {};
  let parserKeys = -1;
  const rawParsers = () => {
    const own = (db as unknown as { parsers?: Record<string, unknown> }).parsers ?? {};
    const keys = [...Object.keys(types.parsers), ...Object.keys(own)];
    if (keys.length !== parserKeys) {
      parsers = {};
      for (const k of keys) if (/^\d+$/.test(k)) parsers[Number(k)] = identity;
      parserKeys = keys.length;
    }
    return parsers;
  };
  const lock = new Lock();
  let closed = false;

  const run = async (sql: string, params: unknown[] = []): Promise<SqlResult> => {
    // query() runs exactly one statement; exec() would report cumulative affected rows.
    const r = await db.query<unknown[]>(sql, params, { rowMode: 'array', parsers: rawParsers() });
    const fields = r.fields ?? [];
    const rows = r.rows.map((row) => row.map((v, i) => convertText(v, fields[i]?.dataTypeID ?? 0)));
    const rowCount = fields.length > 0 ? rows.length : (r.affectedRows ?? 0);
    return { rows, columns: fields.map((f) => ({ name: f.name, typeName: typeNameOf(f.dataTypeID) })), rowCount };
  };
  const guard = () => {
    if (closed) throw new Error('the SQL backend is closed');
  };

  return {
    kind: 'pglite',
    durable: options.dataDir !== undefined,
    query: (sql, params) =>
      lock.run(async () => {
        guard();
        return run(sql, params);
      }),
    transaction: (fn) =>
      lock.run(async () => {
        guard();
        await db.query('BEGIN');
        const { tx, end } = txHandle('pglite', options.dataDir !== undefined, run);
        try {
          const out = await fn(tx);
          end();
          await db.query('COMMIT');
          return out;
        } catch (err) {
          end();
          // PGlite leaves the session in the failed transaction: end it ourselves.
          await db.query('ROLLBACK').catch(() => {});
          throw err;
        }
      }),
    close: () =>
      lock.run(async () => {
        if (closed) return;
        closed = true;
        await db.close();
      }),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Connects to a PostgreSQL server by URL (a pool of `pg` connections). With `schema`, the
 * schema is created when missing and set as `search_path` on every connection, which
 * isolates tests sharing one database. Fails fast with `ConfigError('--pg-url', …)` when
 * the server cannot be reached.
 *
 * @example
 * const db = await createPostgresBackend('postgres://postgres@127.0.0.1:5432/test', { schema: 't_123' });
 * await db.transaction(async (tx) => { await tx.query('CREATE TABLE a (x int)'); await tx.query('INSERT INTO a VALUES ($1)', [1]); });
 */
export async function createPostgresBackend(url: string, options: { schema?: string } = {}): Promise<SqlBackend> {
  const schema = options.schema;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new ConfigError('schema', `"${schema}" is not a plain identifier`);
  // Every value as text (no parsing): see the module comment.
  const rawTypes = { getTypeParser: () => (v: string) => v };
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    max: 4,
    types: rawTypes as unknown as CustomTypesConfig,
    options: `-c TimeZone=UTC${schema ? ` -c search_path=${schema}` : ''}`,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process.
  pool.on('error', () => {});
  try {
    if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    else await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw new ConfigError(
      '--pg-url',
      `cannot use PostgreSQL at ${redact(url)}: ${(err as Error).message || (err as { code?: string }).code || String(err)}; start PostgreSQL there, fix the URL, or leave --pg-url out to use the embedded one`,
    );
  }

  const toResult = (r: QueryResult<unknown[]> | QueryResult<unknown[]>[]): SqlResult => {
    // (Defensive: a simple-protocol statement list would yield one result each; keep the last.)
    const last = Array.isArray(r) ? r[r.length - 1]! : r;
    const fields = last.fields ?? [];
    const rows = last.rows.map((row) => row.map((v, i) => convertText(v, fields[i]?.dataTypeID ?? 0)));
    const rowCount = fields.length > 0 ? rows.length : (last.rowCount ?? 0);
    return { rows, columns: fields.map((f) => ({ name: f.name, typeName: typeNameOf(f.dataTypeID) })), rowCount };
  };
  // Always the extended protocol: one statement per query, as PGlite's query() (a statement
  // list would otherwise run here and fail there).
  const config = (text: string, values: unknown[] = []) => ({ text, values, rowMode: 'array' as const, queryMode: 'extended' }) as unknown as QueryConfig<unknown[]>;
  const lock = new Lock();
  let closed = false;
  const guard = () => {
    if (closed) throw new Error('the SQL backend is closed');
  };

  return {
    kind: 'postgres',
    durable: true,
    async query(sql, params = []) {
      guard();
      return toResult(await pool.query<unknown[]>(config(sql, params)));
    },
    // One transaction at a time, as with PGlite, so both engines behave alike under load.
    transaction: (fn) =>
      lock.run(async () => {
        guard();
        const client = await pool.connect();
        const { tx, end } = txHandle('postgres', true, async (sql, params = []) => toResult(await client.query<unknown[]>(config(sql, params))));
        let broken = false;
        try {
          await client.query('BEGIN');
          const out = await fn(tx);
          end();
          await client.query('COMMIT');
          return out;
        } catch (err) {
          end();
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw err;
        } finally {
          client.release(broken);
        }
      }),
    async close() {
      if (closed) return;
      closed = true;
      await lock.run(async () => {});
      await pool.end();
    },
  };
}
