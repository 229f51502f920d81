/**
 * How an in-memory PGlite grows its files. PGlite keeps an in-memory database in
 * Emscripten's MEMFS, which stores each file in one `Uint8Array` and, when a write goes past
 * its end, allocates a larger one and copies the file into it. Past 1 MiB it grows by only
 * 12.5 %, so a file written from empty to size S is copied about 8·S bytes over its life:
 * a 16 MiB WAL segment or a growing table is copied over and over, with as much short-lived
 * allocation. Measured: `expandFileStorage` was ~6 % of the PGlite thread's CPU in a
 * `bench:e2e` profile (20,000 records); inserting 60,000 rows of ~400 bytes (500 per
 * statement) copied 392 MB and took 1.6–2.4 s, with the policy below 69 MB and 1.4 s. In
 * `bench:e2e` (30,000 records) the difference is within the noise; it grows with the data.
 * Here files grow by doubling up to 256 MiB (about 1·S copied) and by 25 % beyond (so a
 * large table does not reserve twice its size). Only the growth policy changes: the same
 * bytes end up in the same files, which `test/local/pglite-memfs.test.ts` checks through
 * PostgreSQL itself.
 */

/** The parts of Emscripten's MEMFS this touches. */
interface MemfsNode {
  contents: Uint8Array | null;
  usedBytes: number;
}
interface Memfs {
  expandFileStorage(node: MemfsNode, newCapacity: number): void;
  getFileDataAsTypedArray(node: MemfsNode): Uint8Array;
}

/** Doubling up to this capacity, 25 % steps beyond. */
const DOUBLING_LIMIT = 256 * 1024 * 1024;
const PATCHED = Symbol.for('stream-metrics.memfs-growth');

/**
 * The capacity a file of capacity `previous` grows to when it must hold `needed` bytes.
 *
 * @example
 * grownCapacity(1_048_576, 1_048_577); // 2_097_152 (Emscripten's own: 1_179_648)
 */
export function grownCapacity(previous: number, needed: number): number {
  const step = previous < DOUBLING_LIMIT ? previous * 2 : Math.floor(previous * 1.25);
  // As Emscripten: a file that had storage gets at least 256 bytes.
  return Math.max(needed, step, previous > 0 ? 256 : 0);
}

/**
 * Installs the growth policy on a PGlite instance's MEMFS (once per module instance).
 *
 * @example
 * const db = await PGlite.create();
 * installMemfsGrowth(db.mod);
 */
export function installMemfsGrowth(mod: { MEMFS?: Memfs } | undefined): boolean {
  const memfs = mod?.MEMFS;
  if (!memfs || typeof memfs.expandFileStorage !== 'function' || typeof memfs.getFileDataAsTypedArray !== 'function') return false;
  const tagged = memfs as Memfs & { [PATCHED]?: true };
  if (tagged[PATCHED]) return true;
  memfs.expandFileStorage = function expandFileStorage(node: MemfsNode, newCapacity: number): void {
    const previous = node.contents ? node.contents.length : 0;
    if (previous >= newCapacity) return;
    const data = memfs.getFileDataAsTypedArray(node);
    node.contents = new Uint8Array(grownCapacity(previous, newCapacity));
    node.contents.set(data);
  };
  tagged[PATCHED] = true;
  return true;
}
