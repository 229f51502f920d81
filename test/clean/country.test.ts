import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ASSIGNED_COUNTRY_CODES, normalizeCountry } from '../../src/clean/country.ts';

describe('normalizeCountry', () => {
  it('trims and upper-cases assigned codes (SPEC §1.1)', () => {
    const cases: [unknown, string][] = [
      ['DE', 'DE'],
      ['de', 'DE'],
      [' us ', 'US'],
      ['\tGb\n', 'GB'],
      ['gB', 'GB'],
      ['\u00a0fr\u3000', 'FR'],
      ['AX', 'AX'],
      ['SS', 'SS'],
      ['BQ', 'BQ'],
    ];
    for (const [value, expected] of cases) {
      // Act + Assert
      expect(normalizeCountry(value), JSON.stringify(value)).toBe(expected);
    }
  });

  it('gives ZZ for anything else', () => {
    for (const value of ['UK', 'EU', 'XX', 'ZZ', 'XK', 'AN', 'YU', 'USA', 'U', '', '  ', 'D E', 'ıt', 'İT', 'ＤＥ', '12', 'd\u0000', undefined, null, 49, {}, ['DE'], true]) {
      // Act + Assert
      expect(normalizeCountry(value), JSON.stringify(value)).toBe('ZZ');
    }
  });

  it('knows exactly the 249 assigned codes', () => {
    // Act + Assert
    expect(ASSIGNED_COUNTRY_CODES).toHaveLength(249);
    expect(new Set(ASSIGNED_COUNTRY_CODES).size).toBe(249);
    for (const code of ASSIGNED_COUNTRY_CODES) expect(normalizeCountry(code.toLowerCase())).toBe(code);
    let assigned = 0;
    for (let a = 65; a <= 90; a++) for (let b = 65; b <= 90; b++) if (normalizeCountry(String.fromCharCode(a, b)) !== 'ZZ') assigned++;
    expect(assigned).toBe(249);
  });

  it.skipIf(!existsSync('/usr/share/iso-codes/json/iso_3166-1.json'))('matches Debian iso-codes', () => {
    // Prepare
    const data = JSON.parse(readFileSync('/usr/share/iso-codes/json/iso_3166-1.json', 'utf8')) as { '3166-1': { alpha_2: string }[] };
    // Act
    const reference = data['3166-1'].map((c) => c.alpha_2).sort();
    // Assert
    expect([...ASSIGNED_COUNTRY_CODES].sort()).toEqual(reference);
  });
});
