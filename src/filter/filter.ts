/**
 * The "filtered" outcome of SPEC §2: valid records that are not counted by design.
 */
import type { FilterReason, StreamKind, ValidClick, ValidTransaction } from '../types.ts';
import { isBotUserAgent } from './bot.ts';
import type { CidrMatcher } from './cidr.ts';

/**
 * The reason a valid record is filtered, or `null` when it is not: `test` (`test: true`)
 * first, then `bot` (clickstream only: a bot user agent, see {@link isBotUserAgent}), then
 * `internal_ip` (`ip` inside the internal CIDR list). Transactions carry no user agent and,
 * in schema v1, no `ip`; an `ip` on one is still looked at, should a later version add it.
 * A record without a user agent or without an `ip` is not filtered for it.
 *
 * @example
 * filterReason({ ...click, test: true }, 'clickstream', internal);          // 'test'
 * filterReason({ ...click, userAgent: 'curl/8.5.0' }, 'clickstream', internal); // 'bot'
 * filterReason(click, 'clickstream', parseCidrList(''));                    // null
 */
export function filterReason(
  record: ValidClick | ValidTransaction,
  kind: StreamKind,
  internal: CidrMatcher,
): FilterReason | null {
  if (record.test === true) return 'test';
  if (kind === 'clickstream') {
    const ua = (record as ValidClick).userAgent;
    if (ua !== undefined && isBotUserAgent(ua)) return 'bot';
  }
  const ip = (record as { ip?: unknown }).ip;
  if (typeof ip === 'string' && internal.size > 0 && internal.contains(ip)) return 'internal_ip';
  return null;
}
