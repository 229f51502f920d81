import { describe, expect, it } from 'vitest';
import { CHAOS_ON, parseChaos } from '../src/chaos.ts';
import { ConfigError } from '../src/errors.ts';

describe('parseChaos', () => {
  it('reads on, off and lists', () => {
    expect(parseChaos('off')).toEqual({ crash: 0, throttle: 0, timeout: 0 });
    expect(parseChaos('on')).toEqual(CHAOS_ON);
    expect(parseChaos('crash=0.05, throttle=0.1')).toEqual({ crash: 0.05, throttle: 0.1, timeout: 0 });
  });

  it('names the flag and the bad fault', () => {
    expect(() => parseChaos('explode=1')).toThrow(ConfigError);
    expect(() => parseChaos('explode=1')).toThrow(/--chaos: unknown fault "explode"/);
    expect(() => parseChaos('crash=2', 'CHAOS')).toThrow(/CHAOS: crash needs a probability/);
  });
});
