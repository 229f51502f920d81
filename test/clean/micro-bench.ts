/**
 * Micro-benchmark of cleaning and filtering on realistic records (not a test: run it by
 * hand with `node --import tsx test/clean/micro-bench.ts`). Prints operations per second.
 */
import { cleanClick } from '../../src/clean/clean-click.ts';
import { cleanTransaction } from '../../src/clean/clean-transaction.ts';
import { deviceClass } from '../../src/clean/device.ts';
import { redactEmails, truncateIp } from '../../src/clean/privacy.ts';
import { cleanText } from '../../src/clean/strings.ts';
import { cleanPageUrl, referrerHost } from '../../src/clean/url.ts';
import { isBotUserAgent } from '../../src/filter/bot.ts';
import { parseCidrList } from '../../src/filter/cidr.ts';
import { filterReason } from '../../src/filter/filter.ts';
import type { ValidClick, ValidTransaction } from '../../src/types.ts';

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
];

const clicks: ValidClick[] = [];
for (let i = 0; i < 1000; i++) {
  clicks.push({
    eventId: `evt-${i}-0f8e2c1a9b7d`,
    type: i % 10 === 0 ? 'search' : i % 7 === 0 ? 'add_to_cart' : 'page_view',
    occurredAtMs: 1_714_564_800_000 + i,
    sessionId: `sess-${i % 97}-4b1c2d3e`,
    anonymousId: `anon-${i % 211}-9a8b7c6d5e`,
    userId: i % 3 === 0 ? `user-${i}` : null,
    page: {
      url: `https://shop.example.com/products/category-${i % 13}/item-${i}${i % 4 === 0 ? '?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=abc' : i % 5 === 0 ? '?ref=home#reviews' : ''}`,
      referrer: i % 2 === 0 ? 'https://www.google.com/search?q=running+shoes' : 'https://shop.example.com/',
      title: `Running shoe model ${i} — Example Shop`,
    },
    ...(i % 10 === 0 ? { search: { query: `running shoes size ${i % 12}` } } : {}),
    ...(i % 7 === 0 && i % 10 !== 0 ? { product: { sku: `SKU-${i}`, quantity: 1, priceMinor: 4999, currency: 'USD' } } : {}),
    userAgent: UAS[i % UAS.length]!,
    ip: i % 5 === 0 ? `2001:db8:${i % 100}::${i % 50}` : `198.51.${i % 256}.${(i * 7) % 256}`,
    country: ['US', 'de', 'GB ', 'fr'][i % 4]!,
  });
}
const txs: ValidTransaction[] = clicks.map((c, i) => ({
  transactionId: `tx-${i}`,
  type: 'purchase',
  status: 'completed',
  occurredAtMs: c.occurredAtMs,
  customerId: `cust-${i % 300}`,
  amountMinor: 1999 + i,
  currency: 'USD',
  items: [{ sku: `SKU-${i}`, quantity: 1, unitPriceMinor: 1999 }],
  paymentMethod: 'card',
  country: 'US',
  sessionId: c.sessionId,
}));
const internal = parseCidrList('10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fd00::/8');

function bench(name: string, fn: (i: number) => unknown): void {
  let sink = 0;
  for (let i = 0; i < 50_000; i++) sink += fn(i) ? 1 : 0; // warm-up
  const n = 300_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += fn(i) ? 1 : 0;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${name.padEnd(28)} ${(1e9 / ns).toFixed(0).padStart(10)} /s  ${ns.toFixed(0).padStart(6)} ns/op  (${sink > 0 ? '' : '-'})`);
}

bench('cleanClick', (i) => cleanClick(clicks[i % 1000]!));
bench('cleanTransaction', (i) => cleanTransaction(txs[i % 1000]!));
bench('filterReason (click)', (i) => filterReason(clicks[i % 1000]!, 'clickstream', internal) ?? 1);
bench('isBotUserAgent', (i) => !isBotUserAgent(UAS[i % 4]!));
bench('deviceClass', (i) => deviceClass(UAS[i % 4]!));
bench('cleanPageUrl', (i) => cleanPageUrl(clicks[i % 1000]!.page.url));
bench('referrerHost', (i) => referrerHost(clicks[i % 1000]!.page.referrer, 'shop.example.com') ?? 1);
bench('truncateIp', (i) => truncateIp(clicks[i % 1000]!.ip!));
bench('cidr contains', (i) => !internal.contains(clicks[i % 1000]!.ip!));
bench('cleanText (title)', (i) => cleanText(clicks[i % 1000]!.page.title, 512));
bench('redactEmails (no @)', (i) => redactEmails(clicks[i % 1000]!.page.title!));
