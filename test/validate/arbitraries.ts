/**
 * fast-check generators of v1 records for the validator tests: valid records, and records
 * mutated field by field with hostile values (wrong types, boundary lengths, bad dates,
 * offsets, epoch edge cases, unicode, huge numbers, arrays, null, …).
 */
import fc from 'fast-check';

/** Arrival time and options every generated record is validated with. */
export const ARRIVAL_MS = Date.UTC(2024, 4, 1, 12, 0, 0);
export const OPTIONS = { allowedLatenessMs: 7 * 86_400_000, futureToleranceMs: 300_000 };

/** Marker: delete the field instead of setting it. */
export const DELETE = Symbol('delete');

const idChars = 'abcXYZ019_-';
const anyChars = 'aZ9 _-.:/@é€😀\u0000\t';

const str = (chars: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...[...chars]), { minLength, maxLength }).map((a) => a.join(''));

/** An id matching `[A-Za-z0-9_-]{1,64}`, lengths biased to the boundaries. */
export const idArb = fc.oneof(str(idChars, 1, 8), fc.constantFrom(1, 63, 64).chain((n) => str(idChars, n, n)));

/** An ms timestamp in (or just outside) the accepted window around ARRIVAL_MS. */
const windowMs = fc.integer({
  min: ARRIVAL_MS - OPTIONS.allowedLatenessMs - 5_000,
  max: ARRIVAL_MS + OPTIONS.futureToleranceMs + 5_000,
});

/**
 * Formats `ms` as a v1 timestamp string with the given offset (minutes) and fraction digits
 * (the digits beyond milliseconds are `extra`).
 */
export function formatIso(ms: number, offsetMin: number, fractionDigits: number, extra = '7'): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  let s = local.slice(0, 19);
  if (fractionDigits > 0) s += `.${(local.slice(20, 23) + extra.repeat(9)).slice(0, fractionDigits)}`;
  if (offsetMin === 0 && fractionDigits % 2 === 0) return `${s}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${s}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A valid `occurredAt`: epoch ms or an ISO string, near ARRIVAL_MS. */
export const occurredAtArb: fc.Arbitrary<string | number> = fc.oneof(
  windowMs,
  fc
    .tuple(windowMs, fc.integer({ min: -1439, max: 1439 }), fc.integer({ min: 0, max: 9 }))
    .map(([ms, off, digits]) => formatIso(ms, off, digits)),
);

/** Hand-picked invalid or edge-case timestamps. */
export const badTimestamps: (string | number)[] = [
  '2023-02-29T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '2023-04-31T00:00:00Z',
  '1900-02-29T00:00:00Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01T23:60:00Z',
  '2024-01-01T23:59:60Z',
  '2024-01-01T00:00:00+24:00',
  '2024-01-01T00:00:00+23:60',
  '2024-01-01T00:00:00+0100',
  '2024-01-01T00:00:00',
  '2024-01-01t00:00:00z',
  '2024-01-01 00:00:00Z',
  '2024-01-01T00:00:00.Z',
  '2024-01-01T00:00:00.1234567890Z',
  '2024-1-01T00:00:00Z',
  '+02024-01-01T00:00:00Z',
  '２０２４-01-01T00:00:00Z',
  '',
  '1714564800000',
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER + 1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  1e21,
];

/** Timestamps that are valid but far from arrival (future / too late) or at the window edges. */
export const edgeTimestamps: (string | number)[] = [
  0,
  -0,
  Number.MAX_SAFE_INTEGER,
  ARRIVAL_MS + OPTIONS.futureToleranceMs,
  ARRIVAL_MS + OPTIONS.futureToleranceMs + 1,
  ARRIVAL_MS - OPTIONS.allowedLatenessMs,
  ARRIVAL_MS - OPTIONS.allowedLatenessMs - 1,
  '2024-02-29T23:59:59.999999999+23:59',
  '2000-02-29T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  formatIso(ARRIVAL_MS + OPTIONS.futureToleranceMs, 0, 3),
  formatIso(ARRIVAL_MS + OPTIONS.futureToleranceMs + 1, 90, 3),
];

const currencyArb = fc.constantFrom('USD', 'usd', 'Eur', 'JPY', 'KWD', 'BHD', 'CLF', 'UYW', 'GBP');

/** A valid decimal amount (string or number) with at most 0–4 decimals. */
const decimalArb = (maxDecimals: number): fc.Arbitrary<string | number> =>
  fc.oneof(
    fc.nat({ max: 10_000_000 }),
    fc.tuple(fc.nat({ max: 1_000_000 }), fc.integer({ min: 0, max: maxDecimals })).map(([n, d]) => {
      const s = String(n).padStart(d + 1, '0');
      return d === 0 ? s : `${s.slice(0, -d)}.${s.slice(-d)}`;
    }),
    fc.constantFrom(...[0, 19.99, 0.5, 1.25, '007.50', '0.00', 1e-6].filter((v) => {
      const frac = String(v).split('.')[1] ?? '';
      return !String(v).includes('e') && frac.length <= maxDecimals;
    })),
  );

const urlArb = fc.oneof(
  fc.constantFrom(
    'https://shop.example.com/',
    'http://example.com',
    'https://shop.example.com:8443/cart?x=1#top',
    'HTTPS://Shop.Example.com:443/Cart/?x=1#top',
    'https://xn--mnchen-3ya.de/',
    'https://192.168.0.1/x',
    'http://[::1]:8080/',
    'https://user:pw@example.com/',
    ' https://example.com/ ',
    'https:example.com',
    'https://exa\tmple.com/',
    'https://bücher.example/',
  ),
  fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }),
);

const ipArb = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('203.0.113.7', '2001:db8::1', 'fe80::1%eth0', '::ffff:1.2.3.4'));

const productArb = currencyArb.chain((currency) =>
  fc.record({
    sku: fc.oneof(str(anyChars, 1, 10), fc.constantFrom(1, 64).chain((n) => str(idChars, n, n))),
    quantity: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Number.MAX_SAFE_INTEGER)),
    price: decimalArb(['JPY'].includes(currency.toUpperCase()) ? 0 : 2),
    currency: fc.constant(currency),
  }),
);

/** A valid clickstream event (may carry unknown extra fields). */
export const validClickArb = fc
  .constantFrom('page_view', 'click', 'add_to_cart', 'remove_from_cart', 'checkout_started', 'search')
  .chain((type) =>
    fc.record(
      {
        eventId: idArb,
        type: fc.constant(type),
        occurredAt: occurredAtArb,
        sessionId: str(anyChars, 1, 12),
        anonymousId: str(anyChars, 1, 12),
        userId: fc.oneof(fc.constant(null), str(anyChars, 1, 12)),
        page: fc.record(
          { url: urlArb, referrer: fc.oneof(fc.constant(''), urlArb, fc.string()), title: fc.string(), extra: fc.nat() },
          { requiredKeys: ['url'] },
        ),
        product: productArb,
        search: fc.record({ query: fc.string() }),
        userAgent: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('Mozilla/5.0 (Windows NT 10.0; Win64; x64)')),
        ip: ipArb,
        country: fc.oneof(fc.constantFrom('US', 'de', ' gb ', '', 'XX'), fc.string({ maxLength: 4 }), fc.constantFrom(null, 0, 840, true, ['US'], { code: 'US' })),
        test: fc.boolean(),
        somethingElse: fc.jsonValue({ maxDepth: 1 }),
      },
      {
        requiredKeys: [
          'eventId',
          'type',
          'occurredAt',
          'sessionId',
          'anonymousId',
          'page',
          ...(type === 'add_to_cart' || type === 'remove_from_cart' ? (['product'] as const) : []),
          ...(type === 'search' ? (['search'] as const) : []),
        ],
      },
    ),
  );

/** A valid transaction (may carry unknown extra fields). */
export const validTransactionArb = currencyArb.chain((currency) => {
  const maxDecimals = { JPY: 0, KWD: 3, BHD: 3, CLF: 4, UYW: 4 }[currency.toUpperCase()] ?? 2;
  return fc.record(
    {
      transactionId: idArb,
      type: fc.constantFrom('purchase', 'refund'),
      status: fc.constantFrom('pending', 'completed', 'failed'),
      occurredAt: occurredAtArb,
      customerId: fc.oneof(str(anyChars, 1, 12), fc.constantFrom(1, 128).chain((n) => str(idChars, n, n))),
      amount: decimalArb(maxDecimals),
      currency: fc.constant(currency),
      items: fc.array(
        fc.record(
          { sku: str(anyChars, 1, 8), quantity: fc.integer({ min: 1, max: 50 }), unitPrice: decimalArb(maxDecimals) },
          { requiredKeys: ['sku', 'quantity'] },
        ),
        { maxLength: 4 },
      ),
      paymentMethod: fc.constantFrom('card', 'paypal', 'bank_transfer', 'wallet', 'other'),
      country: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(null, 250, false, ['FR'])),
      sessionId: str(anyChars, 1, 12),
      originalTransactionId: idArb,
      test: fc.boolean(),
      somethingElse: fc.jsonValue({ maxDepth: 1 }),
    },
    {
      requiredKeys: ['transactionId', 'type', 'status', 'occurredAt', 'customerId', 'amount', 'currency'],
    },
  );
});

const lengths = [0, 1, 63, 64, 65, 127, 128, 129, 1024, 1025, 2048, 2049];

/** Hostile values for any field. */
export const hostileArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(DELETE),
  fc.constantFrom(null, true, false, 0, -0, 1, -1, 1.5, 1e21, 1e-7, 0.30000000000000004, Number.MAX_SAFE_INTEGER),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 1, 2 ** 60, -1e21, Number.NaN, Number.POSITIVE_INFINITY, 90071992547409.92),
  fc.constantFrom(...lengths).chain((n) => fc.constantFrom('a', '-', 'é', '😀', ' ').map((c) => c.repeat(n).slice(0, n))),
  fc.constantFrom(...lengths).map((n) => `https://e.com/${'p'.repeat(Math.max(0, n - 14))}`),
  fc.constantFrom(...badTimestamps, ...edgeTimestamps),
  fc.constantFrom('USD', 'usd', 'XYZ', 'US', 'USDD', ' usd', 'XAU', 'XTS', 'JPY', 'KWD', 'constructor', '__proto__'),
  fc.constantFrom('19.99', '19.999', '0', '00', '.5', '5.', '-1', '1e5', '1,00', ' 1', '１', '99999999999999999999', '90071992547409.91'),
  fc.constantFrom('page_view', 'add_to_cart', 'search', 'purchase', 'refund', 'completed', 'card', 'PAGE_VIEW', 'bogus'),
  fc.constantFrom('1.2.3.4', '01.2.3.4', '256.1.1.1', '::1', 'fe80::1%eth0', 'localhost', '1.2.3'),
  fc.constantFrom('http://a', 'ftp://a.com', 'https://', 'https://a b.com', 'https://xn--a.com', 'https://1.2.3.999/', '/rel', 'https://a..b/'),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom('sku', 'quantity', 'price', 'currency', 'query', 'url', 'x'), fc.jsonValue({ maxDepth: 1 })),
);

/** Field paths a mutation may hit. */
export const CLICK_PATHS = [
  'eventId', 'type', 'occurredAt', 'sessionId', 'anonymousId', 'userId', 'page', 'page.url', 'page.referrer',
  'page.title', 'product', 'product.sku', 'product.quantity', 'product.price', 'product.currency', 'search',
  'search.query', 'userAgent', 'ip', 'country', 'test',
];
export const TRANSACTION_PATHS = [
  'transactionId', 'type', 'status', 'occurredAt', 'customerId', 'amount', 'currency', 'items', 'items.0',
  'items.0.sku', 'items.0.quantity', 'items.0.unitPrice', 'items.1.unitPrice', 'paymentMethod', 'country',
  'sessionId', 'originalTransactionId', 'test',
];

/** A copy of `record` with `path` set to `value` (or deleted), creating objects on the way. */
export function setPath(record: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(record) as Record<string, unknown>;
  const keys = path.split('.');
  let cur: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== 'object' || next === null) cur[key] = /^\d+$/.test(keys[keys.indexOf(key) + 1] ?? '') ? [] : {};
    cur = cur[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === DELETE) delete cur[last];
  else cur[last] = value;
  return copy;
}

/** A record mutated at 1–3 paths with hostile values. */
export function mutated(valid: fc.Arbitrary<unknown>, paths: string[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.array(fc.tuple(fc.constantFrom(...paths), hostileArb), { minLength: 1, maxLength: 3 }))
    .map(([record, muts]) => muts.reduce((r, [path, value]) => setPath(r, path, value), record));
}
