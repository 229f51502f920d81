/**
 * `up --pg-url` against the real PostgreSQL (127.0.0.1:5432): PostgreSQL keeps its tables
 * across starts, DynamoDB only with the same `--data-dir`. A start whose DynamoDB is empty
 * beside a database that already holds metrics is refused (their answers would disagree);
 * the same `--data-dir` is accepted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, run, startUp, type Up } from '../support/cli.ts';

const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `sm_pgurl_${process.pid}_${Date.now().toString(36)}`;
const pgUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${database}`);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let current: Up | undefined;
beforeAll(async () => admin(`CREATE DATABASE ${database}`));
afterEach(async () => {
  await current?.stop('SIGKILL');
  current = undefined;
});
afterAll(async () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));

describe('up --pg-url', () => {
  it('refuses a database holding metrics beside an empty DynamoDB, accepts it with the same --data-dir', async () => {
    // Prepare: a first run with a --data-dir leaves metrics in PostgreSQL
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pg-url-')), 'state');
    current = await startUp(['--no-producer', '--pg-url', pgUrl, '--data-dir', dataDir]);
    expect((await run(['produce', '--stream', 'clickstream', '--generate', '50'], current.env)).code).toBe(0);
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    await eventually(async () => {
      const r = await run(['query', 'records', '--from', from, '--to', to, '--source', 'redshift', '--format', 'json'], current!.env);
      expect((JSON.parse(r.stdout) as { value: number }[]).reduce((a, x) => a + x.value, 0)).toBe(50);
    }, 120_000, 2_000);
    expect(await current.stop('SIGTERM')).toBe(0);
    current = undefined;

    // Act: a start without that --data-dir (DynamoDB empty), then one with it
    const refused = await startUp(['--no-producer', '--pg-url', pgUrl]).then(
      async (up) => (await up.stop('SIGKILL'), 'started'),
      (err: Error) => err.message,
    );
    current = await startUp(['--no-producer', '--pg-url', pgUrl, '--data-dir', dataDir]);

    // Assert
    expect(refused).toContain('--pg-url: this database already holds metrics of an earlier run');
    const r = await run(['query', 'records', '--from', from, '--to', to, '--format', 'json'], current.env);
    expect((JSON.parse(r.stdout) as { value: number }[]).reduce((a, x) => a + x.value, 0)).toBe(50);
  }, 300_000);
});
