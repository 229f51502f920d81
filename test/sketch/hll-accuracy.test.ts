import { describe, expect, it } from 'vitest';
import { HyperLogLog } from '../../src/sketch/index.ts';

/**
 * Accuracy of the dense estimator on large sets, in its own file: about 34 million adds,
 * the slowest sketch test (a few seconds on an idle machine).
 */
describe('HyperLogLog.estimate on large sets', () => {
  it('is within 2% on every set (SPEC §4), from 2,000 to 1M distinct values', () => {
    const plan: [number, number][] = [
      [2000, 30],
      [10_000, 30],
      [30_000, 30],
      [100_000, 30],
      [1_000_000, 10],
    ];
    for (const [n, trials] of plan) {
      const errors: number[] = [];
      let signed = 0;
      for (let t = 0; t < trials; t++) {
        // Prepare: distinct ids generated on the fly (no 1M-element array); the trial number
        // makes each set different, the hash does the mixing
        const h = HyperLogLog.empty();
        for (let i = 0; i < n; i++) h.add(`u${t}-${i}-anonymous-visitor`);
        // Act
        errors.push(Math.abs(h.estimate() - n) / n);
        signed += (h.estimate() - n) / n / trials;
      }
      const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
      const max = Math.max(...errors);
      console.log(`HyperLogLog n=${n}: mean |rel error| ${(mean * 100).toFixed(2)}%, max ${(max * 100).toFixed(2)}%, bias ${(signed * 100).toFixed(2)}% over ${trials} sets`);
      // Assert: standard error 0.57 %, so 2 % is 3.5 σ for every single set
      expect(max, `n=${n}`).toBeLessThan(0.02);
      expect(Math.abs(signed), `bias at n=${n}`).toBeLessThan(0.005);
    }
  });

  it('is within 2% on 150 sets of random sizes between 3,000 and 100,000, merged from minute-sized partials', () => {
    // Prepare: the query's case — a day's answer is the union of many small partials
    let worst = 0;
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let t = 0; t < 150; t++) {
      const n = 3000 + (next() % 97_001);
      const total = HyperLogLog.empty();
      let part = HyperLogLog.empty();
      for (let i = 0; i < n; i++) {
        part.add(`set${t}-visitor-${i}`);
        if (i % 700 === 699) {
          total.merge(HyperLogLog.fromBytes(part.toBytes()));
          part = HyperLogLog.empty();
        }
      }
      total.merge(part);
      // Act
      const err = Math.abs(total.estimate() - n) / n;
      worst = Math.max(worst, err);
    }
    console.log(`HyperLogLog: worst |rel error| ${(worst * 100).toFixed(2)}% over 150 random sets`);
    // Assert
    expect(worst).toBeLessThan(0.02);
  });
});
