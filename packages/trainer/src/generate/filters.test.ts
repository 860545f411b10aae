import { referenceBackend } from '@moh/tensor';
import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { greedyToken, logProbabilities, sampleToken, temperatureProbabilities, topKFilter, topPFilter } from './filters.js';

const kernels = referenceBackend();
const TOL = { atol: 1e-6, rtol: 0 };
const row = (...values: number[]): Float32Array => Float32Array.from(values);

describe('temperatureProbabilities', () => {
  const logits = row(0, Math.log(2), Math.log(4)); // softmax: 1/7, 2/7, 4/7

  it('is the softmax at temperature 1', () => {
    expectClose(temperatureProbabilities(kernels, logits, 1), [1 / 7, 2 / 7, 4 / 7], TOL);
  });

  it('sharpens below 1 and flattens above 1 (logits divided, not multiplied)', () => {
    // T = 1/2 doubles the logits: weights 1, 4, 16; T = 2 halves them: 1, √2, 2.
    expectClose(temperatureProbabilities(kernels, logits, 0.5), [1 / 21, 4 / 21, 16 / 21], TOL);
    const s = 1 + Math.SQRT2 + 2;
    expectClose(temperatureProbabilities(kernels, logits, 2), [1 / s, Math.SQRT2 / s, 2 / s], TOL);
  });

  it('becomes one-hot on the argmax as the temperature approaches 0, split between tied maxima', () => {
    expect(Array.from(temperatureProbabilities(kernels, row(3, 5, 4.999), 1e-6))).toEqual([0, 1, 0]);
    expect(Array.from(temperatureProbabilities(kernels, row(5, 1, 5), 1e-6))).toEqual([0.5, 0, 0.5]);
  });

  it('rejects a temperature that is not a finite positive number', () => {
    for (const t of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => temperatureProbabilities(kernels, logits, t)).toThrow(/temperature must be a finite number > 0/);
    }
  });
});

describe('logProbabilities', () => {
  it('is log softmax', () => {
    expectClose(logProbabilities(kernels, row(0, Math.log(3))), [Math.log(0.25), Math.log(0.75)], TOL);
  });
});

describe('topKFilter', () => {
  it('keeps the k most probable tokens, renormalised', () => {
    expectClose(topKFilter(kernels, row(0.1, 0.4, 0.2, 0.3), 2), [0, 4 / 7, 0, 3 / 7], TOL);
  });

  it('with k = 1 is one-hot on the greedy token', () => {
    expect(Array.from(topKFilter(kernels, row(0.1, 0.4, 0.2, 0.3), 1))).toEqual([0, 1, 0, 0]);
  });

  it('keeps exactly k tokens on ties, lower ids first', () => {
    expect(Array.from(topKFilter(kernels, row(0.2, 0.3, 0.3, 0.2), 1))).toEqual([0, 1, 0, 0]);
    expectClose(topKFilter(kernels, row(0.2, 0.3, 0.3, 0.2), 3), [0.25, 0.375, 0.375, 0], TOL);
  });

  it('returns the row unchanged when k ≥ V', () => {
    const probs = row(0.1, 0.4, 0.2, 0.3);
    expect(topKFilter(kernels, probs, 4)).toEqual(probs);
    expect(topKFilter(kernels, probs, 9)).toEqual(probs);
    expect(topKFilter(kernels, probs, 9)).not.toBe(probs);
  });

  it('rejects k that is not a positive integer', () => {
    expect(() => topKFilter(kernels, row(1), 0)).toThrow(/topK must be an integer ≥ 1/);
    expect(() => topKFilter(kernels, row(1), 1.5)).toThrow(/topK must be an integer ≥ 1/);
  });
});

describe('topPFilter', () => {
  // Powers of two, so the running sums are exact.
  const probs = row(0.125, 0.5, 0.125, 0.25);

  it('keeps the smallest most-probable set whose mass reaches p', () => {
    expect(Array.from(topPFilter(kernels, probs, 0.5))).toEqual([0, 1, 0, 0]); // 0.5 reaches 0.5
    expectClose(topPFilter(kernels, probs, 0.6), [0, 2 / 3, 0, 1 / 3], TOL);
    expectClose(topPFilter(kernels, probs, 0.75), [0, 2 / 3, 0, 1 / 3], TOL); // reached exactly
    expectClose(topPFilter(kernels, probs, 0.8), [1 / 7, 4 / 7, 0, 2 / 7], TOL); // tie: lower id first
  });

  it('always keeps at least the most probable token', () => {
    expect(Array.from(topPFilter(kernels, probs, 1e-9))).toEqual([0, 1, 0, 0]);
  });

  it('breaks ties at the boundary towards the lower id', () => {
    expectClose(topPFilter(kernels, row(0.25, 0.25, 0.25, 0.25), 0.3), [0.5, 0.5, 0, 0], TOL);
  });

  it('returns the row unchanged at p = 1', () => {
    const uneven = row(0.1, 0.2, 0.3, 0.4);
    expect(topPFilter(kernels, uneven, 1)).toEqual(uneven);
  });

  it('rejects p outside (0, 1]', () => {
    for (const p of [0, -0.5, 1.01, Number.NaN]) expect(() => topPFilter(kernels, probs, p)).toThrow(/topP must be in \(0, 1\]/);
  });
});

describe('sampleToken', () => {
  it('picks the first id whose running sum exceeds u, never a zero-probability id', () => {
    const probs = row(0, 0.5, 0, 0.5);
    expect(sampleToken(probs, 0)).toBe(1);
    expect(sampleToken(probs, 0.49)).toBe(1);
    expect(sampleToken(probs, 0.5)).toBe(3);
    expect(sampleToken(probs, 0.999999)).toBe(3);
  });

  it('accepts unnormalised rows', () => {
    expect(sampleToken(row(2, 0, 6), 0.2)).toBe(0);
    expect(sampleToken(row(2, 0, 6), 0.3)).toBe(2);
  });

  it('refuses a row without positive probability', () => {
    expect(() => sampleToken(row(0, 0), 0.5)).toThrow(/without positive probability/);
  });
});

describe('greedyToken', () => {
  it('is the argmax, ties to the lower id', () => {
    expect(greedyToken(kernels, row(-1, 3, 2))).toBe(1);
    expect(greedyToken(kernels, row(0, 7, 1, 7))).toBe(1);
  });
});
