/**
 * zod schema of a v1 clickstream event (SPEC §1.1): the source of truth for its shape.
 * `schemas/clickstream.v1.json` is exported from it (`npm run schemas`), and the fast
 * validator in `src/validate/` is property-tested against it.
 *
 * Choices where the spec is silent (lengths in Unicode code points, as zod 4 and JSON Schema count):
 * - `userId`: 1–128 chars or `null`; send `null` or omit it for an anonymous visitor.
 * - `page.referrer`, `page.title`, `search.query`, `country`: any length here ("any
 *   string"); cleaning caps lengths (SPEC §3), a long title is no reason to lose an event.
 * - Optional fields other than `userId` must be absent rather than `null`.
 * - `product` and `search` are required by their event types and optional otherwise; when
 *   present on another type they must still be well-formed (and are kept).
 * - Unknown extra fields, at any level, are ignored and dropped.
 */
import { z } from 'zod';
import {
  countryField,
  currencyField,
  decimalField,
  httpUrlField,
  idField,
  ipField,
  occurredAtField,
  quantityField,
  shortIdField,
  skuField,
} from './fields.ts';

/** The six event types. */
export const CLICK_TYPES = ['page_view', 'click', 'add_to_cart', 'remove_from_cart', 'checkout_started', 'search'] as const;

/** `product` of a cart event. */
export const productSchema = z.object({
  sku: skuField,
  quantity: quantityField,
  price: decimalField,
  currency: currencyField,
});

/** `search` of a search event. */
export const searchSchema = z.object({ query: z.string() });

/** `page`. */
export const pageSchema = z.object({
  url: httpUrlField,
  referrer: z.string().optional(),
  title: z.string().optional(),
});

const common = {
  eventId: idField,
  occurredAt: occurredAtField,
  sessionId: shortIdField,
  anonymousId: shortIdField,
  userId: z.string().min(1).max(128).nullable().optional(),
  page: pageSchema,
  userAgent: z.string().max(1024).optional(),
  ip: ipField.optional(),
  country: countryField.optional(),
  test: z.boolean().optional(),
};

/**
 * A v1 clickstream event. A union on `type` so that the per-type requirements
 * (`product` for cart events, `search` for `search`) appear in the JSON Schema too.
 *
 * @example
 * clickstreamEventSchema.safeParse({
 *   eventId: 'e1', type: 'page_view', occurredAt: '2024-05-01T12:00:00Z',
 *   sessionId: 's1', anonymousId: 'a1', page: { url: 'https://shop.example.com/' },
 * }).success; // true
 */
export const clickstreamEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...common,
    type: z.enum(['add_to_cart', 'remove_from_cart']),
    product: productSchema,
    search: searchSchema.optional(),
  }),
  z.object({
    ...common,
    type: z.literal('search'),
    product: productSchema.optional(),
    search: searchSchema,
  }),
  z.object({
    ...common,
    type: z.enum(['page_view', 'click', 'checkout_started']),
    product: productSchema.optional(),
    search: searchSchema.optional(),
  }),
]);

/** What a producer sends (input side of the schema). */
export type ClickstreamEventInput = z.input<typeof clickstreamEventSchema>;
/** A record that passed the schema (extra fields dropped), before conversion. */
export type ClickstreamEvent = z.infer<typeof clickstreamEventSchema>;
