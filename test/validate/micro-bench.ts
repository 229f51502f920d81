/**
 * Micro-benchmark of the validators on ~500-byte clickstream records (not a vitest file):
 * `node --import tsx test/validate/micro-bench.ts`. Prints records/s of base64+JSON.parse,
 * zod `safeParse` alone, the zod-based validator and the fast validator, and their ratios.
 */
import { clickstreamEventSchema } from '../../src/schema/clickstream.ts';
import { validateClick, validateClickWithZod } from '../../src/validate/index.ts';

const ARRIVAL = Date.parse('2024-05-01T12:00:00Z');
const OPTIONS = { allowedLatenessMs: 7 * 86_400_000, futureToleranceMs: 300_000 };
const TYPES = ['page_view', 'page_view', 'page_view', 'click', 'add_to_cart', 'search', 'checkout_started'];

function record(i: number): Record<string, unknown> {
  const type = TYPES[i % TYPES.length]!;
  const r: Record<string, unknown> = {
    eventId: `evt_${i.toString(36)}_${(i * 7919).toString(36)}`,
    type,
    occurredAt: i % 2 ? new Date(ARRIVAL - (i % 600_000)).toISOString() : ARRIVAL - (i % 600_000),
    sessionId: `sess-${(i % 997).toString(36)}-abcdef0123456789`,
    anonymousId: `anon-${(i % 5003).toString(36)}-0123456789abcdef`,
    userId: i % 3 ? null : `user-${i % 1001}`,
    page: {
      url: `https://shop.example.com/products/category-${i % 20}/item-${i % 500}?utm_source=news&ref=${i}`,
      referrer: i % 4 ? 'https://www.google.com/search?q=shoes' : '',
      title: `Product ${i % 500} – Example Shop`,
    },
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    ip: i % 5 ? `203.0.113.${i % 250}` : '2001:db8::1',
    country: ['US', 'de', 'GB', 'fr'][i % 4],
  };
  if (type === 'add_to_cart') r.product = { sku: `SKU-${i % 300}`, quantity: 1 + (i % 3), price: '19.99', currency: 'USD' };
  if (type === 'search') r.search = { query: 'running shoes' };
  return r;
}

const N = 5000;
const blobs = Array.from({ length: N }, (_, i) => Buffer.from(JSON.stringify(record(i))).toString('base64'));
const values = blobs.map((b) => JSON.parse(Buffer.from(b, 'base64').toString('utf8')) as unknown);
const avgBytes = blobs.reduce((s, b) => s + Buffer.from(b, 'base64').length, 0) / N;

function bench(name: string, fn: (i: number) => unknown): number {
  let sink = 0;
  for (let i = 0; i < N * 4; i++) sink += fn(i % N) ? 1 : 0; // warm-up
  const rounds = 30;
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < N; i++) sink += fn(i) ? 1 : 0;
  const ns = Number(process.hrtime.bigint() - start);
  const perSec = (rounds * N) / (ns / 1e9);
  console.log(`${name.padEnd(28)} ${Math.round(perSec).toLocaleString('en').padStart(12)} records/s  (${sink > 0 ? 'ok' : '?'})`);
  return perSec;
}

console.log(`${N} clickstream records, ${Math.round(avgBytes)} bytes on average`);
const okFast = values.every((v) => validateClick(v, ARRIVAL, OPTIONS).ok);
if (!okFast) throw new Error('benchmark records must be valid');
const parse = bench('base64 + JSON.parse', (i) => JSON.parse(Buffer.from(blobs[i]!, 'base64').toString('utf8')));
const zodOnly = bench('zod safeParse', (i) => clickstreamEventSchema.safeParse(values[i]).success);
const zodVal = bench('validateClickWithZod', (i) => validateClickWithZod(values[i], ARRIVAL, OPTIONS).ok);
const fast = bench('validateClick (fast)', (i) => validateClick(values[i], ARRIVAL, OPTIONS).ok);
console.log(`fast / zod safeParse: ${(fast / zodOnly).toFixed(1)}×; fast / validateClickWithZod: ${(fast / zodVal).toFixed(1)}×`);
console.log(`relative to base64+JSON.parse: zod safeParse ${(zodOnly / parse).toFixed(2)}, fast ${(fast / parse).toFixed(2)}`);
