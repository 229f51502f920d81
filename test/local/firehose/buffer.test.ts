import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUFFER_TABLE, ERRORS_TABLE, recordBufferFor } from '../../../src/local/firehose/buffer.ts';
import { createPgliteBackend, type SqlBackend } from '../../../src/local/sql-backend.ts';
import { BACKENDS, type OpenBackend } from '../redshift-data/support.ts';

const rec = (id: string, body: string) => ({ recordId: id, data: Buffer.from(body) });

describe('recordBufferFor: where acknowledged records wait', () => {
  const opened: { close(): Promise<unknown> }[] = [];
  afterAll(async () => {
    for (const o of opened) await o.close().catch(() => {});
  });

  it('keeps the buffer in memory beside an in-memory PGlite, and in a table beside a durable one', async () => {
    // Prepare
    const memory = await createPgliteBackend();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fh-buffer-'));
    const durable = await createPgliteBackend({ dataDir: dir });
    opened.push(memory, durable, { close: async () => fs.rmSync(dir, { recursive: true, force: true }) });

    // Act
    for (const backend of [memory, durable]) {
      const buffer = recordBufferFor(backend);
      await buffer.open();
      await buffer.append('s', 1_000, [rec('r1', '{"id":1}\n')]);
    }
    const tables = async (b: SqlBackend) => (await b.query(`SELECT count(*) FROM pg_tables WHERE tablename = '${BUFFER_TABLE}'`)).rows[0]![0];

    // Assert
    expect(memory.durable).toBe(false);
    expect(durable.durable).toBe(true);
    expect(await tables(memory)).toBe(0);
    expect(await tables(durable)).toBe(1);
    expect((await durable.query(`SELECT record_id FROM ${BUFFER_TABLE}`)).rows).toEqual([['r1']]);
    // The same database object finds the same memory buffer (an endpoint restarted on it).
    expect(await recordBufferFor(memory).size('s')).toEqual({ count: 1, bytes: 9, oldestMs: 1_000 });
    expect((await recordBufferFor(memory).open()).get('s')).toEqual({ count: 1, bytes: 9, oldestMs: 1_000 });
  });

  // PGlite in memory: the memory buffer; PostgreSQL: the table.
  describe.each(BACKENDS)('on $name', ({ open }) => {
    let db: OpenBackend;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it('removes delivered records only when the load commits, oldest first, within the byte limit', async () => {
      // Prepare
      const buffer = recordBufferFor(db.backend);
      await buffer.open();
      await buffer.append('s', 10, [rec('a', 'aaaa'), rec('b', 'bbbb')]);
      await buffer.append('s', 20, [rec('c', 'cccc')]);
      await buffer.append('other', 30, [rec('x', 'xxxx')]);

      // Act
      const failed = await buffer.deliver('s', 8, async () => {
        throw new Error('load failed');
      }).catch((err: Error) => err.message);
      const afterFailure = await buffer.size('s');
      const seen: string[][] = [];
      const first = await buffer.deliver('s', 8, async (_tx, data) => void seen.push(data.map(String)));
      // A record larger than the limit still goes alone, or it would never go.
      const second = await buffer.deliver('s', 1, async (_tx, data) => void seen.push(data.map(String)));
      const third = await buffer.deliver('s', 8, async (_tx, data) => void seen.push(data.map(String)));

      // Assert
      expect(failed).toBe('load failed');
      expect(afterFailure).toEqual({ count: 3, bytes: 12, oldestMs: 10 });
      expect([first, second, third]).toEqual([2, 1, 0]);
      expect(seen).toEqual([['aaaa', 'bbbb'], ['cccc']]);
      expect(await buffer.size('s')).toEqual({ count: 0, bytes: 0, oldestMs: 0 });
      expect(await buffer.size('other')).toEqual({ count: 1, bytes: 4, oldestMs: 30 });
    });

    it('rolls back what the load wrote when it fails, and keeps the records', async () => {
      // Prepare
      const buffer = recordBufferFor(db.backend);
      await buffer.open();
      await db.backend.query('CREATE TABLE fh_target (v TEXT)');
      await buffer.append('t2', 10, [rec('a', 'one')]);

      // Act
      await buffer
        .deliver('t2', 100, async (tx, data) => {
          await tx.query('INSERT INTO fh_target VALUES ($1)', [String(data[0])]);
          throw new Error('after the insert');
        })
        .catch(() => {});
      const rowsAfterFailure = (await db.backend.query('SELECT v FROM fh_target')).rows;
      await buffer.deliver('t2', 100, async (tx, data) => void (await tx.query('INSERT INTO fh_target VALUES ($1)', [String(data[0])])));

      // Assert
      expect(rowsAfterFailure).toEqual([]);
      expect((await db.backend.query('SELECT v FROM fh_target')).rows).toEqual([['one']]);
      expect(await buffer.size('t2')).toMatchObject({ count: 0 });
    });

    it('moves records past the cutoff to the errors table with the error, and drops a stream', async () => {
      // Prepare
      const buffer = recordBufferFor(db.backend);
      await buffer.open();
      await buffer.append('t3', 10, [rec('old-1', 'o1'), rec('old-2', 'o2')]);
      await buffer.append('t3', 50, [rec('new', 'n')]);
      await buffer.append('gone', 10, [rec('g', 'g')]);

      // Act
      const moved = await buffer.moveToErrors('t3', 20, 'ERROR: relation "t" does not exist');
      await buffer.drop('gone');

      // Assert
      expect(moved).toBe(2);
      expect(await buffer.size('t3')).toEqual({ count: 1, bytes: 1, oldestMs: 50 });
      expect(await buffer.size('gone')).toEqual({ count: 0, bytes: 0, oldestMs: 0 });
      const errors = await db.backend.query(`SELECT stream, record_id, arrived_ms, convert_from(data, 'UTF8'), error FROM ${ERRORS_TABLE} ORDER BY seq`);
      expect(errors.rows.map((r) => r.map(String))).toEqual([
        ['t3', 'old-1', '10', 'o1', 'ERROR: relation "t" does not exist'],
        ['t3', 'old-2', '10', 'o2', 'ERROR: relation "t" does not exist'],
      ]);
    });
  });
});
