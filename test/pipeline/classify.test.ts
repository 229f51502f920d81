/**
 * The one-pass clickstream classification (`classifyValidClick`, used by `classify`) against
 * the reference steps (`classifyReference`: validateClick → filterReason → cleanClick): same
 * outcome, reason, detail, de-duplication key and cleaned record, over generated valid
 * events and events mutated with hostile values; and the same through the pipeline's
 * Latin-1 decoding (`latin1Strings`) against exact decoding, over non-ASCII text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXACT_FIELDS } from '../../src/clean/clean-click.ts';
import { parseCidrList } from '../../src/filter/cidr.ts';
import { decodeBatch, decodeEach } from '../../src/decode/decode-batch.ts';
import { classify, classifyReference, classifyValidClick, type ClassifyOptions } from '../../src/pipeline/classify.ts';
import type { ClassifiedRecord, DecodedRecord, KinesisRecordInput } from '../../src/types.ts';
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
      const fast = classifyValidClick(d, WITH_INTERNAL, EXACT_FIELDS);
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

/** Non-ASCII text of every width: accents, CJK, emoji, spaces that trim, controls. */
const unicodeArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('Jacket – Navy | Shop', 'é', 'ü'.repeat(64), 'é'.repeat(65), '😀'.repeat(128), '\u3000DE\u3000', '\u00a0de', 'Ã©', 'jane@exämple.com', ' curl/8.5.0', '\u00a0curl/8.5.0', 'https://bücher.example/straße?utm_source=é', 'café%40example.com'),
);
const UNICODE_PATHS = ['page.title', 'page.referrer', 'page.url', 'userAgent', 'sessionId', 'anonymousId', 'userId', 'country', 'search.query', 'product.sku', 'ip', 'eventId', 'type', 'product.currency', 'occurredAt', 'someExtraField', 'page.ñ'];

/** A valid (or mutated) event with non-ASCII text in 1–4 fields. */
const unicodeClickArb = fc
  .tuple(fc.oneof(filterableClickArb, mutated(filterableClickArb, CLICK_PATHS)), fc.array(fc.tuple(fc.constantFrom(...UNICODE_PATHS), unicodeArb), { minLength: 1, maxLength: 4 }))
  .map(([record, edits]) => edits.reduce((r, [path, text]) => setPath(r, path, text), record));

/** The event as a producer may send it: UTF-8 JSON, sometimes with escapes, a BOM or broken bytes. */
const payloadArb = fc.tuple(unicodeClickArb, fc.constantFrom('plain', 'plain', 'plain', 'escape', 'bom', 'bad-utf8', 'bad-json')).map(([record, how]) => {
  const json = JSON.stringify(record);
  if (how === 'escape') return Buffer.from(json.replace(/[^\x00-\x7f]/, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 'utf8');
  if (how === 'bom') return Buffer.from(`\ufeff${json}`, 'utf8');
  if (how === 'bad-utf8') return Buffer.concat([Buffer.from(json.slice(0, -2), 'utf8'), Buffer.from([0xc3, 0x28]), Buffer.from(json.slice(-2), 'utf8')]);
  if (how === 'bad-json') return Buffer.from(`${json.slice(0, -1)}é`, 'utf8');
  return Buffer.from(json, 'utf8');
});

function kinesis(bytes: Buffer): KinesisRecordInput {
  return { data: bytes.toString('base64'), sequenceNumber: '49590338271490256608559692538361571095921575989136588898', partitionKey: 'k', approximateArrivalTimestamp: ARRIVAL_MS / 1000 };
}

describe('classify on Latin-1 decoded values ≡ classifyReference on exactly decoded ones', () => {
  it('agrees on non-ASCII events, escapes, byte order marks, broken UTF-8 and broken JSON', () => {
    let latin1 = 0;
    fc.assert(
      fc.property(payloadArb, fc.boolean(), (bytes, internal) => {
        // Prepare
        const options = internal ? WITH_INTERNAL : NO_INTERNAL;
        const input = [kinesis(bytes)];
        // Act: as processBatch decodes and classifies clickstream, and as the reference does
        const fast: ClassifiedRecord[] = [];
        decodeEach(input, 'shardId-000000000000', { maxRecordBytes: 1_048_576, latin1Strings: true }, (d) => {
          if (d.latin1) latin1++;
          fast.push(classify('clickstream', d, options));
        });
        const reference = decodeBatch(input, 'shardId-000000000000', { maxRecordBytes: 1_048_576 }).map((d) => classifyReference('clickstream', d, options));
        // Assert
        expect(fast).toStrictEqual(reference);
      }),
      { numRuns: 4000 },
    );
    // the Latin-1 path was taken, not only the fallbacks
    expect(latin1).toBeGreaterThan(400);
  });

  it('reads a usual event with a dash in its title on the Latin-1 path, cleaned as its text', () => {
    // Prepare
    const event = { eventId: 'e1', type: 'page_view', occurredAt: ARRIVAL_MS, sessionId: 'sess-é', anonymousId: 'a1', page: { url: 'https://shop.example.com/p', title: ' Jacket – Navy ' }, userAgent: 'Mozilla/5.0 (Windows NT 10.0)', ip: '203.0.113.7', country: 'de' };
    let decoded: DecodedRecord | undefined;
    // Act
    decodeEach([kinesis(Buffer.from(JSON.stringify(event), 'utf8'))], 'shardId-000000000000', { maxRecordBytes: 1_048_576, latin1Strings: true }, (d) => {
      decoded = d;
    });
    const r = classify('clickstream', decoded!, NO_INTERNAL);
    // Assert
    expect(decoded!.latin1).toBe(true);
    expect(r.outcome).toBe('counted');
    expect(r.clean).toMatchObject({ title: 'Jacket – Navy', sessionId: 'sess-é', country: 'DE', device: 'desktop' });
  });

  it('counts an event whose country is not a string (null, a number) with country ZZ, on both paths', () => {
    for (const country of [null, 276, { code: 'DE' }]) {
      // Prepare
      const event = { eventId: 'e1', type: 'page_view', occurredAt: ARRIVAL_MS, sessionId: 's1', anonymousId: 'a1', page: { url: 'https://shop.example.com/p' }, country };
      let decoded: DecodedRecord | undefined;
      decodeEach([kinesis(Buffer.from(JSON.stringify(event), 'utf8'))], 'shardId-000000000000', { maxRecordBytes: 1_048_576, latin1Strings: true }, (d) => {
        decoded = d;
      });
      // Act
      const fast = classify('clickstream', decoded!, NO_INTERNAL);
      const reference = classifyReference('clickstream', decoded!, NO_INTERNAL);
      // Assert
      for (const r of [fast, reference]) {
        expect(r.outcome, JSON.stringify(country)).toBe('counted');
        expect(r.clean, JSON.stringify(country)).toMatchObject({ country: 'ZZ' });
      }
    }
  });
});
