import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng (xoshiro128**)', () => {
  it('matches the published algorithm on a known state', () => {
    // Expected words computed by the generator's C definition from state {1, 2, 3, 4}.
    const rng = Rng.fromState({ s: [1, 2, 3, 4], spareNormal: null });
    const words = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(words).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const streamA = Array.from({ length: 32 }, () => a.nextUint32());
    const streamB = Array.from({ length: 32 }, () => b.nextUint32());
    const streamC = Array.from({ length: 32 }, () => c.nextUint32());
    expect(streamA).toEqual(streamB);
    expect(streamA).not.toEqual(streamC);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new Rng(1);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sumSq += u * u;
    }
    expect(outside).toBe(0);
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws normals with the requested mean and standard deviation', () => {
    const rng = new Rng(2);
    const values = new Float64Array(100_000);
    rng.fillNormal(values, 3, 2);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(variance) - 2)).toBeLessThan(0.03);
  });

  it('draws integers in range covering every value', () => {
    const rng = new Rng(3);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[rng.int(7)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(() => rng.int(0)).toThrow(/integer n/);
  });

  it('shuffles into a permutation, deterministically', () => {
    const a = new Rng(4).shuffle(Array.from({ length: 20 }, (_, i) => i));
    const b = new Rng(4).shuffle(Array.from({ length: 20 }, (_, i) => i));
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('resumes exactly from a saved state, cached normal included', () => {
    const rng = new Rng(5);
    rng.normal();
    const state = rng.getState();
    expect(state.spareNormal).not.toBeNull();
    const expected = [rng.normal(), rng.uniform(), rng.nextUint32()];
    const resumed = Rng.fromState(state);
    expect([resumed.normal(), resumed.uniform(), resumed.nextUint32()]).toEqual(expected);
  });

  it('rejects a non-finite seed and an all-zero state', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
    expect(() => Rng.fromState({ s: [0, 0, 0, 0], spareNormal: null })).toThrow(/zeros/);
  });
});
