/**
 * Writes the JSON Schemas (draft 2020-12) of the v1 records, exported from the zod
 * schemas, to `schemas/`. Run with `npm run schemas`; a test fails when the committed
 * files are stale.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSchemas } from '../src/schema/json-schema.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const [file, text] of Object.entries(renderSchemas())) {
  writeFileSync(join(root, 'schemas', file), text);
  console.log(`wrote schemas/${file}`);
}
