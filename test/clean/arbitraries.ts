/**
 * fast-check arbitraries shared by the cleaning tests: realistic e-mail addresses and the
 * text around them.
 */
import fc from 'fast-check';

const lower = 'abcdefghijklmnopqrstuvwxyz';
const alnum = `${lower}${lower.toUpperCase()}0123456789`;

/** An e-mail address as people write them: `local@domain.tld`. */
export const emailParts = fc.record({
  local: fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...alnum), minLength: 1, maxLength: 12 }),
      fc.string({ unit: fc.constantFrom(...`${alnum}._+-!#$&'*=?^\`{|}~`), maxLength: 10 }),
    )
    .map(([a, b]) => a + b),
  labels: fc.array(
    fc.tuple(fc.string({ unit: fc.constantFrom(...alnum), minLength: 1, maxLength: 10 }), fc.constantFrom('', '-x', '-1')).map(([a, b]) => a + b),
    { minLength: 1, maxLength: 3 },
  ),
  tld: fc.string({ unit: fc.constantFrom(...lower), minLength: 2, maxLength: 6 }),
  at: fc.constantFrom('@', '@', '%40'),
});

export type EmailParts = { local: string; labels: string[]; tld: string; at: string };

export function domainOf(e: EmailParts): string {
  return [...e.labels, e.tld].join('.');
}

export function emailOf(e: EmailParts): string {
  return `${e.local}${e.at}${domainOf(e)}`;
}

/** Characters that end an address in running text. */
export const separator = fc.constantFrom(' ', '\n', '<', '>', ',', ';', '(', ')', '"', ':', '/', '[', ']', ' mailto:', '\t', '、');

/** Free text with e-mail addresses inside; returns the text and the addresses. */
export const textWithEmails = fc
  .array(fc.tuple(fc.string({ maxLength: 12 }), separator, emailParts, separator), { minLength: 1, maxLength: 4 })
  .chain((parts) =>
    fc.string({ maxLength: 8 }).map((tail) => ({
      text: parts.map(([pre, s1, e, s2]) => `${pre}${s1}${emailOf(e)}${s2}`).join('') + tail,
      emails: parts.map(([, , e]) => e),
    })),
  );

/** Asserts helper: true when `out` still holds any of the addresses (or their `@domain`). */
export function leaksEmail(out: string, emails: readonly EmailParts[]): string | null {
  for (const e of emails) {
    const d = domainOf(e);
    if (out.includes(`@${d}`) || out.includes(`%40${d}`) || out.includes(emailOf(e))) return emailOf(e);
  }
  return null;
}
