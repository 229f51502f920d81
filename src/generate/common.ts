/**
 * What the two generators share: options, the record type, the choice of each record's
 * kind, the event clock and the memory of recent records that duplicates are copied from.
 */
import { Rng } from './random.ts';

/** What a generated record is meant to become in the pipeline (SPEC §2). */
export type GeneratedKind = 'valid' | 'duplicate' | 'bad' | 'bot' | 'test' | 'late';

/** Share of each deliberate kind of record (the rest is `valid`). */
export interface GeneratorMix {
  /** the same JSON text re-sent later, with the same partition key (a producer retry) */
  duplicate: number;
  /** rejected: invalid JSON, schema violations, bad URL, future timestamp, bad money… */
  bad: number;
  /** clickstream only: a bot user agent (filtered) */
  bot: number;
  /** `test: true` (filtered) */
  test: number;
  /** valid, but `occurredAt` 1–6 hours before the event clock (counted, in an old window) */
  late: number;
}

export interface GeneratorOptions {
  /** same seed (and `startMs`) → same records */
  seed: number;
  /**
   * Event time of the first record, epoch ms. With it, event time advances `1000 / rate` ms
   * per record, independent of the wall clock (deterministic). Without it, each record's
   * event time is the wall clock when it is generated, which suits live producers whatever
   * their speed. Records must reach the stream within the allowed lateness (7 days) of
   * their event time and not more than 5 minutes before it, or they are rejected: with
   * `startMs`, choose it (and `rate`) so that the timeline stays in that window.
   */
  startMs?: number;
  /** records per second of event time, when `startMs` is given (default 200) */
  rate?: number;
  /** shares of deliberate kinds (defaults: `DEFAULT_MIX`) */
  mix?: Partial<GeneratorMix>;
}

export interface GeneratedRecord {
  /** partition key: the visitor (`anonymousId`) or the customer, as a real producer would */
  partitionKey: string;
  /** the JSON text, or deliberately bad text for `kind: 'bad'` */
  data: string;
  kind: GeneratedKind;
}

/** A generator: `next()` never ends. */
export interface RecordGenerator {
  next(): GeneratedRecord;
}

export const DEFAULT_MIX: GeneratorMix = { duplicate: 0.01, bad: 0.01, bot: 0.02, test: 0.005, late: 0.01 };

/** Chooses each record's kind with the configured shares. */
export class KindChooser {
  private readonly thresholds: [GeneratedKind, number][];

  constructor(mix: Partial<GeneratorMix> | undefined, kinds: readonly Exclude<GeneratedKind, 'valid'>[]) {
    const m = { ...DEFAULT_MIX, ...mix };
    let sum = 0;
    this.thresholds = [];
    for (const k of kinds) {
      const share = m[k as keyof GeneratorMix];
      if (!(share >= 0)) throw new RangeError(`mix.${k} must be a share ≥ 0, got ${share}`);
      sum += share;
      this.thresholds.push([k, sum]);
    }
    if (sum > 1) throw new RangeError(`the shares of mix add up to ${sum}, more than 1`);
  }

  choose(rng: Rng): GeneratedKind {
    const u = rng.next();
    for (const [k, t] of this.thresholds) if (u < t) return k;
    return 'valid';
  }
}

/** The event clock: a synthetic timeline from `startMs`, or the wall clock. */
export class EventClock {
  private count = 0;
  private readonly stepMs: number;

  constructor(private readonly startMs: number | undefined, rate: number | undefined) {
    const r = rate ?? 200;
    if (!(r > 0)) throw new RangeError(`rate must be > 0, got ${r}`);
    this.stepMs = 1000 / r;
  }

  /** Event time of the next record. */
  tick(): number {
    const i = this.count++;
    return this.startMs === undefined ? Date.now() : Math.floor(this.startMs + i * this.stepMs);
  }
}

/** The last few valid records, to re-send as producer duplicates. */
export class RecentRecords {
  private readonly items: GeneratedRecord[] = [];
  private next = 0;

  constructor(private readonly capacity = 256) {}

  add(r: GeneratedRecord): void {
    if (this.items.length < this.capacity) this.items.push(r);
    else {
      this.items[this.next] = r;
      this.next = (this.next + 1) % this.capacity;
    }
  }

  /** A copy of a random recent record marked `duplicate`, or undefined when there is none. */
  duplicate(rng: Rng): GeneratedRecord | undefined {
    if (this.items.length === 0) return undefined;
    const r = rng.pick(this.items);
    return { partitionKey: r.partitionKey, data: r.data, kind: 'duplicate' };
  }
}

/**
 * `occurredAt` as producers send it: mostly ISO-8601 UTC with milliseconds, some epoch
 * milliseconds, some ISO with a UTC offset (the same instant).
 */
export function formatTime(rng: Rng, ms: number): string | number {
  const u = rng.next();
  if (u < 0.85) return new Date(ms).toISOString();
  if (u < 0.95) return ms;
  const offsetMin = rng.pick(OFFSETS);
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
const OFFSETS = [120, 60, -300, -420, 330, 540, 0, 600];

/** Hours-earlier event time for `late` records: 1–6 hours before `ms`. */
export function lateTime(rng: Rng, ms: number): number {
  return ms - rng.range(3_600_000, 6 * 3_600_000);
}

/** An event time far in the future (2 years): `future_timestamp` whatever the arrival. */
export function futureTime(ms: number): number {
  return ms + 2 * 365 * 86_400_000;
}
