/**
 * The fixed world the generators draw from: a shop's pages and products, user agents,
 * countries, referrers, search terms. Built once from a constant seed, so every generator
 * (whatever its own seed) sees the same site, and page or SKU metrics stay comparable
 * between runs.
 */
import { Rng, Weighted, Zipf } from './random.ts';

export type Device = 'desktop' | 'mobile' | 'tablet' | 'other';

export interface Product {
  sku: string;
  name: string;
  slug: string;
  category: string;
  /** price in US cents; other currencies are converted (see `priceIn`) */
  usdCents: number;
}

export interface Page {
  path: string;
  title: string;
  /** set for product pages */
  product?: Product;
}

const ADJECTIVES = ['Classic', 'Organic', 'Merino', 'Vintage', 'Lightweight', 'Waterproof', 'Slim-Fit', 'Handmade', 'Recycled', 'Premium', 'Everyday', 'Ultralight', 'Linen', 'Stretch', 'Heritage', 'Insulated'];
const NOUNS = ['Crew Sweater', 'Trail Runner', 'Denim Jacket', 'Canvas Tote', 'Wool Beanie', 'Rain Shell', 'Chino Pants', 'Leather Belt', 'Oxford Shirt', 'Travel Backpack', 'Hiking Boot', 'Down Vest', 'Cotton Tee', 'Silk Scarf', 'Duffel Bag', 'Polo Shirt', 'Sneaker', 'Parka'];
const COLOURS = ['Navy', 'Black', 'Olive', 'Charcoal', 'Sand', 'Burgundy', 'Forest Green', 'Off-White', 'Rust', 'Sky Blue'];
const CATEGORIES = ['mens', 'womens', 'kids', 'outerwear', 'footwear', 'accessories', 'bags', 'sale', 'new-arrivals', 'knitwear'];
export const SEARCH_TERMS = [
  'rain jacket', 'merino sweater', 'running shoes', 'gift card', 'black jeans', 'backpack 30l', 'wool socks',
  'summer dress', 'size guide', 'linen shirt', 'return policy', 'hiking boots women', 'kids parka', 'belt',
  'waterproof boots', 'tote bag', 'beanie', 'down vest men', 'sale', 'polo',
];
const BLOG = ['how-to-layer-for-winter', 'caring-for-merino-wool', 'our-recycled-materials', 'packing-list-weekend-hike', 'denim-fit-guide', 'behind-the-seams'];
const STATIC_PAGES: Page[] = [
  { path: '/', title: 'Example Shop – Outdoor & Everyday Clothing, Free Returns' },
  { path: '/cart', title: 'Your Shopping Cart | Example Shop' },
  { path: '/checkout', title: 'Secure Checkout | Example Shop' },
  { path: '/account/orders', title: 'Your Orders | Example Shop' },
  { path: '/help/shipping', title: 'Shipping & Delivery Information | Example Shop Help Centre' },
  { path: '/help/returns', title: 'Returns & Exchanges – 60-Day Free Returns | Example Shop Help Centre' },
  { path: '/about', title: 'About Us – Our Story, Our Materials | Example Shop' },
  { path: '/stores', title: 'Find a Store Near You | Example Shop' },
];

function slugify(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function buildCatalog(): { products: Product[]; pages: Page[] } {
  const rng = new Rng(20_240_501);
  const products: Product[] = [];
  const seen = new Set<string>();
  while (products.length < 240) {
    const name = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)} – ${rng.pick(COLOURS)}`;
    if (seen.has(name)) continue;
    seen.add(name);
    const n = products.length;
    products.push({
      sku: `SKU-${String(10_000 + n * 37).padStart(6, '0')}-${rng.pick(['XS', 'S', 'M', 'L', 'XL', 'OS'])}`,
      name,
      slug: slugify(name),
      category: rng.pick(CATEGORIES),
      usdCents: rng.pick([1_500, 2_500, 3_900, 4_990, 5_900, 7_950, 8_900, 12_000, 14_900, 19_900, 24_500, 34_900]) + rng.pick([0, 0, 0, -1, -10, 500]),
    });
  }
  // Page popularity order: home, a few categories, then products interleaved with the rest.
  const pages: Page[] = [STATIC_PAGES[0]!];
  for (const c of CATEGORIES) pages.push({ path: `/category/${c}`, title: `${c[0]!.toUpperCase()}${c.slice(1).replace('-', ' ')} – Shop the Collection | Example Shop` });
  for (let i = 0; i < products.length; i++) {
    const p = products[i]!;
    pages.push({ path: `/products/${p.slug}`, title: `${p.name} | Example Shop`, product: p });
    if (i % 30 === 5) pages.push(STATIC_PAGES[1 + ((i / 30) | 0) % (STATIC_PAGES.length - 1)]!);
    if (i % 40 === 20) {
      const b = BLOG[((i / 40) | 0) % BLOG.length]!;
      pages.push({ path: `/blog/${b}`, title: `${b.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ')} – The Example Shop Journal` });
    }
  }
  return { products, pages };
}

export const { products: PRODUCTS, pages: PAGES } = buildCatalog();
export const PAGE_POPULARITY = new Zipf(PAGES.length, 1.05);
export const PRODUCT_POPULARITY = new Zipf(PRODUCTS.length, 0.9);
export const PRODUCT_PAGES: Page[] = PAGES.filter((p) => p.product !== undefined);

/** Hosts of the site; the first is the canonical one. */
export const HOSTS = ['shop.example.com', 'www.example.com'];

/** Browser user agents by device class (none of them matches a bot rule). */
export const USER_AGENTS: Weighted<[string, Device]> = new Weighted<[string, Device]>([
  [['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'desktop'], 24],
  [['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 'desktop'], 6],
  [['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67', 'desktop'], 6],
  [['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15', 'desktop'], 10],
  [['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36', 'desktop'], 2],
  [['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'desktop'], 1],
  [['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1', 'mobile'], 22],
  [['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36', 'mobile'], 9],
  [['Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36', 'mobile'], 7],
  [['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 'tablet'], 6],
  [['Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'tablet'], 3],
  [['Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.2.1 like Chrome/124.0.6367.82 Safari/537.36', 'tablet'], 1],
]);

/** User agents of crawlers and scripts (each matches SPEC §2's bot rule). */
export const BOT_USER_AGENTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Go-http-client/1.1',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
];

/** Visitor countries with their shop currency. */
export const COUNTRIES: Weighted<[string, string]> = new Weighted<[string, string]>([
  [['US', 'USD'], 34], [['GB', 'GBP'], 12], [['DE', 'EUR'], 10], [['FR', 'EUR'], 7], [['CA', 'USD'], 5],
  [['JP', 'JPY'], 6], [['NL', 'EUR'], 4], [['ES', 'EUR'], 3], [['IT', 'EUR'], 3], [['AU', 'USD'], 3],
  [['IN', 'USD'], 3], [['BR', 'USD'], 2], [['SE', 'EUR'], 2], [['IE', 'EUR'], 2], [['BH', 'BHD'], 2], [['MX', 'USD'], 2],
]);

/** Minor-unit digits of the currencies the generators use. */
export const CURRENCY_DIGITS: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, JPY: 0, BHD: 3 };
const RATES: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, JPY: 155, BHD: 0.376 };

/** A product's price in minor units of `currency`, rounded to a shop-like price. */
export function priceIn(usdCents: number, currency: string): number {
  const digits = CURRENCY_DIGITS[currency] ?? 2;
  const major = (usdCents / 100) * (RATES[currency] ?? 1);
  if (digits === 0) return Math.max(100, Math.round(major / 10) * 10); // JPY: whole tens
  const minor = Math.round(major * 10 ** digits);
  return digits === 3 ? Math.round(minor / 5) * 5 : minor; // BHD: multiples of 5 fils
}

/** Minor units as a decimal string with exactly the currency's digits (`1999` → `19.99`). */
export function minorToText(minor: number, currency: string): string {
  const digits = CURRENCY_DIGITS[currency] ?? 2;
  if (digits === 0) return String(minor);
  const s = String(minor).padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Minor units as a JSON number (`1999` → `19.99`; its shortest text has ≤ digits decimals). */
export function minorToNumber(minor: number, currency: string): number {
  return minor / 10 ** (CURRENCY_DIGITS[currency] ?? 2);
}

/** Landing-page referrers (an empty string and none are direct traffic). */
export const REFERRERS: Weighted<string | undefined> = new Weighted<string | undefined>([
  [undefined, 30], ['', 5], ['https://www.google.com/', 30], ['https://www.bing.com/', 4], ['https://duckduckgo.com/', 3],
  ['https://www.facebook.com/', 6], ['https://t.co/a8Xk2LpQ9z', 3], ['https://www.instagram.com/', 5],
  ['https://news.ycombinator.com/item?id=40212345', 1], ['android-app://com.google.android.gm/', 2], ['https://mail.example.net/inbox', 2],
]);

/** Campaign tags on some landing pages. */
export const CAMPAIGNS: [source: string, medium: string, campaign: string][] = [
  ['google', 'cpc', 'spring_sale_2026'], ['newsletter', 'email', 'weekly_picks'], ['facebook', 'social', 'new_arrivals'],
  ['instagram', 'social', 'influencer_q2'], ['bing', 'cpc', 'brand_terms'], ['partner_blog', 'referral', 'gift_guide'],
];

/** Public-looking IPv4 first octets (no private, loopback or reserved ranges). */
export const IPV4_FIRST = [23, 31, 45, 52, 63, 77, 81, 88, 91, 101, 103, 109, 145, 151, 176, 185, 193, 203, 212, 217];
export const IPV6_PREFIXES = ['2a02:8108', '2600:1700', '2406:da18', '2a01:4f8', '2001:818', '2603:8000', '2c0f:fb50'];
