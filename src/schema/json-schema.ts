/**
 * JSON Schema export of the v1 record schemas (zod 4 `z.toJSONSchema`, draft 2020-12).
 * The exported schemas describe what a producer sends (`io: 'input'`): extra fields are
 * allowed and `paymentMethod` is optional. What JSON Schema cannot say is described in the
 * field's `description` and enforced in code only: the WHATWG URL rule (`page.url`), the IP
 * rule, the currency-dependent decimals, the minor-unit range and the time window.
 */
import { z } from 'zod';
import { clickstreamEventSchema } from './clickstream.ts';
import { transactionSchema } from './transaction.ts';

/** JSON Schema `$id`s of the exported files. */
export const SCHEMA_IDS = {
  clickstream: 'https://stream-metrics.dev/schemas/clickstream.v1.json',
  transaction: 'https://stream-metrics.dev/schemas/transaction.v1.json',
} as const;

function exportSchema(schema: z.ZodType, id: string, title: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  return { $schema: json.$schema, $id: id, title, ...json };
}

/**
 * The two JSON Schemas, keyed by file name, as the text written to `schemas/`
 * (pretty-printed, trailing newline).
 *
 * @example
 * const files = renderSchemas();
 * JSON.parse(files['clickstream.v1.json']!).$id; // 'https://stream-metrics.dev/schemas/clickstream.v1.json'
 */
export function renderSchemas(): Record<string, string> {
  const text = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return {
    'clickstream.v1.json': text(exportSchema(clickstreamEventSchema, SCHEMA_IDS.clickstream, 'stream-metrics clickstream event v1')),
    'transaction.v1.json': text(exportSchema(transactionSchema, SCHEMA_IDS.transaction, 'stream-metrics transaction v1')),
  };
}
