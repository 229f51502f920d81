/**
 * Country normalisation of SPEC §1.1: an assigned ISO 3166-1 alpha-2 code, case-insensitive
 * and trimmed, or `ZZ` (the code ISO reserves for "unknown") for anything else. Not a
 * rejection: a bad country never costs a record.
 */

/**
 * The 249 officially assigned ISO 3166-1 alpha-2 codes (checked against Debian's
 * iso-codes `iso_3166-1.json`). Exceptionally or transitionally reserved codes (`UK`, `EU`,
 * `EZ`, `UN`, `AN`, …) and user-assigned ones (`XX`, `ZZ`, `XK`) are not in it.
 */
export const ASSIGNED_COUNTRY_CODES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS ' +
  'MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS ' +
  'RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW ' +
  'TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');

/** 26×26 table indexed by the two letters (A=0): 1 when the code is assigned. */
const ASSIGNED = new Uint8Array(26 * 26);
for (const code of ASSIGNED_COUNTRY_CODES) ASSIGNED[(code.charCodeAt(0) - 65) * 26 + code.charCodeAt(1) - 65] = 1;

/** `CODE_STRINGS[a * 26 + b]` is the two-letter string, so a hit allocates nothing. */
const CODE_STRINGS: string[] = [];
for (let a = 0; a < 26; a++) for (let b = 0; b < 26; b++) CODE_STRINGS.push(String.fromCharCode(65 + a, 65 + b));

/** The code for an absent or unassigned country. */
export const UNKNOWN_COUNTRY = 'ZZ';

/** Index 0–25 of an ASCII letter in either case, or -1. Only ASCII: `ı`.toUpperCase() is `I`. */
function letter(c: number): number {
  const u = c & ~32;
  return u >= 65 && u <= 90 && (c <= 90 || c >= 97) ? u - 65 : -1;
}

function isTrimmable(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || c === 0x3000 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f;
}

/**
 * Normalises a country: trimmed, upper-cased ISO 3166-1 alpha-2 when it is an assigned
 * code (ASCII letters only), otherwise `ZZ` — also for a missing value or a non-string.
 *
 * @example
 * normalizeCountry(' de ');  // 'DE'
 * normalizeCountry('uk');    // 'ZZ' (the United Kingdom is GB)
 * normalizeCountry(undefined); // 'ZZ'
 */
export function normalizeCountry(value: unknown): string {
  if (typeof value !== 'string') return UNKNOWN_COUNTRY;
  let start = 0;
  let end = value.length;
  if (end !== 2) {
    // Trim only when needed: most values are exactly two letters.
    while (start < end && isTrimmable(value.charCodeAt(start))) start++;
    while (end > start && isTrimmable(value.charCodeAt(end - 1))) end--;
    if (end - start !== 2) return UNKNOWN_COUNTRY;
  }
  const a = letter(value.charCodeAt(start));
  const b = letter(value.charCodeAt(start + 1));
  if (a < 0 || b < 0 || ASSIGNED[a * 26 + b] !== 1) return UNKNOWN_COUNTRY;
  // Hand back the table's own string (no allocation for the upper-casing).
  return CODE_STRINGS[a * 26 + b]!;
}
