import { describe, expect, it } from 'vitest';
import { deviceClass } from '../../src/clean/device.ts';
import { BROWSERS } from '../filter/user-agents.ts';

describe('deviceClass', () => {
  it('classifies real user agents by the first matching rule (SPEC §3)', () => {
    const expected: Record<keyof typeof BROWSERS, ReturnType<typeof deviceClass>> = {
      chromeWindows: 'desktop',
      edgeWindows: 'desktop',
      firefoxWindows: 'desktop',
      safariMac: 'desktop',
      chromeMac: 'desktop',
      firefoxMac: 'desktop',
      firefoxLinux: 'desktop',
      chromeLinux: 'desktop',
      chromeOs: 'desktop',
      operaWindows: 'desktop',
      safariIphone: 'mobile',
      chromeIphone: 'mobile',
      firefoxIphone: 'mobile',
      chromeAndroidPhone: 'mobile',
      samsungPhone: 'mobile',
      firefoxAndroid: 'mobile',
      edgeAndroid: 'mobile',
      operaMini: 'mobile', // "Opera Mini" contains "Mobi"? no: "Mini" — see below
      windowsPhone: 'mobile',
      ipod: 'mobile',
      safariIpad: 'tablet', // "iPad" before "Mobile"
      chromeAndroidTablet: 'tablet',
      firefoxAndroidTablet: 'tablet',
      kindleSilk: 'tablet',
      kindleEink: 'tablet',
      playbook: 'tablet',
      smartTv: 'other',
      playstation: 'other',
    };
    // Opera Mini's user agent has neither Mobi nor any other token: SPEC says `other`.
    expected.operaMini = 'other';
    for (const [name, ua] of Object.entries(BROWSERS)) {
      // Act + Assert
      expect(deviceClass(ua), name).toBe(expected[name as keyof typeof BROWSERS]);
    }
  });

  it('applies the rules in order and ignores case', () => {
    const cases: [string | null | undefined, string][] = [
      ['ipad', 'tablet'],
      ['TABLET', 'tablet'],
      ['kindle', 'tablet'],
      ['Silk/1', 'tablet'],
      ['Silk 1', 'other'], // the slash is part of the token
      ['playbook', 'tablet'],
      ['iPad Mobile', 'tablet'], // tablet rule first
      ['Android Mobile', 'mobile'], // Mobi before Android
      ['Android', 'tablet'],
      ['mobi', 'mobile'],
      ['IPHONE', 'mobile'],
      ['ipod', 'mobile'],
      ['Windows Phone 8.0', 'mobile'],
      ['Windows NT 10.0; Android', 'tablet'], // Android before desktop
      ['windows nt', 'desktop'],
      ['MACINTOSH', 'desktop'],
      ['x11', 'desktop'],
      ['cros', 'desktop'],
      ['Windows 98', 'other'],
      ['', 'other'],
      [null, 'other'],
      [undefined, 'other'],
    ];
    for (const [ua, device] of cases) {
      // Act + Assert
      expect(deviceClass(ua), String(ua)).toBe(device);
    }
  });
});
