/**
 * Test support for the local Redshift Data API and Firehose endpoints: the two SQL engines
 * (an in-process PGlite, and PostgreSQL on 127.0.0.1:5432 db `test` in a fresh schema that
 * is dropped afterwards), SDK clients, and a DescribeStatement poller.
 */
import { DescribeStatementCommand, GetStatementResultCommand, type DescribeStatementCommandOutput, type Field, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { createPgliteBackend, createPostgresBackend, type SqlBackend } from '../../../src/local/sql-backend.ts';

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' };

export interface OpenBackend {
  backend: SqlBackend;
  /** closes the backend and removes what the test created */
  dispose(): Promise<void>;
}

export const BACKENDS: { name: 'pglite' | 'postgres'; open(): Promise<OpenBackend> }[] = [
  {
    name: 'pglite',
    async open() {
      const backend = await createPgliteBackend();
      return { backend, dispose: () => backend.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      const schema = `local_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const backend = await createPostgresBackend(PG_URL, { schema });
      return {
        backend,
        async dispose() {
          await backend.close();
          const admin = new pg.Client({ connectionString: PG_URL });
          await admin.connect();
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  },
];

const DONE = new Set(['FINISHED', 'FAILED', 'ABORTED']);

/** Polls DescribeStatement until the statement is done. */
export async function waitFor(client: RedshiftDataClient, id: string, timeoutMs = 20_000): Promise<DescribeStatementCommandOutput> {
  const start = Date.now();
  for (;;) {
    const d = await client.send(new DescribeStatementCommand({ Id: id }));
    if (DONE.has(d.Status ?? '')) return d;
    if (Date.now() - start > timeoutMs) throw new Error(`statement ${id} still ${d.Status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** All records of a finished statement (every page). */
export async function allRecords(client: RedshiftDataClient, id: string): Promise<{ records: Field[][]; pages: number }> {
  const records: Field[][] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) }));
    pages++;
    records.push(...(page.Records ?? []));
    token = page.NextToken;
  } while (token);
  return { records, pages };
}

/** Catches the error of a promise (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}
