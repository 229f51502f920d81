/**
 * Synthetic payment transactions: customers (with a country, a currency and a favourite
 * payment method) make purchases — mostly completed at once, some pending and completed
 * (or failed) a little later under the same `transactionId`, some failed — and refund some
 * earlier completed purchases. Currencies USD, EUR, GBP, JPY (0 decimals) and BHD (3
 * decimals); amounts sent as decimal strings or JSON numbers, always within the currency's
 * minor digits. A share of records is deliberately a test, late, duplicate or bad
 * (unknown currency, too many decimals, schema violations, invalid JSON, future time).
 */
import { COUNTRIES, PRODUCTS, PRODUCT_POPULARITY, minorToNumber, minorToText, priceIn } from './catalog.ts';
import {
  EventClock,
  KindChooser,
  RecentRecords,
  formatTime,
  futureTime,
  lateTime,
  type GeneratedKind,
  type GeneratedRecord,
  type GeneratorOptions,
  type RecordGenerator,
} from './common.ts';
import { Rng, Weighted } from './random.ts';

type PaymentMethod = 'card' | 'paypal' | 'bank_transfer' | 'wallet' | 'other';

interface Customer {
  customerId: string;
  country: string;
  currency: string;
  paymentMethod: PaymentMethod;
}

interface Item {
  sku: string;
  quantity: number;
  unitPriceMinor: number;
}

interface Purchase {
  transactionId: string;
  customer: Customer;
  amountMinor: number;
  items: Item[];
  sessionId: string | undefined;
  paymentMethod: PaymentMethod;
}

const PAYMENT_METHODS: Weighted<PaymentMethod> = new Weighted<PaymentMethod>([['card', 62], ['paypal', 17], ['wallet', 12], ['bank_transfer', 6], ['other', 3]]);
const CHANNELS = ['web', 'ios', 'android', 'web'];

/**
 * Creates a deterministic transaction generator. `mix.bot` does not apply (bots are a
 * clickstream notion).
 *
 * @example
 * const gen = createTransactionGenerator({ seed: 7, startMs: Date.parse('2026-01-01T00:00:00Z') });
 * gen.next().data; // '{"transactionId":"txn_…","type":"purchase","status":"completed",…}'
 */
export function createTransactionGenerator(options: GeneratorOptions): RecordGenerator {
  const rng = new Rng(options.seed);
  const clock = new EventClock(options.startMs, options.rate);
  const kinds = new KindChooser(options.mix, ['duplicate', 'bad', 'test', 'late']);
  const recent = new RecentRecords();
  const customers: Customer[] = [];
  /** pending purchases, settled once the record count reaches `due` */
  const pending: { purchase: Purchase; due: number }[] = [];
  /** recent completed purchases that may be refunded (each at most once) */
  const refundable: Purchase[] = [];
  let count = 0;

  const customer = (): Customer => {
    if (customers.length >= 50 && rng.chance(0.6)) return rng.pick(customers);
    const [country, currency] = COUNTRIES.sample(rng);
    const c: Customer = { customerId: `cus_${rng.alnum(14)}`, country, currency, paymentMethod: PAYMENT_METHODS.sample(rng) };
    if (customers.length < 5_000) customers.push(c);
    else customers[rng.int(customers.length)] = c;
    return c;
  };

  const newPurchase = (): Purchase => {
    const c = customer();
    const items: Item[] = [];
    const n = rng.pick([1, 1, 1, 2, 2, 3, 4]);
    let amountMinor = 0;
    for (let i = 0; i < n; i++) {
      const p = PRODUCTS[PRODUCT_POPULARITY.sample(rng)]!;
      const item = { sku: p.sku, quantity: rng.pick([1, 1, 1, 2, 3]), unitPriceMinor: priceIn(p.usdCents, c.currency) };
      amountMinor += item.quantity * item.unitPriceMinor;
      items.push(item);
    }
    const paymentMethod = rng.chance(0.8) ? c.paymentMethod : PAYMENT_METHODS.sample(rng);
    return { transactionId: `txn_${rng.alnum(20)}`, customer: c, amountMinor, items, sessionId: rng.chance(0.7) ? `sess_${rng.alnum(20)}` : undefined, paymentMethod };
  };

  /** The next valid transaction (advancing purchases and refunds). */
  const validTransaction = (t: number): Record<string, unknown> => {
    const first = pending[0];
    if (first !== undefined && first.due <= count) {
      pending.shift();
      const ok = rng.chance(0.85);
      if (ok) keepRefundable(first.purchase);
      return purchaseEvent(rng, first.purchase, ok ? 'completed' : 'failed', t);
    }
    const u = rng.next();
    if (u < 0.06 && refundable.length > 0) {
      const original = refundable.splice(rng.int(refundable.length), 1)[0]!;
      return refundEvent(rng, original, t);
    }
    const p = newPurchase();
    if (u < 0.14) {
      pending.push({ purchase: p, due: count + rng.range(5, 60) });
      return purchaseEvent(rng, p, 'pending', t);
    }
    if (u < 0.18) return purchaseEvent(rng, p, 'failed', t);
    keepRefundable(p);
    return purchaseEvent(rng, p, 'completed', t);
  };

  const keepRefundable = (p: Purchase): void => {
    if (refundable.length >= 500) refundable.splice(rng.int(refundable.length), 1);
    refundable.push(p);
  };

  const record = (event: Record<string, unknown>, kind: GeneratedKind): GeneratedRecord => ({ partitionKey: event.customerId as string, data: JSON.stringify(event), kind });

  return {
    next(): GeneratedRecord {
      count++;
      const t = clock.tick();
      const kind = kinds.choose(rng);
      switch (kind) {
        case 'duplicate': {
          const dup = recent.duplicate(rng);
          if (dup) return dup;
          break;
        }
        case 'test': {
          // a QA purchase, outside the normal flow (never refunded, never pending)
          const event = purchaseEvent(rng, newPurchase(), 'completed', t);
          event.test = true;
          return record(event, 'test');
        }
        case 'late': {
          const event = purchaseEvent(rng, newPurchase(), rng.chance(0.9) ? 'completed' : 'failed', lateTime(rng, t));
          return record(event, 'late');
        }
        case 'bad': {
          const event = purchaseEvent(rng, newPurchase(), 'completed', t);
          return { partitionKey: event.customerId as string, data: spoil(rng, event, t), kind: 'bad' };
        }
        default:
          break;
      }
      const r = record(validTransaction(t), 'valid');
      recent.add(r);
      return r;
    },
  };
}

/** An amount as producers send it: a decimal string (exact digits) or a JSON number. */
function amountValue(rng: Rng, minor: number, currency: string): string | number {
  return rng.chance(0.6) ? minorToText(minor, currency) : minorToNumber(minor, currency);
}

function purchaseEvent(rng: Rng, p: Purchase, status: 'pending' | 'completed' | 'failed', t: number): Record<string, unknown> {
  const c = p.customer;
  const event: Record<string, unknown> = {
    transactionId: p.transactionId,
    type: 'purchase',
    status,
    occurredAt: formatTime(rng, t - rng.int(1_000)),
    customerId: c.customerId,
    amount: amountValue(rng, p.amountMinor, c.currency),
    // currency codes are case-insensitive on input; a few producers send lower case
    currency: rng.chance(0.05) ? c.currency.toLowerCase() : c.currency,
    items: p.items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPrice: amountValue(rng, i.unitPriceMinor, c.currency) })),
    paymentMethod: p.paymentMethod,
    country: c.country,
  };
  if (p.sessionId !== undefined) event.sessionId = p.sessionId;
  event.channel = rng.pick(CHANNELS);
  if (status === 'failed') event.failureCode = rng.pick(['card_declined', 'insufficient_funds', 'expired_card', 'authentication_required']);
  return event;
}

function refundEvent(rng: Rng, original: Purchase, t: number): Record<string, unknown> {
  const c = original.customer;
  // full refunds mostly; otherwise one line item back
  const full = original.items.length === 1 || rng.chance(0.7);
  const items = full ? original.items : [original.items[rng.int(original.items.length)]!];
  const amountMinor = full ? original.amountMinor : items[0]!.quantity * items[0]!.unitPriceMinor;
  const event: Record<string, unknown> = {
    transactionId: `rfd_${rng.alnum(20)}`,
    type: 'refund',
    status: 'completed',
    occurredAt: formatTime(rng, t - rng.int(1_000)),
    customerId: c.customerId,
    amount: amountValue(rng, amountMinor, c.currency),
    currency: c.currency,
    items: items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPrice: amountValue(rng, i.unitPriceMinor, c.currency) })),
    paymentMethod: original.paymentMethod,
    country: c.country,
    originalTransactionId: original.transactionId,
    reason: rng.pick(['wrong_size', 'damaged', 'not_as_described', 'changed_mind']),
  };
  return event;
}

/** Turns a valid transaction into a record the pipeline must reject, in one of several ways. */
function spoil(rng: Rng, event: Record<string, unknown>, t: number): string {
  switch (rng.int(8)) {
    case 0:
      event.currency = rng.pick(['BTC', 'ZZZ', 'US$', 'EURO']); // unknown currency
      break;
    case 1: {
      // one decimal more than the currency allows
      const cur = String(event.currency).toUpperCase();
      event.amount = cur === 'JPY' ? '1500.5' : cur === 'BHD' ? '12.3456' : rng.pick(['19.999', 19.999, '0.001']);
      break;
    }
    case 2:
      delete event[rng.pick(['customerId', 'transactionId', 'amount', 'currency', 'status'])];
      break;
    case 3:
      event.amount = rng.pick(['-5.00', '12,50', '1e3', ' 10.00', -5, 'free']);
      break;
    case 4: {
      const text = JSON.stringify(event);
      return text.slice(0, rng.range(1, text.length - 1)); // truncated: invalid JSON
    }
    case 5:
      event.status = rng.pick(['refunded', 'COMPLETED', 'ok']);
      break;
    case 6:
      event.occurredAt = formatTime(rng, futureTime(t));
      break;
    default:
      event.items = [{ sku: '', quantity: 0 }];
      break;
  }
  return JSON.stringify(event);
}
