import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { grownCapacity, installMemfsGrowth } from '../../src/local/pglite-memfs.ts';

type Mod = { MEMFS: { getFileDataAsTypedArray(node: { usedBytes: number }): Uint8Array } };

/** A workload that grows tables, indexes and the WAL: inserts, updates, deletes, a checkpoint. */
async function workload(db: PGlite): Promise<{ count: number; digest: string }> {
  await db.exec('CREATE TABLE ev (id int PRIMARY KEY, page text, title text, n bigint)');
  for (let b = 0; b < 20; b++) {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: b * 500 + i, page: `shop.example.com/p/${(b * 7 + i) % 97}`, title: `Title ${i} – ${'x'.repeat(i % 200)}`, n: b * i }));
    await db.query('INSERT INTO ev SELECT * FROM json_populate_recordset(null::ev, $1::json)', [JSON.stringify(rows)]);
  }
  await db.exec("UPDATE ev SET title = title || ' (updated)' WHERE id % 3 = 0; DELETE FROM ev WHERE id % 11 = 0; CHECKPOINT;");
  const { rows } = await db.query<{ count: number; digest: string }>("SELECT count(*)::int AS count, md5(string_agg(ev::text, ',' ORDER BY id)) AS digest FROM ev");
  return rows[0]!;
}

/** Counts the bytes MEMFS copies into grown files (each growth reads the file's data once). */
function countCopies(db: PGlite): { bytes: number } {
  const memfs = (db as unknown as { mod: Mod }).mod.MEMFS;
  const seen = { bytes: 0 };
  const read = memfs.getFileDataAsTypedArray.bind(memfs);
  memfs.getFileDataAsTypedArray = (node) => {
    const data = read(node);
    seen.bytes += data.length;
    return data;
  };
  return seen;
}

describe('grownCapacity', () => {
  it('doubles up to 256 MiB, then grows by a quarter, and always fits what is needed', () => {
    // Act / Assert
    expect(grownCapacity(0, 100)).toBe(100);
    expect(grownCapacity(100, 101)).toBe(256);
    expect(grownCapacity(1 << 20, (1 << 20) + 1)).toBe(2 << 20);
    expect(grownCapacity(16 << 20, 64 << 20)).toBe(64 << 20);
    expect(grownCapacity(256 << 20, (256 << 20) + 1)).toBe(320 << 20);
  });
});

describe('installMemfsGrowth', () => {
  it('keeps an in-memory database byte for byte the same, with a fraction of the copying', async () => {
    // Prepare
    const original = await PGlite.create();
    const patched = await PGlite.create();
    try {
      expect(installMemfsGrowth((patched as unknown as { mod: Parameters<typeof installMemfsGrowth>[0] }).mod)).toBe(true);
      const copiedOriginal = countCopies(original);
      const copiedPatched = countCopies(patched);
      // Act
      const a = await workload(original);
      const b = await workload(patched);
      // Assert
      expect(b).toEqual(a);
      expect(a.count).toBe(10_000 - Math.ceil(10_000 / 11));
      expect(copiedPatched.bytes).toBeLessThan(copiedOriginal.bytes / 2);
    } finally {
      await original.close();
      await patched.close();
    }
  });

  it('does nothing without a MEMFS (a database in a data directory)', () => {
    // Act / Assert
    expect(installMemfsGrowth(undefined)).toBe(false);
    expect(installMemfsGrowth({})).toBe(false);
  });
});
