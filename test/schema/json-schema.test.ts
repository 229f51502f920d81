import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clickstreamEventSchema } from '../../src/schema/clickstream.ts';
import { renderSchemas } from '../../src/schema/json-schema.ts';
import { transactionSchema } from '../../src/schema/transaction.ts';
import { CLICK_PATHS, TRANSACTION_PATHS, mutated, validClickArb, validTransactionArb } from '../validate/arbitraries.ts';

const root = join(import.meta.dirname, '..', '..');
const committed = (file: string): string => readFileSync(join(root, 'schemas', file), 'utf8');

function compile(file: string) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  return ajv.compile(JSON.parse(committed(file)) as object);
}

const validClick = {
  eventId: 'evt_01-A',
  type: 'add_to_cart',
  occurredAt: '2024-02-29T23:59:59.123456+05:30',
  sessionId: 's-1',
  anonymousId: 'anon-1',
  userId: null,
  page: { url: 'https://shop.example.com/cart', referrer: '', title: 'Cart' },
  product: { sku: 'SKU-1', quantity: 2, price: '19.99', currency: 'eur' },
  userAgent: 'Mozilla/5.0',
  ip: '203.0.113.7',
  country: 'de',
  test: false,
  unknownExtra: { nested: true },
};

const validTransaction = {
  transactionId: 'tx_1',
  type: 'purchase',
  status: 'completed',
  occurredAt: 1_714_564_800_000,
  customerId: 'c-42',
  amount: 19.99,
  currency: 'USD',
  items: [{ sku: 'SKU-1', quantity: 1, unitPrice: '19.99' }],
  extra: 1,
};

describe('schemas/*.json', () => {
  it('are up to date with the zod schemas (run `npm run schemas`)', () => {
    // Act
    const fresh = renderSchemas();
    // Assert
    for (const [file, text] of Object.entries(fresh)) expect(committed(file), file).toBe(text);
  });

  it('are draft 2020-12 schemas that ajv compiles in strict mode', () => {
    // Act + Assert
    for (const file of ['clickstream.v1.json', 'transaction.v1.json']) {
      expect(JSON.parse(committed(file)).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(() => compile(file)).not.toThrow();
    }
  });

  it('agree with zod on hand-picked valid and invalid records', () => {
    // Prepare
    const click = compile('clickstream.v1.json');
    const tx = compile('transaction.v1.json');
    const clicks: unknown[] = [
      validClick,
      { ...validClick, type: 'page_view', product: undefined },
      { ...validClick, eventId: 'bad id' },
      { ...validClick, eventId: 'x'.repeat(65) },
      { ...validClick, occurredAt: '2023-02-29T00:00:00Z' },
      { ...validClick, occurredAt: '2024-01-01T24:00:00Z' },
      { ...validClick, occurredAt: -1 },
      { ...validClick, occurredAt: 1.5 },
      { ...validClick, type: 'add_to_cart', product: undefined },
      { ...validClick, type: 'search' },
      { ...validClick, type: 'search', search: { query: 'shoes' } },
      { ...validClick, product: { ...validClick.product, currency: 'XYZ' } },
      { ...validClick, product: { ...validClick.product, quantity: 0 } },
      { ...validClick, product: { ...validClick.product, price: '-1' } },
      { ...validClick, userId: '' },
      { ...validClick, userAgent: 'x'.repeat(1025) },
      { ...validClick, test: 'yes' },
      null,
      [],
    ].map((r) => JSON.parse(JSON.stringify(r)) as unknown);
    const txs: unknown[] = [
      validTransaction,
      { ...validTransaction, currency: 'jpy', amount: '100' },
      { ...validTransaction, amount: '1e5' },
      { ...validTransaction, amount: -0.01 },
      { ...validTransaction, currency: 'XAU' },
      { ...validTransaction, status: 'done' },
      { ...validTransaction, paymentMethod: 'cash' },
      { ...validTransaction, paymentMethod: 'wallet' },
      { ...validTransaction, items: [{ sku: '', quantity: 1 }] },
      { ...validTransaction, items: {} },
      { ...validTransaction, customerId: 'c'.repeat(129) },
    ];
    // Act + Assert
    for (const r of clicks) expect(click(r), JSON.stringify(r)).toBe(clickstreamEventSchema.safeParse(r).success);
    for (const r of txs) expect(tx(r), JSON.stringify(r)).toBe(transactionSchema.safeParse(r).success);
    expect(click(clicks[0])).toBe(true);
    expect(tx(txs[0])).toBe(true);
  });

  it('agree with zod on generated records, except for the rules JSON Schema cannot express', () => {
    // Prepare: URL and IP rules are code-only (documented); keep those fields valid
    const click = compile('clickstream.v1.json');
    const tx = compile('transaction.v1.json');
    const clickPaths = CLICK_PATHS.filter((p) => p !== 'page.url' && p !== 'ip' && p !== 'page');
    // Act + Assert
    fc.assert(
      fc.property(fc.oneof(validClickArb, mutated(validClickArb, clickPaths)), (record) => {
        const r = JSON.parse(JSON.stringify(record)) as unknown;
        expect(click(r)).toBe(clickstreamEventSchema.safeParse(r).success);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.oneof(validTransactionArb, mutated(validTransactionArb, TRANSACTION_PATHS)), (record) => {
        const r = JSON.parse(JSON.stringify(record)) as unknown;
        expect(tx(r)).toBe(transactionSchema.safeParse(r).success);
      }),
      { numRuns: 2000 },
    );
  });
});
