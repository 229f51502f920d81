/**
 * Device class of SPEC §3: the first rule that matches the user agent, ignoring case.
 */

export type DeviceClass = 'desktop' | 'mobile' | 'tablet' | 'other';

/** The rules in SPEC order; tokens lower-case. */
const RULES: readonly (readonly [DeviceClass, readonly string[]])[] = [
  ['tablet', ['ipad', 'tablet', 'kindle', 'silk/', 'playbook']],
  ['mobile', ['mobi', 'iphone', 'ipod', 'windows phone']],
  // Reached only when no `Mobi` matched: Android phones say "Mobile", tablets do not.
  ['tablet', ['android']],
  ['desktop', ['windows nt', 'macintosh', 'x11', 'cros']],
];

/**
 * Classifies a user agent as `tablet`, `mobile`, `desktop` or `other` with the first
 * matching rule of SPEC §3 (case-insensitive substring tests): `iPad`, `Tablet`, `Kindle`,
 * `Silk/`, `PlayBook` → tablet; `Mobi`, `iPhone`, `iPod`, `Windows Phone` → mobile;
 * `Android` → tablet; `Windows NT`, `Macintosh`, `X11`, `CrOS` → desktop; else `other`,
 * also for a missing or empty user agent.
 *
 * @example
 * deviceClass('Mozilla/5.0 (Linux; Android 14; Pixel 8) … Mobile Safari/537.36'); // 'mobile'
 * deviceClass('Mozilla/5.0 (Linux; Android 13; SM-X700) … Safari/537.36');        // 'tablet'
 * deviceClass(undefined);                                                          // 'other'
 */
export function deviceClass(userAgent: string | null | undefined): DeviceClass {
  if (!userAgent) return 'other';
  // Unicode lower-casing (`toLowerCase`): "ignoring case" in the widest sense.
  const ua = userAgent.toLowerCase();
  for (const [device, tokens] of RULES) {
    for (const token of tokens) if (ua.includes(token)) return device;
  }
  return 'other';
}
