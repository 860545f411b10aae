import { expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { loadBalanceLoss, loadBalanceLossBackward, loadBalanceRowGradient } from './balance.js';

const TIGHT = { atol: 1e-6, rtol: 1e-6 };

describe('loadBalanceLoss', () => {
  it('equals k for perfectly balanced routing, whatever the probabilities', () => {
    // E = 4, k = 2, 4 rows; every expert is selected by exactly 2 rows.
    const E = 4;
    const k = 2;
    const indices = new Int32Array([0, 1, 2, 3, 1, 2, 3, 0]);
    const probs = seededValues(41, 4 * E).map((v) => 0.5 + 0.4 * v);
    const f = new Float64Array(E);
    const p = new Float64Array(E);
    // Normalize rows so Σ_j P_j = 1, as for softmax outputs.
    for (let t = 0; t < 4; t++) {
      let s = 0;
      for (let j = 0; j < E; j++) s += probs[t * E + j];
      for (let j = 0; j < E; j++) probs[t * E + j] /= s;
    }
    expectClose(loadBalanceLoss(f, p, probs, indices, 4, E, k), k, TIGHT, 'balanced L_b');
    expectClose(f, [0.5, 0.5, 0.5, 0.5], TIGHT, 'f');
  });

  it('exceeds k when load concentrates where the probability is (hand-computed)', () => {
    // E = 3, k = 1; both rows pick expert 0 with r = [0.6, 0.3, 0.1] and [0.8, 0.1, 0.1].
    const f = new Float64Array(3);
    const p = new Float64Array(3);
    const loss = loadBalanceLoss(f, p, new Float32Array([0.6, 0.3, 0.1, 0.8, 0.1, 0.1]), new Int32Array([0, 0]), 2, 3, 1);
    // f = [1, 0, 0], P = [0.7, 0.2, 0.1]: L_b = 3 · 0.7 = 2.1.
    expectClose(loss, 2.1, { atol: 1e-6, rtol: 1e-6 }, 'L_b');
    expect(loss).toBeGreaterThan(1);
    expectClose(p, [0.7, 0.2, 0.1], { atol: 1e-7, rtol: 1e-6 }, 'P');
  });

  it('is 0 for no rows', () => {
    expect(loadBalanceLoss(new Float64Array(2), new Float64Array(2), new Float32Array(0), new Int32Array(0), 0, 2, 1)).toBe(0);
  });
});

describe('loadBalanceLossBackward', () => {
  it('matches central differences through P (selection held fixed)', () => {
    const N = 5;
    const E = 4;
    const k = 2;
    const probs = seededValues(42, N * E).map((v) => 0.5 + 0.4 * v);
    const indices = new Int32Array([0, 1, 0, 2, 3, 0, 1, 3, 0, 2]);
    const f = new Float64Array(E);
    loadBalanceLoss(f, new Float64Array(E), probs, indices, N, E, k);
    const scale = 0.7;
    const dProbs = new Float32Array(N * E);
    loadBalanceLossBackward(dProbs, f, scale, N, E);
    gradcheck(
      ({ probs: r }) => scale * loadBalanceLoss(new Float64Array(E), new Float64Array(E), r, indices, N, E, k),
      { probs },
      { probs: dProbs },
      { ...FLOAT32_GRADCHECK, label: 'L_b' },
    );
    // Hand value: f_0 = 4/5, so ∂(0.7·L_b)/∂r_t0 = 0.7 · 4 · 0.8 / 5 = 0.448.
    expectClose(dProbs[0], 0.448, TIGHT, 'dL_b/dr_00');
  });

  it('adds on top of an existing gradient when accumulating', () => {
    const f = new Float64Array([1, 0]);
    const dProbs = new Float32Array([1, 1, 1, 1]);
    loadBalanceLossBackward(dProbs, f, 2, 2, 2, true);
    // 2 · E · f / N = 2 · 2 · [1, 0] / 2 = [2, 0].
    expect(Array.from(dProbs)).toEqual([3, 1, 3, 1]);
    loadBalanceLossBackward(dProbs, f, 2, 2, 2);
    expect(Array.from(dProbs)).toEqual([2, 0, 2, 0]);
  });
});

describe('loadBalanceRowGradient', () => {
  it('is the per-row term that loadBalanceLossBackward writes into every row', () => {
    const f = new Float64Array([0.75, 0.25, 1]);
    const out = new Float64Array(3);
    loadBalanceRowGradient(out, f, 0.3, 4, 3);
    // 0.3 · 3 · f / 4: unequal per expert, so a swapped expert would show.
    expect(Array.from(out)).toEqual([0.3 * 3 * 0.75 / 4, 0.3 * 3 * 0.25 / 4, 0.3 * 3 * 1 / 4]);
    const dProbs = new Float32Array(4 * 3);
    loadBalanceLossBackward(dProbs, f, 0.3, 4, 3);
    for (let t = 0; t < 4; t++) for (let j = 0; j < 3; j++) expect(dProbs[t * 3 + j]).toBe(Math.fround(out[j]));
  });

  it('is 0 without rows', () => {
    const out = new Float64Array([5, 5]);
    loadBalanceRowGradient(out, new Float64Array([1, 1]), 1, 0, 2);
    expect(Array.from(out)).toEqual([0, 0]);
  });
});
