/**
 * The one-pass clickstream classification (`classifyValidClick`, used by `classify`) against
 * the reference steps (`classifyReference`: validateClick → filterReason → cleanClick): same
 * outcome, reason, detail, de-duplication key and cleaned record, over generated valid
 * events and events mutated with hostile values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidrList } from '../../src/filter/cidr.ts';
import { classify, classifyReference, classifyValidClick, type ClassifyOptions } from '../../src/pipeline/classify.ts';
import type { DecodedRecord } from '../../src/types.ts';
import { ARRIVAL_MS, CLICK_PATHS, OPTIONS, mutated, setPath, validClickArb } from '../validate/arbitraries.ts';

const WITH_INTERNAL: ClassifyOptions = { validate: OPTIONS, internalCidrs: parseCidrList('10.0.0.0/8, 203.0.113.0/24, 2001:db8::/32') };
const NO_INTERNAL: ClassifyOptions = { validate: OPTIONS, internalCidrs: parseCidrList('') };

/** User agents and addresses that make the filters fire (the generated ones rarely do). */
const botAgentArb = fc.constantFrom('curl/8.5.0', 'Mozilla/5.0 (compatible; Googlebot/2.1)', ' java/17', 'python-requests/2.31', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148');
const internalIpArb = fc.constantFrom('10.1.2.3', '203.0.113.7', '2001:db8::1', '::ffff:10.0.0.1', '198.51.100.1');

/** A valid event, sometimes with a bot user agent or an internal address. */
const filterableClickArb = fc
  .tuple(validClickArb, fc.option(botAgentArb), fc.option(internalIpArb))
  .map(([record, ua, ip]) => {
    let r: unknown = record;
    if (ua !== null) r = setPath(r, 'userAgent', ua);
    if (ip !== null) r = setPath(r, 'ip', ip);
    return r;
  });

function decoded(value: unknown, arrivalMs = ARRIVAL_MS): DecodedRecord {
  return {
    position: { shardId: 'shardId-000000000000', sequenceNumber: '49590338271490256608559692538361571095921575989136588898', subSequence: 0 },
    posKey: '05649590338271490256608559692538361571095921575989136588898.000000',
    arrivalMs,
    size: 100,
    rawBase64: 'e30=',
    value,
  };
}

/** Both paths on the same record: equal results, field for field. */
function expectSameClassification(value: unknown, options: ClassifyOptions): void {
  const d = decoded(value);
  const fast = classify('clickstream', d, options);
  const reference = classifyReference('clickstream', d, options);
  expect(fast).toStrictEqual(reference);
}

describe('classify (one-pass clickstream path) ≡ classifyReference', () => {
  it('agrees on valid events, filtered or counted', () => {
    fc.assert(
      fc.property(filterableClickArb, fc.boolean(), (record, internal) => {
        // Act + Assert
        expectSameClassification(record, internal ? WITH_INTERNAL : NO_INTERNAL);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on events mutated with hostile values (rejections keep their reason and detail)', () => {
    fc.assert(
      fc.property(mutated(filterableClickArb, CLICK_PATHS), fc.boolean(), (record, internal) => {
        // Act + Assert
        expectSameClassification(record, internal ? WITH_INTERNAL : NO_INTERNAL);
      }),
      { numRuns: 6000 },
    );
  });

  it('agrees on values that are not events at all', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        // Act + Assert
        expectSameClassification(value, NO_INTERNAL);
      }),
      { numRuns: 1000 },
    );
  });

  it('takes the one-pass path for the generated valid events, and only for those the reference accepts', () => {
    // Prepare: a fixed sample, so the share does not depend on the seed of the run
    const sample = fc.sample(fc.oneof(filterableClickArb, mutated(filterableClickArb, CLICK_PATHS)), { numRuns: 4000, seed: 20261123 });
    let fastPath = 0;
    let accepted = 0;
    for (const record of sample) {
      const d = decoded(record);
      // Act
      const fast = classifyValidClick(d, WITH_INTERNAL);
      const reference = classifyReference('clickstream', d, WITH_INTERNAL);
      // Assert: the one-pass path never accepts what the reference rejects, and takes every
      // record the reference does not reject
      if (fast !== null) {
        fastPath++;
        expect(reference.outcome).not.toBe('rejected');
      }
      if (reference.outcome !== 'rejected') {
        accepted++;
        expect(fast).not.toBeNull();
      }
    }
    expect(fastPath).toBe(accepted);
    expect(accepted).toBeGreaterThan(1000);
  });

  it('leaves transactions and decoding rejects to the reference path', () => {
    // Prepare
    const reject: DecodedRecord = { ...decoded(undefined), reject: 'invalid_json', detail: 'not JSON: Unexpected end of JSON input' };
    const tx = decoded({ transactionId: 't1', type: 'purchase', status: 'completed', occurredAt: ARRIVAL_MS, customerId: 'c1', amount: '19.99', currency: 'usd' });
    // Act + Assert
    expect(classify('clickstream', reject, NO_INTERNAL)).toStrictEqual(classifyReference('clickstream', reject, NO_INTERNAL));
    expect(classify('transactions', tx, NO_INTERNAL)).toStrictEqual(classifyReference('transactions', tx, NO_INTERNAL));
    expect(classify('transactions', tx, NO_INTERNAL).dedupeKey).toBe('t1|purchase|completed');
  });
});
