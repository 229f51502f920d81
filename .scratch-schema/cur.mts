import { CURRENCY_CODES, currencyDigits } from '../src/schema/currencies.ts';
const icu = new Set(Intl.supportedValuesOf('currency'));
for (const c of CURRENCY_CODES) {
  if (!icu.has(c)) console.log('not in ICU', c);
  else { const d = new Intl.NumberFormat('en', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits; if (d !== currencyDigits(c)) console.log('digits differ', c, d, currencyDigits(c)); }
}
console.log(CURRENCY_CODES.length);
