/**
 * Test support for the Redshift side: a fresh PostgreSQL schema per test file (db `test`
 * on 127.0.0.1:5432) and an in-process PGlite, each as a plain `SqlDb` that runs one
 * statement (array rows) or a list of statements in one transaction, as the Data API does.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { createPgliteBackend, createPostgresBackend, type SqlBackend } from '../../../src/local/sql-backend.ts';

export interface SqlDb {
  name: 'postgres' | 'pglite';
  /** runs one statement, rows as arrays */
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[][] }>;
  /** runs statements in one transaction (like BatchExecuteStatement) */
  transaction(sqls: string[]): Promise<void>;
  close(): Promise<void>;
}

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A PostgreSQL pool whose search path is a fresh schema, dropped on close. A pool, so that
 * concurrent transactions really run concurrently, each on its own connection (as Data API
 * statements each have their own session).
 */
export async function openPostgres(): Promise<SqlDb & { schema: string }> {
  const schema = `rs_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4, options: `-c search_path=${schema} -c TimeZone=UTC` });
  return {
    name: 'postgres',
    schema,
    async query(sql, params) {
      const r = await pool.query({ text: sql, values: params ?? [], rowMode: 'array' });
      return { rows: r.rows as unknown[][] };
    },
    async transaction(sqls) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        try {
          for (const s of sqls) await client.query(s);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
      await pool.end();
    },
  };
}

/** An in-memory PGlite. It has one connection: statements and transactions take turns. */
export async function openPglite(): Promise<SqlDb> {
  const db = new PGlite();
  await db.waitReady;
  let tail: Promise<unknown> = Promise.resolve();
  const turn = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => {});
    return next;
  };
  return {
    name: 'pglite',
    query: (sql, params) => turn(async () => ({ rows: (await db.query<unknown[]>(sql, params ?? [], { rowMode: 'array' })).rows })),
    transaction: (sqls) =>
      turn(async () => {
        await db.query('BEGIN');
        try {
          for (const s of sqls) await db.query(s);
          await db.query('COMMIT');
        } catch (err) {
          await db.query('ROLLBACK');
          throw err;
        }
      }),
    async close() {
      await db.close();
    },
  };
}

/** Hostile strings: quotes, statement separators, comments, backslashes, unicode, long. */
export const HOSTILE: readonly string[] = [
  "O'Brien",
  "''; DROP TABLE metric_counters; --",
  "x' OR '1'='1",
  '-- not a comment',
  '/* not a comment */ */ /*',
  '\\',
  'ends with backslash \\',
  "\\' escaped quote?",
  '\\\\server\\share\\n\\t\\x00',
  'E\'\\n\'',
  '$$ dollar $tag$ quoting $$',
  '"double" "quotes"',
  ':param :: casts ::text',
  'emoji 😀🎉👩‍👩‍👧',
  'rtl \u202Eevil\u202C and \u200F marks \u200E',
  'zero width \u200B\uFEFF joiner',
  'ümlaut façade 漢字 한국어 العربية',
  'tab\tnewline\ncr\r',
  ';',
  '%_ like wildcards %',
];

/** A long hostile string of roughly `bytes` bytes of UTF-8 (multi-byte characters included). */
export function longHostile(bytes: number): string {
  const unit = "'\\;--😀é";
  // unit = 1+1+1+1+1+4+2 = 11 bytes
  return unit.repeat(Math.floor(bytes / Buffer.byteLength(unit)));
}

/**
 * The project's SQL backend (what the local Data API and Firehose endpoints run on) for
 * PostgreSQL (a fresh schema, dropped on close) or PGlite, plus a `SqlDb` view of it for
 * direct assertions.
 */
export async function openBackend(kind: 'postgres' | 'pglite'): Promise<{ backend: SqlBackend; db: SqlDb }> {
  const schema = `rs_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const backend = kind === 'postgres' ? await createPostgresBackend(PG_URL, { schema }) : await createPgliteBackend();
  const db: SqlDb = {
    name: kind,
    query: async (sql, params) => ({ rows: (await backend.query(sql, params)).rows }),
    transaction: (sqls) =>
      backend.transaction(async (tx) => {
        for (const s of sqls) await tx.query(s);
      }),
    async close() {
      if (kind === 'postgres') await backend.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {});
      await backend.close();
    },
  };
  return { backend, db };
}
