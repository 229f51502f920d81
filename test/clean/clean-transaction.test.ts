import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanTransaction } from '../../src/clean/clean-transaction.ts';
import type { ValidTransaction } from '../../src/types.ts';
import { emailOf, emailParts, leaksEmail } from './arbitraries.ts';

const base: ValidTransaction = {
  transactionId: 'tx_1',
  type: 'purchase',
  status: 'completed',
  occurredAtMs: 1_714_564_800_000,
  customerId: 'c1',
  amountMinor: 1999,
  currency: 'USD',
  items: [],
  paymentMethod: 'other',
};

describe('cleanTransaction', () => {
  it('cleans every field (SPEC §3)', () => {
    // Act
    const t = cleanTransaction({
      ...base,
      type: 'refund',
      customerId: ' c1\u0007 ',
      items: [
        { sku: ' SKU-1 ', quantity: 2, unitPriceMinor: 999 },
        { sku: 'SKU-2\n', quantity: 1, unitPriceMinor: null },
      ],
      paymentMethod: 'card',
      country: 'gb ',
      sessionId: ' s1 ',
      originalTransactionId: 'tx_0',
      test: false,
    });
    // Assert
    expect(t).toEqual({
      kind: 'transactions',
      transactionId: 'tx_1',
      type: 'refund',
      status: 'completed',
      occurredAtMs: 1_714_564_800_000,
      customerId: 'c1',
      amountMinor: 1999,
      currency: 'USD',
      items: [
        { sku: 'SKU-1', quantity: 2, unitPriceMinor: 999 },
        { sku: 'SKU-2', quantity: 1, unitPriceMinor: null },
      ],
      paymentMethod: 'card',
      country: 'GB',
      sessionId: 's1',
      originalTransactionId: 'tx_0',
    });
  });

  it('fills the defaults of a minimal transaction', () => {
    // Act
    const t = cleanTransaction(base);
    // Assert
    expect(t).toMatchObject({ country: 'ZZ', sessionId: null, originalTransactionId: null, items: [] });
    expect(cleanTransaction({ ...base, country: 'UK', sessionId: '   ' })).toMatchObject({ country: 'ZZ', sessionId: null });
  });

  it('stores no e-mail address from the input (property)', () => {
    fc.assert(
      fc.property(emailParts, fc.constantFrom('customerId', 'sessionId', 'originalTransactionId', 'sku'), (e, field) => {
        const email = emailOf(e);
        // Act
        const t = cleanTransaction({
          ...base,
          customerId: field === 'customerId' ? email : 'c1',
          sessionId: field === 'sessionId' ? email : 's1',
          originalTransactionId: field === 'originalTransactionId' ? ` ${email}` : 'o1',
          items: [{ sku: field === 'sku' ? email : 'k', quantity: 1, unitPriceMinor: null }],
        });
        // Assert
        expect(leaksEmail(JSON.stringify(t), [e]), email).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});
