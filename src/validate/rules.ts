/**
 * The validation rules applied after the schema (money conversion, time window) and the
 * result helpers, shared by the fast validators (`index.ts`) and the zod-based reference
 * validators (`zod.ts`) so that both produce identical values and reasons.
 */
import type { RejectReason } from '../types.ts';
import { OUT_OF_RANGE, TOO_MANY_DECIMALS, decimalToMinor } from '../schema/primitives.ts';

export interface ValidateOptions {
  /** how far before its arrival a record's `occurredAt` may be (SPEC: 7 days) */
  allowedLatenessMs: number;
  /** how far after its arrival a record's `occurredAt` may be (SPEC: 5 minutes) */
  futureToleranceMs: number;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; detail: string };

export type Failure = { ok: false; reason: RejectReason; detail: string };

/**
 * A failed result.
 *
 * @example
 * fail('schema_violation', 'eventId: must be 1–64 chars of [A-Za-z0-9_-]');
 */
export function fail(reason: RejectReason, detail: string): Failure {
  return { ok: false, reason, detail };
}

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON type name for details: `null`, `array`, or `typeof`. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Rules 6 and 7 (`future_timestamp`, `too_late`): the failure, or undefined when
 * `occurredAtMs` is inside the window around `arrivalMs` (bounds inclusive).
 *
 * @example
 * timeWindow(1_000, 0, { allowedLatenessMs: 0, futureToleranceMs: 999 })?.reason; // 'future_timestamp'
 */
export function timeWindow(ms: number, arrivalMs: number, options: ValidateOptions): Failure | undefined {
  if (ms - arrivalMs > options.futureToleranceMs) {
    return fail('future_timestamp', `occurredAt: ${ms - arrivalMs} ms after arrival (tolerance ${options.futureToleranceMs} ms)`);
  }
  if (arrivalMs - ms > options.allowedLatenessMs) {
    return fail('too_late', `occurredAt: ${arrivalMs - ms} ms before arrival (allowed lateness ${options.allowedLatenessMs} ms)`);
  }
  return undefined;
}

/**
 * Rules 4 and 5 for one amount: its minor units, or the failure naming `path`.
 *
 * @example
 * toMinor('amount', '19.99', 'USD', 2); // 1999
 * toMinor('amount', '1.5', 'JPY', 0);   // { ok: false, reason: 'too_many_decimals', … }
 */
export function toMinor(path: string, amount: string | number, currency: string, digits: number): number | Failure {
  const minor = decimalToMinor(amount, digits);
  if (minor === TOO_MANY_DECIMALS) {
    return fail('too_many_decimals', `${path}: ${String(amount)} has more than ${digits} decimals for ${currency}`);
  }
  if (minor === OUT_OF_RANGE) {
    return fail('amount_out_of_range', `${path}: ${String(amount)} ${currency} exceeds ${Number.MAX_SAFE_INTEGER} minor units`);
  }
  return minor;
}

/** The `invalid_timestamp` failure for an `occurredAt` of the right JSON type. */
export function invalidTimestamp(v: string | number): Failure {
  return fail('invalid_timestamp', `occurredAt: ${JSON.stringify(v).slice(0, 80)} is not a valid timestamp`);
}
