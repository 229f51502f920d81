import { describe, expect, it } from 'vitest';
import { parseCidrList } from '../../src/filter/cidr.ts';
import { filterReason } from '../../src/filter/filter.ts';
import type { ValidClick, ValidTransaction } from '../../src/types.ts';

const click: ValidClick = {
  eventId: 'e1',
  type: 'page_view',
  occurredAtMs: 1_714_564_800_000,
  sessionId: 's1',
  anonymousId: 'a1',
  userId: null,
  page: { url: 'https://shop.example.com/' },
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  ip: '203.0.113.7',
};

const tx: ValidTransaction = {
  transactionId: 't1',
  type: 'purchase',
  status: 'completed',
  occurredAtMs: 1_714_564_800_000,
  customerId: 'c1',
  amountMinor: 1999,
  currency: 'USD',
  items: [],
  paymentMethod: 'card',
};

const internal = parseCidrList('10.0.0.0/8, 203.0.113.0/24');
const none = parseCidrList('');

describe('filterReason', () => {
  it('does not filter an ordinary record', () => {
    // Act + Assert
    expect(filterReason(click, 'clickstream', none)).toBeNull();
    expect(filterReason(tx, 'transactions', internal)).toBeNull();
    expect(filterReason({ ...click, test: false }, 'clickstream', none)).toBeNull();
  });

  it('filters test records first, on both streams', () => {
    // Act + Assert
    expect(filterReason({ ...click, test: true, userAgent: 'curl/8' }, 'clickstream', internal)).toBe('test');
    expect(filterReason({ ...tx, test: true }, 'transactions', internal)).toBe('test');
  });

  it('filters bots on the clickstream only, before the internal IP rule', () => {
    // Act + Assert
    expect(filterReason({ ...click, userAgent: 'Googlebot/2.1' }, 'clickstream', internal)).toBe('bot');
    expect(filterReason({ ...click, userAgent: 'Googlebot/2.1' }, 'clickstream', none)).toBe('bot');
    const { userAgent: _ua, ...noUa } = click;
    expect(filterReason(noUa, 'clickstream', none)).toBeNull();
    expect(filterReason({ ...click, userAgent: '' }, 'clickstream', none)).toBeNull();
    // a transaction is never a bot's, whatever it carries
    expect(filterReason({ ...tx, userAgent: 'curl/8' } as ValidTransaction, 'transactions', none)).toBeNull();
  });

  it('filters internal IPs last, only when the list is not empty', () => {
    // Act + Assert
    expect(filterReason(click, 'clickstream', internal)).toBe('internal_ip');
    expect(filterReason({ ...click, ip: '::ffff:10.1.2.3' }, 'clickstream', internal)).toBe('internal_ip');
    expect(filterReason({ ...click, ip: '198.51.100.1' }, 'clickstream', internal)).toBeNull();
    const { ip: _ip, ...noIp } = click;
    expect(filterReason(noIp, 'clickstream', internal)).toBeNull();
    expect(filterReason(click, 'clickstream', none)).toBeNull();
  });
});
