import { describe, expect, it } from 'vitest';
import type { RejectReason } from '../../src/types.ts';
import {
  validateClick,
  validateClickWithZod,
  validateTransaction,
  validateTransactionWithZod,
} from '../../src/validate/index.ts';
import type { ValidateOptions, ValidationResult } from '../../src/validate/index.ts';

const ARRIVAL = Date.parse('2024-05-01T12:00:00Z');
const OPTIONS: ValidateOptions = { allowedLatenessMs: 7 * 86_400_000, futureToleranceMs: 300_000 };

const click = {
  eventId: 'evt-1',
  type: 'page_view',
  occurredAt: '2024-05-01T11:59:00Z',
  sessionId: ' s1 ',
  anonymousId: 'a1',
  page: { url: 'https://shop.example.com/cart?x=1', referrer: 'https://google.com/', title: ' Cart ' },
};

const tx = {
  transactionId: 'tx-1',
  type: 'purchase',
  status: 'completed',
  occurredAt: ARRIVAL - 1000,
  customerId: 'c1',
  amount: '19.99',
  currency: 'usd',
};

/** Runs both implementations and checks they agree, returning the fast one's result. */
function checkClick(record: unknown, arrival = ARRIVAL, options = OPTIONS): ValidationResult<unknown> {
  const fast = validateClick(record, arrival, options);
  const zod = validateClickWithZod(record, arrival, options);
  expect(fast.ok ? fast : { ok: false, reason: fast.reason }).toEqual(zod.ok ? zod : { ok: false, reason: zod.reason });
  return fast;
}

function checkTx(record: unknown, arrival = ARRIVAL, options = OPTIONS): ValidationResult<unknown> {
  const fast = validateTransaction(record, arrival, options);
  const zod = validateTransactionWithZod(record, arrival, options);
  expect(fast.ok ? fast : { ok: false, reason: fast.reason }).toEqual(zod.ok ? zod : { ok: false, reason: zod.reason });
  return fast;
}

function reasonOf(r: ValidationResult<unknown>): RejectReason | 'ok' {
  return r.ok ? 'ok' : r.reason;
}

describe('validateClick', () => {
  it('returns the event with times converted and strings as sent', () => {
    // Act
    const r = checkClick({ ...click, userId: null, unknown: 1, page: { ...click.page, extra: true } });
    // Assert
    expect(r).toEqual({
      ok: true,
      value: {
        eventId: 'evt-1',
        type: 'page_view',
        occurredAtMs: Date.parse('2024-05-01T11:59:00Z'),
        sessionId: ' s1 ',
        anonymousId: 'a1',
        userId: null,
        page: { url: 'https://shop.example.com/cart?x=1', referrer: 'https://google.com/', title: ' Cart ' },
      },
    });
  });

  it('converts the product price to minor units of its upper-cased currency', () => {
    // Act
    const r = checkClick({ ...click, type: 'add_to_cart', product: { sku: 'S', quantity: 2, price: 1.5, currency: 'kwd' } });
    // Assert
    expect(r.ok && (r.value as { product: unknown }).product).toEqual({ sku: 'S', quantity: 2, priceMinor: 1500, currency: 'KWD' });
  });

  it('gives schema_violation with the field path and the rule', () => {
    // Prepare
    const cases: [unknown, string][] = [
      [null, '(root)'],
      [[click], '(root)'],
      [{ ...click, eventId: 'evt 1' }, 'eventId: must be 1–64 chars of [A-Za-z0-9_-]'],
      [{ ...click, eventId: 'e'.repeat(65) }, 'eventId:'],
      [{ ...click, type: 'view' }, 'type:'],
      [{ ...click, occurredAt: true }, 'occurredAt:'],
      [{ ...click, sessionId: '' }, 'sessionId: must be at least 1 chars'],
      [{ ...click, anonymousId: 'a'.repeat(129) }, 'anonymousId: must be at most 128 chars'],
      [{ ...click, userId: 7 }, 'userId:'],
      [{ ...click, page: 'https://x.com' }, 'page:'],
      [{ ...click, page: { url: 'ftp://x.com/' } }, 'page.url: not an absolute http(s) URL'],
      [{ ...click, page: { url: '/cart' } }, 'page.url: not an absolute http(s) URL'],
      [{ ...click, page: { url: `https://x.com/${'p'.repeat(2035)}` } }, 'page.url: must be at most 2048 chars'],
      [{ ...click, page: { ...click.page, referrer: null } }, 'page.referrer:'],
      [{ ...click, type: 'add_to_cart' }, 'product: required for add_to_cart'],
      [{ ...click, type: 'remove_from_cart', product: { sku: 'S', quantity: 1.5, price: '1', currency: 'USD' } }, 'product.quantity:'],
      [{ ...click, type: 'add_to_cart', product: { sku: 'S', quantity: 1, price: '1.', currency: 'USD' } }, 'product.price:'],
      [{ ...click, type: 'search' }, 'search: required for search'],
      [{ ...click, type: 'search', search: { query: 5 } }, 'search.query:'],
      [{ ...click, userAgent: 'u'.repeat(1025) }, 'userAgent: must be at most 1024 chars'],
      [{ ...click, ip: '256.0.0.1' }, 'ip: not an IPv4 or IPv6 address'],
      [{ ...click, test: 'true' }, 'test:'],
    ];
    for (const [record, detail] of cases) {
      // Act
      const r = checkClick(record);
      // Assert
      expect(reasonOf(r), JSON.stringify(record)).toBe('schema_violation');
      expect(!r.ok && r.detail, JSON.stringify(record)).toContain(detail);
    }
  });

  it('accepts boundary lengths and any country, of any type (not a string: unknown, never a rejection)', () => {
    // Act + Assert
    for (const country of [null, 123, true, ['DE'], { code: 'DE' }]) {
      const r = checkClick({ ...click, country });
      expect(reasonOf(r), JSON.stringify(country)).toBe('ok');
      expect(r.ok && (r.value as { country?: unknown }).country, JSON.stringify(country)).toBeUndefined();
      const t = checkTx({ ...tx, country });
      expect(reasonOf(t), JSON.stringify(country)).toBe('ok');
      expect(t.ok && (t.value as { country?: unknown }).country, JSON.stringify(country)).toBeUndefined();
    }
    expect(reasonOf(checkClick({ ...click, eventId: 'e'.repeat(64), sessionId: '😀'.repeat(128), country: 'not a country' }))).toBe('ok');
    expect(reasonOf(checkClick({ ...click, userAgent: 'u'.repeat(1024), ip: '2001:db8::1', page: { url: `https://x.com/${'p'.repeat(2034)}` } }))).toBe('ok');
  });

  it('gives invalid_timestamp for a string or number that is not a real time', () => {
    for (const occurredAt of ['2023-02-29T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:00:00+24:00', '2024-01-01T00:00:00', 'yesterday', -1, 1.5, 2 ** 53]) {
      // Act + Assert
      expect(reasonOf(checkClick({ ...click, occurredAt })), String(occurredAt)).toBe('invalid_timestamp');
    }
  });

  it('gives unknown_currency, too_many_decimals and amount_out_of_range for the product', () => {
    // Prepare
    const cart = (price: unknown, currency: unknown): unknown => ({ ...click, type: 'add_to_cart', product: { sku: 'S', quantity: 1, price, currency } });
    // Act + Assert
    expect(reasonOf(checkClick(cart('1', 'XYZ')))).toBe('unknown_currency');
    expect(reasonOf(checkClick(cart('1.5', 'JPY')))).toBe('too_many_decimals');
    expect(reasonOf(checkClick(cart(0.30000000000000004, 'USD')))).toBe('too_many_decimals');
    expect(reasonOf(checkClick(cart(1e21, 'USD')))).toBe('amount_out_of_range');
    expect(reasonOf(checkClick(cart('90071992547409.92', 'USD')))).toBe('amount_out_of_range');
  });

  it('measures the time window against the arrival time, bounds inclusive', () => {
    // Act + Assert
    expect(reasonOf(checkClick({ ...click, occurredAt: ARRIVAL + 300_000 }))).toBe('ok');
    expect(reasonOf(checkClick({ ...click, occurredAt: ARRIVAL + 300_001 }))).toBe('future_timestamp');
    expect(reasonOf(checkClick({ ...click, occurredAt: ARRIVAL - OPTIONS.allowedLatenessMs }))).toBe('ok');
    expect(reasonOf(checkClick({ ...click, occurredAt: ARRIVAL - OPTIONS.allowedLatenessMs - 1 }))).toBe('too_late');
    expect(reasonOf(checkClick({ ...click, occurredAt: '2024-05-01T14:04:59.999+02:00' }))).toBe('ok');
    expect(reasonOf(checkClick({ ...click, occurredAt: '2024-05-01T14:05:00.001+02:00' }))).toBe('future_timestamp');
    expect(reasonOf(checkClick({ ...click, occurredAt: 0 }))).toBe('too_late');
  });

  it('checks in the documented order: schema, timestamp, currency, decimals, range, window', () => {
    // Prepare: a record breaking every rule at once, then repaired rule by rule
    const product = { sku: 'S', quantity: 1, price: '1.5', currency: 'XYZ' };
    const r0 = { ...click, type: 'add_to_cart', eventId: '', occurredAt: '2023-02-29T00:00:00Z', product };
    const r1 = { ...r0, eventId: 'e1' };
    const r2 = { ...r1, occurredAt: ARRIVAL + 3_600_000 };
    const r3 = { ...r2, product: { ...product, currency: 'JPY' } };
    const r4 = { ...r3, product: { ...product, currency: 'JPY', price: '9007199254740992' } };
    const r5 = { ...r4, product: { ...product, currency: 'JPY', price: '1' } };
    // Act + Assert
    expect([r0, r1, r2, r3, r4, r5].map((r) => reasonOf(checkClick(r)))).toEqual([
      'schema_violation',
      'invalid_timestamp',
      'unknown_currency',
      'too_many_decimals',
      'amount_out_of_range',
      'future_timestamp',
    ]);
  });
});

describe('validateTransaction', () => {
  it('returns the transaction with money in minor units and defaults filled', () => {
    // Act
    const r = checkTx({ ...tx, extra: [1] });
    // Assert
    expect(r).toEqual({
      ok: true,
      value: {
        transactionId: 'tx-1',
        type: 'purchase',
        status: 'completed',
        occurredAtMs: ARRIVAL - 1000,
        customerId: 'c1',
        amountMinor: 1999,
        currency: 'USD',
        items: [],
        paymentMethod: 'other',
      },
    });
  });

  it('prices items in the transaction currency', () => {
    // Act
    const r = checkTx({
      ...tx,
      currency: 'bhd',
      amount: 12.345,
      items: [{ sku: 'A', quantity: 1, unitPrice: '12.345' }, { sku: 'B', quantity: 3 }],
      paymentMethod: 'wallet',
      sessionId: 's1',
      originalTransactionId: 'tx-0',
      country: 'bh',
      test: true,
    });
    // Assert
    expect(r.ok && r.value).toMatchObject({
      amountMinor: 12_345,
      currency: 'BHD',
      items: [
        { sku: 'A', quantity: 1, unitPriceMinor: 12_345 },
        { sku: 'B', quantity: 3, unitPriceMinor: null },
      ],
      paymentMethod: 'wallet',
      sessionId: 's1',
      originalTransactionId: 'tx-0',
      country: 'bh',
      test: true,
    });
  });

  it('gives schema_violation with the field path and the rule', () => {
    // Prepare
    const cases: [unknown, string][] = [
      [{ ...tx, transactionId: undefined }, 'transactionId:'],
      [{ ...tx, type: 'chargeback' }, 'type:'],
      [{ ...tx, status: 'COMPLETED' }, 'status:'],
      [{ ...tx, customerId: 'c'.repeat(129) }, 'customerId:'],
      [{ ...tx, amount: '-1.00' }, 'amount: not a decimal'],
      [{ ...tx, amount: '1e3' }, 'amount: not a decimal'],
      [{ ...tx, amount: -1 }, 'amount: must be ≥ 0'],
      // `1e400` in the JSON text: JSON.parse gives Infinity
      [JSON.parse(`${JSON.stringify({ ...tx, amount: 0 }).slice(0, -1)},"amount":1e400}`), 'amount: must be a finite number'],
      [{ ...tx, currency: 840 }, 'currency:'],
      [{ ...tx, items: [{ sku: 'A', quantity: 0 }] }, 'items.0.quantity:'],
      [{ ...tx, items: [{ sku: 'A', quantity: 1, unitPrice: '1,00' }] }, 'items.0.unitPrice:'],
      [{ ...tx, items: Array.from({ length: 1001 }, () => ({ sku: 'A', quantity: 1 })) }, 'items:'],
      [{ ...tx, paymentMethod: 'cash' }, 'paymentMethod:'],
      [{ ...tx, paymentMethod: null }, 'paymentMethod:'],
      [{ ...tx, sessionId: '' }, 'sessionId:'],
      [{ ...tx, originalTransactionId: 5 }, 'originalTransactionId:'],
    ];
    for (const [record, detail] of cases) {
      // Act
      const r = checkTx(record);
      // Assert
      expect(reasonOf(r), JSON.stringify(record).slice(0, 200)).toBe('schema_violation');
      expect(!r.ok && r.detail).toContain(detail);
    }
  });

  it('gives the money reasons for the amount and the item prices', () => {
    // Act + Assert
    expect(reasonOf(checkTx({ ...tx, currency: 'usdx' }))).toBe('unknown_currency');
    expect(reasonOf(checkTx({ ...tx, currency: 'XTS' }))).toBe('unknown_currency');
    expect(reasonOf(checkTx({ ...tx, currency: 'ınr' }))).toBe('unknown_currency'); // dotless ı: not an ASCII case of INR
    expect(reasonOf(checkTx({ ...tx, currency: 'ſek' }))).toBe('unknown_currency'); // long s
    expect(reasonOf(checkTx({ ...tx, currency: 'JPY', amount: '100.0' }))).toBe('too_many_decimals');
    expect(reasonOf(checkTx({ ...tx, amount: '19.999' }))).toBe('too_many_decimals');
    expect(reasonOf(checkTx({ ...tx, amount: 1e-7 }))).toBe('too_many_decimals');
    expect(reasonOf(checkTx({ ...tx, currency: 'CLF', amount: '1.2345' }))).toBe('ok');
    expect(reasonOf(checkTx({ ...tx, items: [{ sku: 'A', quantity: 1, unitPrice: 0.001 }] }))).toBe('too_many_decimals');
    expect(reasonOf(checkTx({ ...tx, amount: 1e21 }))).toBe('amount_out_of_range');
    expect(reasonOf(checkTx({ ...tx, currency: 'JPY', amount: 9_007_199_254_740_991 }))).toBe('ok');
    expect(reasonOf(checkTx({ ...tx, items: [{ sku: 'A', quantity: 1, unitPrice: '90071992547409.92' }] }))).toBe('amount_out_of_range');
  });

  it('gives the timestamp reasons', () => {
    // Act + Assert
    expect(reasonOf(checkTx({ ...tx, occurredAt: '2024-04-31T00:00:00Z' }))).toBe('invalid_timestamp');
    expect(reasonOf(checkTx({ ...tx, occurredAt: '1714564800000' }))).toBe('invalid_timestamp');
    expect(reasonOf(checkTx({ ...tx, occurredAt: ARRIVAL + 300_001 }))).toBe('future_timestamp');
    expect(reasonOf(checkTx({ ...tx, occurredAt: '2024-04-01T00:00:00Z' }))).toBe('too_late');
    expect(reasonOf(checkTx({ ...tx, occurredAt: '2024-04-24T12:00:00Z' }))).toBe('ok');
  });

  it('honours the options', () => {
    // Act + Assert
    expect(reasonOf(checkTx({ ...tx, occurredAt: ARRIVAL - 2000 }, ARRIVAL, { allowedLatenessMs: 1000, futureToleranceMs: 0 }))).toBe('too_late');
    expect(reasonOf(checkTx({ ...tx, occurredAt: ARRIVAL + 1 }, ARRIVAL, { allowedLatenessMs: 1000, futureToleranceMs: 0 }))).toBe('future_timestamp');
  });
});
