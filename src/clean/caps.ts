/**
 * Length caps of cleaned strings, in UTF-16 code units (README "Cleaning").
 *
 * Identifier caps are twice the validator's code-point limits (SPEC §1: 64 and 128
 * characters), so no identifier that passed validation is ever cut — cutting could merge
 * two distinct ids and corrupt distinct counts — while a pathological one stays bounded.
 */
export const CAPS = {
  /** `sku` (validated: 1–64 characters) */
  shortId: 128,
  /** `sessionId`, `anonymousId`, `userId`, `customerId`, `originalTransactionId` (1–128) */
  longId: 256,
  title: 512,
  searchQuery: 256,
  userAgent: 1024,
} as const;
