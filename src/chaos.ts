/**
 * Fault injection for demonstrations and tests (`stream-metrics up --chaos SPEC`, SPEC §7):
 * handler crashes after partial sink writes, sink throttling, timeouts. SPEC §5 must hold
 * under any of them; the end-to-end tests check that it does.
 */
import { ConfigError } from './errors.ts';

export interface ChaosSettings {
  /** probability, per step between sink writes, that the handler crashes */
  crash: number;
  /** probability that a sink call is answered with a throttling error */
  throttle: number;
  /** probability, per invocation, that the handler hangs past its timeout */
  timeout: number;
}

export const NO_CHAOS: ChaosSettings = { crash: 0, throttle: 0, timeout: 0 };

/** What `--chaos on` means: a sensible mix that still makes progress. */
export const CHAOS_ON: ChaosSettings = { crash: 0.03, throttle: 0.05, timeout: 0.02 };

/**
 * Parses `on`, `off`, or a list such as `crash=0.05,throttle=0.1,timeout=0.02`.
 *
 * @example
 * parseChaos('crash=0.1') // → { crash: 0.1, throttle: 0, timeout: 0 }
 */
export function parseChaos(spec: string | undefined, setting = '--chaos'): ChaosSettings {
  const s = (spec ?? '').trim();
  if (s === '' || s === 'off') return { ...NO_CHAOS };
  if (s === 'on') return { ...CHAOS_ON };
  const out = { ...NO_CHAOS };
  for (const part of s.split(',')) {
    const [k, v] = part.split('=').map((x) => x.trim());
    if (k !== 'crash' && k !== 'throttle' && k !== 'timeout') throw new ConfigError(setting, `unknown fault "${k}" (use crash, throttle, timeout, "on" or "off")`);
    const p = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(p) || p < 0 || p > 1) throw new ConfigError(setting, `${k} needs a probability between 0 and 1, e.g. ${k}=0.05`);
    out[k] = p;
  }
  return out;
}
