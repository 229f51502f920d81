/**
 * zod schema of a v1 transaction (SPEC §1.2): the source of truth for its shape.
 * `schemas/transaction.v1.json` is exported from it (`npm run schemas`), and the fast
 * validator in `src/validate/` is property-tested against it.
 *
 * Choices where the spec is silent (lengths in Unicode code points, as zod 4 and JSON Schema count):
 * - `sessionId`, `originalTransactionId`: 1–128 chars when present.
 * - `items`: at most {@link MAX_ITEMS} line items.
 * - `country`: any string here; cleaning normalises it (or `ZZ`).
 * - Optional fields must be absent rather than `null`.
 * - Unknown extra fields, at any level, are ignored and dropped.
 */
import { z } from 'zod';
import { countryField, currencyField, decimalField, idField, occurredAtField, quantityField, shortIdField, skuField } from './fields.ts';

/** Most line items one transaction may carry. */
export const MAX_ITEMS = 1000;

export const TRANSACTION_TYPES = ['purchase', 'refund'] as const;
export const TRANSACTION_STATUSES = ['pending', 'completed', 'failed'] as const;
export const PAYMENT_METHODS = ['card', 'paypal', 'bank_transfer', 'wallet', 'other'] as const;

/** One line item; `unitPrice` is in the transaction's currency. */
export const itemSchema = z.object({
  sku: skuField,
  quantity: quantityField,
  unitPrice: decimalField.optional(),
});

/**
 * A v1 transaction.
 *
 * @example
 * transactionSchema.safeParse({
 *   transactionId: 't1', type: 'purchase', status: 'completed',
 *   occurredAt: 1714564800000, customerId: 'c1', amount: '19.99', currency: 'usd',
 * }).success; // true
 */
export const transactionSchema = z.object({
  transactionId: idField,
  type: z.enum(TRANSACTION_TYPES),
  status: z.enum(TRANSACTION_STATUSES),
  occurredAt: occurredAtField,
  customerId: shortIdField,
  amount: decimalField,
  currency: currencyField,
  items: z.array(itemSchema).max(MAX_ITEMS).optional(),
  paymentMethod: z.enum(PAYMENT_METHODS).default('other'),
  country: countryField.optional(),
  sessionId: shortIdField.optional(),
  originalTransactionId: shortIdField.optional(),
  test: z.boolean().optional(),
});

/** What a producer sends (input side of the schema). */
export type TransactionInput = z.input<typeof transactionSchema>;
/** A record that passed the schema (extra fields dropped, `paymentMethod` defaulted). */
export type Transaction = z.infer<typeof transactionSchema>;
