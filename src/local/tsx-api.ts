/**
 * Where tsx's ESM API lives, for threads that must load the TypeScript sources themselves
 * (the handler sandboxes, the endpoints thread): a worker thread does not inherit the
 * loader the main thread registered.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * The file URL of `tsx/esm/api`, resolved from this package (not from the working
 * directory, which may be anywhere).
 *
 * @example
 * const { register } = await import(tsxApiUrl()); register();
 */
export function tsxApiUrl(): string {
  return pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
}
