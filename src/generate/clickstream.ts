/**
 * Synthetic clickstream: visitors (an `anonymousId` with one device and user agent) browse
 * a shop in sessions of several events — landing page views (some with campaign tags and
 * external referrers), more page views by power-law popularity, clicks, searches, cart
 * additions and removals, checkouts — interleaved across ~40 concurrent sessions. A share
 * of records is deliberately a bot, a test event, a late event, a producer duplicate or
 * bad (see `GeneratedKind`). Every record that is not `bad` passes SPEC §1 validation.
 */
import {
  BOT_USER_AGENTS,
  CAMPAIGNS,
  COUNTRIES,
  HOSTS,
  IPV4_FIRST,
  IPV6_PREFIXES,
  PAGES,
  PAGE_POPULARITY,
  PRODUCTS,
  PRODUCT_POPULARITY,
  REFERRERS,
  SEARCH_TERMS,
  USER_AGENTS,
  minorToText,
  priceIn,
  type Page,
  type Product,
} from './catalog.ts';
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
import { Rng } from './random.ts';

interface Visitor {
  anonymousId: string;
  userAgent: string | undefined;
  ip: string;
  /** as the producer sends it (sometimes lower-case or padded), or undefined */
  country: string | undefined;
  currency: string;
  userId: string | null;
}

interface Session {
  visitor: Visitor;
  sessionId: string;
  eventsLeft: number;
  page: Page;
  pageUrl: string;
  /** set on the landing event only */
  landing: boolean;
  cart: Product[];
}

type ClickType = 'page_view' | 'click' | 'add_to_cart' | 'remove_from_cart' | 'checkout_started' | 'search';

const CONCURRENT_SESSIONS = 40;
const CHECKOUT_PAGE: Page = PAGES.find((p) => p.path === '/checkout') ?? { path: '/checkout', title: 'Checkout' };
const ELEMENTS = ['nav.menu', 'button.add-to-bag', 'a.product-card', 'button.size-select', 'a.breadcrumb', 'img.gallery-thumb', 'button.newsletter-signup', 'a.footer-link'];

/**
 * Creates a deterministic clickstream generator.
 *
 * @example
 * const gen = createClickstreamGenerator({ seed: 7, startMs: Date.parse('2026-01-01T00:00:00Z') });
 * const { partitionKey, data, kind } = gen.next(); // data: '{"eventId":"evt_…","type":"page_view",…}'
 */
export function createClickstreamGenerator(options: GeneratorOptions): RecordGenerator {
  const rng = new Rng(options.seed);
  const clock = new EventClock(options.startMs, options.rate);
  const kinds = new KindChooser(options.mix, ['duplicate', 'bad', 'bot', 'test', 'late']);
  const recent = new RecentRecords();
  const visitors: Visitor[] = [];
  const sessions: Session[] = [];

  const newVisitor = (): Visitor => {
    const [country, currency] = COUNTRIES.sample(rng);
    const u = rng.next();
    const v: Visitor = {
      anonymousId: rng.uuid(),
      userAgent: rng.chance(0.03) ? undefined : USER_AGENTS.sample(rng)[0],
      ip: randomIp(rng),
      // Producers are sloppy with countries: mostly upper-case, some lower-case, padded,
      // a few unassigned ('UK'), some absent. Cleaning maps the bad ones to ZZ.
      country: u < 0.78 ? country : u < 0.86 ? country.toLowerCase() : u < 0.88 ? ` ${country} ` : u < 0.89 ? 'UK' : undefined,
      currency,
      userId: rng.chance(0.3) ? `user_${rng.range(10_000, 999_999)}` : null,
    };
    if (visitors.length < 2_000) visitors.push(v);
    else visitors[rng.int(visitors.length)] = v;
    return v;
  };

  const newSession = (): Session => {
    const visitor = visitors.length > 20 && rng.chance(0.25) ? rng.pick(visitors) : newVisitor();
    const page = PAGES[PAGE_POPULARITY.sample(rng)]!;
    return { visitor, sessionId: `sess_${rng.alnum(16)}`, eventsLeft: rng.geometric(6), page, pageUrl: pageUrl(rng, page, true), landing: true, cart: [] };
  };

  /** The next event of a random active session, as an object (not yet JSON). */
  const sessionEvent = (t: number): { event: Record<string, unknown>; visitor: Visitor } => {
    while (sessions.length < CONCURRENT_SESSIONS) sessions.push(newSession());
    const i = rng.int(sessions.length);
    const s = sessions[i]!;
    const event = nextEvent(rng, s, t);
    if (--s.eventsLeft <= 0) sessions[i] = newSession();
    return { event, visitor: s.visitor };
  };

  const record = (event: Record<string, unknown>, partitionKey: string, kind: GeneratedKind): GeneratedRecord => ({ partitionKey, data: JSON.stringify(event), kind });

  return {
    next(): GeneratedRecord {
      const t = clock.tick();
      const kind = kinds.choose(rng);
      switch (kind) {
        case 'duplicate': {
          const dup = recent.duplicate(rng);
          if (dup) return dup;
          break; // nothing to duplicate yet: a valid record instead
        }
        case 'bot': {
          const anonymousId = rng.uuid();
          const page = PAGES[PAGE_POPULARITY.sample(rng)]!;
          const event = baseEvent(rng, 'page_view', t, `sess_${rng.alnum(16)}`, anonymousId, null, page, pageUrl(rng, page, false));
          event.userAgent = rng.pick(BOT_USER_AGENTS);
          event.ip = randomIp(rng);
          return record(event, anonymousId, 'bot');
        }
        case 'test': {
          const { event, visitor } = sessionEvent(t);
          event.test = true;
          return record(event, visitor.anonymousId, 'test');
        }
        case 'late': {
          const { event, visitor } = sessionEvent(t);
          event.occurredAt = formatTime(rng, lateTime(rng, t));
          return record(event, visitor.anonymousId, 'late');
        }
        case 'bad': {
          const { event, visitor } = sessionEvent(t);
          return { partitionKey: visitor.anonymousId, data: spoil(rng, event, t), kind: 'bad' };
        }
        case 'valid':
          break;
      }
      const { event, visitor } = sessionEvent(t);
      const r = record(event, visitor.anonymousId, 'valid');
      recent.add(r);
      return r;
    },
  };
}

/** The event a session produces next, advancing the session. */
function nextEvent(rng: Rng, s: Session, t: number): Record<string, unknown> {
  const v = s.visitor;
  let type: ClickType = 'page_view';
  let product: Product | undefined;
  if (s.landing) {
    type = 'page_view';
  } else {
    const u = rng.next();
    if (u < 0.5) type = 'page_view';
    else if (u < 0.66) type = 'click';
    else if (u < 0.74) type = 'search';
    else if (u < 0.88) type = 'add_to_cart';
    else if (u < 0.93) type = s.cart.length > 0 ? 'remove_from_cart' : 'click';
    else type = s.cart.length > 0 ? 'checkout_started' : 'page_view';
  }

  const referrerUrl = s.pageUrl;
  if (type === 'page_view' && !s.landing) {
    s.page = PAGES[PAGE_POPULARITY.sample(rng)]!;
    s.pageUrl = pageUrl(rng, s.page, false);
  } else if (type === 'search') {
    const q = rng.pick(SEARCH_TERMS);
    s.page = { path: '/search', title: `Search results for “${q}” | Example Shop` };
    s.pageUrl = `https://${HOSTS[0]}/search?q=${encodeURIComponent(q)}`;
  } else if (type === 'add_to_cart') {
    product = s.page.product ?? PRODUCTS[PRODUCT_POPULARITY.sample(rng)]!;
    s.cart.push(product);
  } else if (type === 'remove_from_cart') {
    product = s.cart.splice(rng.int(s.cart.length), 1)[0]!;
  } else if (type === 'checkout_started') {
    s.page = CHECKOUT_PAGE;
    s.pageUrl = `https://${HOSTS[0]}/checkout`;
    s.eventsLeft = Math.min(s.eventsLeft, 1); // a checkout ends the session
  }

  const event = baseEvent(rng, type, t, s.sessionId, v.anonymousId, v.userId, s.page, s.pageUrl);
  const page = event.page as Record<string, unknown>;
  if (s.landing) {
    const ref = REFERRERS.sample(rng);
    if (ref !== undefined) page.referrer = ref;
  } else if ((type === 'page_view' || type === 'search') && rng.chance(0.5)) {
    // in-site navigation: half the clients report the previous page as referrer
    page.referrer = referrerUrl;
  }
  if (product) {
    event.product = { sku: product.sku, quantity: type === 'add_to_cart' ? rng.pick([1, 1, 1, 1, 2, 2, 3]) : 1, price: minorToText(priceIn(product.usdCents, v.currency), v.currency), currency: v.currency, name: product.name };
  }
  if (type === 'search') event.search = { query: decodeURIComponent(s.pageUrl.slice(s.pageUrl.indexOf('q=') + 2)), resultCount: rng.range(0, 120) };
  if (type === 'click') event.element = rng.pick(ELEMENTS);
  if (v.userAgent !== undefined) event.userAgent = v.userAgent;
  event.ip = v.ip;
  if (v.country !== undefined) event.country = v.country;
  s.landing = false;
  return event;
}

function baseEvent(rng: Rng, type: ClickType, t: number, sessionId: string, anonymousId: string, userId: string | null, page: Page, url: string): Record<string, unknown> {
  const event: Record<string, unknown> = {
    eventId: `evt_${rng.alnum(20)}`,
    type,
    // a little jitter backwards: clients' clocks and batching make events arrive out of order
    occurredAt: formatTime(rng, t - rng.int(2_000)),
    sessionId,
    anonymousId,
  };
  if (userId !== null || rng.chance(0.5)) event.userId = userId; // null sent explicitly by some clients
  event.page = rng.chance(0.02) ? { url } : { url, title: page.title };
  return event;
}

/** A page URL as browsers report it, with the variations cleaning must undo. */
function pageUrl(rng: Rng, page: Page, landing: boolean): string {
  const u = rng.next();
  const host = u < 0.9 ? HOSTS[0]! : u < 0.97 ? HOSTS[1]! : 'Shop.Example.com';
  let url = `https://${host}${rng.chance(0.01) ? ':443' : ''}${page.path}`;
  if (page.path !== '/' && rng.chance(0.03)) url += '/';
  if (landing && rng.chance(0.35)) {
    const [source, medium, campaign] = rng.pick(CAMPAIGNS);
    url += `?utm_source=${source}&utm_medium=${medium}&utm_campaign=${campaign}${source === 'google' ? `&gclid=${rng.alnum(24)}` : ''}`;
  } else if (rng.chance(0.05)) {
    url += `?ref=${rng.pick(['home', 'nav', 'footer', 'recs'])}`;
  }
  if (rng.chance(0.03)) url += rng.pick(['#reviews', '#details', '#top']);
  return url;
}

function randomIp(rng: Rng): string {
  if (rng.chance(0.75)) return `${rng.pick(IPV4_FIRST)}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
  const groups = [rng.hex(4), rng.hex(4), rng.hex(4), rng.hex(4)].map((g) => g.replace(/^0+(?=.)/, ''));
  return rng.chance(0.5) ? `${rng.pick(IPV6_PREFIXES)}:${groups[0]}:${groups[1]}::${groups[2]}:${groups[3]}` : `${rng.pick(IPV6_PREFIXES)}:${groups.join(':')}:${rng.hex(4).replace(/^0+(?=.)/, '')}:${rng.hex(4).replace(/^0+(?=.)/, '')}`;
}

/** Turns a valid event into a record the pipeline must reject, in one of several ways. */
function spoil(rng: Rng, event: Record<string, unknown>, t: number): string {
  const page = event.page as Record<string, unknown>;
  switch (rng.int(8)) {
    case 0: {
      const text = JSON.stringify(event);
      return text.slice(0, rng.range(1, text.length - 1)); // truncated: invalid JSON
    }
    case 1:
      delete event[rng.pick(['eventId', 'sessionId', 'anonymousId', 'type', 'occurredAt'])];
      break;
    case 2:
      page.url = rng.pick(['not a url', '/products/relative-path', 'ftp://shop.example.com/file', 'javascript:void(0)', '']);
      break;
    case 3:
      event.occurredAt = formatTime(rng, futureTime(t));
      break;
    case 4:
      event.type = rng.pick(['pageview', 'PAGE_VIEW', 'purchase']);
      break;
    case 5:
      event.occurredAt = rng.pick(['2026-02-30T10:00:00Z', 'yesterday', '2026-13-01T00:00:00Z', '1714564800']);
      break;
    case 6:
      event.eventId = rng.pick(['evt with spaces', 'evt/slash', 'x'.repeat(65), '']);
      break;
    default:
      event.type = 'add_to_cart';
      delete event.product; // a cart event without its product
      break;
  }
  return JSON.stringify(event);
}
