import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, currencyDigits, currencyPattern } from '../../src/schema/currencies.ts';

describe('currencyDigits', () => {
  it('knows the minor units of ISO-4217 codes, case-insensitively', () => {
    // Act + Assert
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('eur')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KRW')).toBe(0);
    for (const code of ['BHD', 'KWD', 'JOD', 'OMR', 'TND', 'IQD', 'LYD']) expect(currencyDigits(code), code).toBe(3);
    for (const code of ['CLF', 'UYW']) expect(currencyDigits(code), code).toBe(4);
    expect(currencyDigits('XCG')).toBe(2);
    expect(currencyDigits('ZWG')).toBe(2);
  });

  it('knows nothing else', () => {
    // Act + Assert
    for (const code of ['XYZ', 'XAU', 'XTS', 'XXX', 'XDR', 'US', 'USDD', ' USD', '', 'DEM', 'HRK', 'constructor']) {
      expect(currencyDigits(code), code).toBeUndefined();
    }
  });

  it('is case-insensitive in ASCII only: letters whose Unicode upper case is a Latin letter are not codes', () => {
    // Prepare: 'ı'.toUpperCase() === 'I', 'ſ'.toUpperCase() === 'S', as the JSON Schema pattern already says
    const re = new RegExp(currencyPattern(), 'u');
    // Act + Assert
    for (const code of ['ınr', 'ſek', 'uſd', 'ＵＳＤ']) {
      expect(currencyDigits(code), code).toBeUndefined();
      expect(re.test(code), code).toBe(false);
    }
  });
});

describe('CURRENCY_CODES / currencyPattern', () => {
  it('lists upper-case three-letter codes that Intl also knows as currencies (where ICU has them)', () => {
    // Prepare: ICU lacks a few fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW) and VED
    const icu = new Set(Intl.supportedValuesOf('currency'));
    const notInIcu = ['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW', 'VED'];
    // Act + Assert
    for (const code of CURRENCY_CODES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      if (!notInIcu.includes(code)) expect(icu.has(code), code).toBe(true);
    }
    expect(CURRENCY_CODES.length).toBeGreaterThan(150);
  });

  it('the JSON Schema pattern matches exactly the known codes in any case', () => {
    // Prepare
    const re = new RegExp(currencyPattern(), 'u');
    // Act + Assert
    for (const code of CURRENCY_CODES) {
      expect(re.test(code)).toBe(true);
      expect(re.test(code.toLowerCase())).toBe(true);
    }
    for (const code of ['XYZ', 'XAU', 'USDD', 'US', ' USD']) expect(re.test(code), code).toBe(false);
  });
});
