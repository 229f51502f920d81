import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../src/metrics/aggregate.ts';
import { encodeCell } from '../../src/metrics/catalog.ts';
import { HyperLogLog } from '../../src/sketch/index.ts';
import type { BatchSource, ClassifiedRecord, CleanClick } from '../../src/types.ts';

const SOURCE: BatchSource = { stream: 'clickstream', streamName: 'clickstream', shardId: 'shardId-000000000000' };
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function click(i: number, visitor: string, session: string, country: string, minute: number): ClassifiedRecord {
  const clean = { kind: 'clickstream', eventId: `e${i}`, type: 'page_view', occurredAtMs: T0 + minute * MINUTE, sessionId: session, anonymousId: visitor, userId: null, page: 'shop.example.com/', pageHost: 'shop.example.com', pageUrl: 'https://shop.example.com/', referrerHost: null, utmSource: null, utmMedium: null, utmCampaign: null, title: null, searchQuery: null, product: null, device: 'desktop', country, ipPrefix: null, userAgent: null } as CleanClick;
  const posKey = `0020${String(i).padStart(2, '0')}.000000`;
  return { position: { shardId: SOURCE.shardId, sequenceNumber: String(i), subSequence: 0 }, posKey, arrivalMs: T0, outcome: 'counted', reason: null, detail: undefined, dedupeKey: `e${i}`, clean, rawBase64: undefined, replaces: undefined };
}

describe('aggregate: visitor and session sketches', () => {
  it('equal sketches built by adding every record, whatever the repeats (shared or copied id strings)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 3 }), fc.constantFrom('DE', 'US'), fc.nat({ max: 2 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
        (rows) => {
          // Prepare: ids repeat (the same string object, as cleaning's memo hands out, or an equal copy)
          const visitors = Array.from({ length: 6 }, (_, v) => `visitor-${v}`);
          const records = rows.map(([v, s, country, minute, copy], i) => click(i, copy ? `visitor-${v}`.split('').join('') : visitors[v]!, `session-${s}`, country, minute));
          const expected = new Map<string, HyperLogLog>();
          const add = (minute: number, cell: string, value: string) => {
            const key = `${minute}|${cell}`;
            let h = expected.get(key);
            if (!h) expected.set(key, (h = HyperLogLog.empty()));
            h.add(value);
          };
          for (const [v, s, country, minute] of rows) {
            add(minute, encodeCell('unique_visitors', [], []), `visitor-${v}`);
            add(minute, encodeCell('unique_visitors', ['country'], [country]), `visitor-${v}`);
            add(minute, encodeCell('sessions', [], []), `session-${s}`);
          }
          // Act: twice, so the second run starts with the remembered slots of the first
          aggregate(records, SOURCE);
          const { sketches } = aggregate(records, SOURCE);
          // Assert
          let cells = 0;
          for (const item of sketches) {
            for (const [cell, { bytes }] of item.cells) {
              const minute = (item.windowStart - T0) / MINUTE;
              expect(Buffer.from(bytes).toString('base64')).toBe(Buffer.from(expected.get(`${minute}|${cell}`)!.toBytes()).toString('base64'));
              cells++;
            }
          }
          expect(cells).toBe(expected.size);
        },
      ),
      { numRuns: 300 },
    );
  });
});
