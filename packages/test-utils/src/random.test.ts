import { describe, expect, it } from 'vitest';
import { dot, seededInts, seededValues, testRandom, toFloat64 } from './index.js';

describe('seeded test data', () => {
  it('is repeatable for a seed and differs between seeds', () => {
    expect(Array.from(seededValues(3, 8))).toEqual(Array.from(seededValues(3, 8)));
    expect(Array.from(seededValues(3, 8))).not.toEqual(Array.from(seededValues(4, 8)));
  });

  it('stays in range and spreads over it', () => {
    const x = seededValues(1, 1000, 0.5);
    expect(x).toBeInstanceOf(Float32Array);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...x)).toBeLessThan(0.5);
    expect(Math.min(...x)).toBeLessThan(-0.45);
    expect(Math.max(...x)).toBeGreaterThan(0.45);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    const ints = seededInts(2, 500, -1, 3);
    expect(new Set(ints)).toEqual(new Set([-1, 0, 1, 2]));
    const next = testRandom(9);
    for (let i = 0; i < 100; i++) {
      const u = next();
      expect(u >= 0 && u < 1).toBe(true);
    }
  });

  it('dot sums in float64 and toFloat64 copies', () => {
    expect(dot([1, 2, 3], new Float32Array([4, -5, 6]))).toBe(12);
    expect(dot(new Float32Array([1e8, 1, -1e8]), [1, 1, 1])).toBe(1);
    expect(() => dot([1], [1, 2])).toThrow(/lengths differ/);
    const src = new Float32Array([0.1, 2]);
    const copy = toFloat64(src);
    copy[1] = 7;
    expect(src[1]).toBe(2);
    expect(copy[0]).toBe(Math.fround(0.1));
  });
});
