/**
 * zod field schemas shared by the two record schemas. Each carries the rule from
 * `primitives.ts`, plus JSON Schema metadata where a zod refinement has no JSON Schema
 * equivalent (so the exported schema says as much as JSON Schema can).
 */
import { z } from 'zod';
import { currencyDigits, currencyPattern } from './currencies.ts';
import { DECIMAL_PATTERN, ID_PATTERN, ISO_TIMESTAMP_PATTERN, isHttpUrl, isIpAddress } from './primitives.ts';

/** zod issue `params.reason` of the rules whose failure is not a `schema_violation`. */
export interface ReasonParams {
  reason: 'unknown_currency';
}

/** `eventId` / `transactionId`: 1–64 chars of `[A-Za-z0-9_-]`. */
export const idField = z
  .string()
  .min(1)
  .max(64)
  .regex(new RegExp(ID_PATTERN), { error: 'must be 1–64 chars of [A-Za-z0-9_-]' });

/** A free identifier (session, customer, …): 1–128 code points. */
export const shortIdField = z.string().min(1).max(128);

/**
 * `occurredAt`: an ISO-8601 string of the v1 format (a real calendar date and time) or a
 * non-negative safe integer of epoch milliseconds. A wrong JSON type is a
 * `schema_violation`; a string or number that is not a valid timestamp is
 * `invalid_timestamp` (the validators decide this by the input's JSON type).
 */
export const occurredAtField = z.union([
  z.string().regex(new RegExp(ISO_TIMESTAMP_PATTERN), {
    error: 'not YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm) with a real date and time',
  }),
  z.int().min(0, { error: 'epoch milliseconds must be ≥ 0' }),
]);

/**
 * A money amount: a string `digits[.digits]` or a non-negative JSON number (read as
 * `String(n)`). The currency-dependent decimals rule and the range rule are checked after
 * the schema, in code (`too_many_decimals`, `amount_out_of_range`).
 */
export const decimalField = z.union([
  z.string().regex(new RegExp(DECIMAL_PATTERN), { error: 'not a decimal digits[.digits]' }),
  z.number().min(0, { error: 'must be ≥ 0' }),
]);

/** An active ISO-4217 code, any letter case; an unknown code is `unknown_currency`. */
export const currencyField = z
  .string()
  .refine((s) => currencyDigits(s) !== undefined, {
    error: 'not an active ISO-4217 currency code',
    params: { reason: 'unknown_currency' } satisfies ReasonParams,
  })
  .meta({ pattern: currencyPattern() });

/** `page.url`: an absolute http(s) URL for the WHATWG parser, at most 2048 chars. */
export const httpUrlField = z
  .string()
  .max(2048)
  .refine(isHttpUrl, { error: 'not an absolute http(s) URL' })
  .meta({ description: 'absolute http or https URL as the WHATWG URL parser reads it' });

/** `ip`: IPv4 or IPv6 as `node:net` `isIP` reads it. */
export const ipField = z
  .string()
  .refine(isIpAddress, { error: 'not an IPv4 or IPv6 address' })
  .meta({ description: 'IPv4 or IPv6 address' });

/** SKU of a product or line item: 1–64 chars. */
export const skuField = z.string().min(1).max(64);

/** A count of units: a safe integer ≥ 1. */
export const quantityField = z.int().min(1);

/**
 * `country`: an ISO 3166-1 alpha-2 code in any case, surrounding white space allowed. SPEC
 * §1.1: anything that is not an assigned code is `ZZ`, "not a rejection" — so any JSON value
 * is accepted here, whatever its type (`null`, a number…), and cleaning makes it `ZZ`.
 */
export const countryField = z.unknown().meta({ description: 'ISO 3166-1 alpha-2 country code, case-insensitive, trimmed; any other value (of any type) counts as unknown (ZZ), never a rejection' });
