import { testBackends } from './__tests__/backends.js';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import type { GateMode } from './config.js';
import { gatesBackward, gatesForward } from './gates.js';
import { routingProbabilities, routingProbabilitiesBackward } from './probabilities.js';
import { topKExperts } from './selection.js';

// Shapes: N rows, E experts, k selected per row.
const N = 6;
const E = 5;
const k = 2;
const TIGHT = { atol: 1e-6, rtol: 1e-5 };

/** Logits whose per-row values are ≥ 0.5 apart, so a perturbation of 1e-2 never reorders them. */
function separatedLogits(seed: number): Float32Array {
  const noise = seededValues(seed, N * E, 0.1);
  const logits = new Float32Array(N * E);
  for (let t = 0; t < N; t++) {
    for (let j = 0; j < E; j++) logits[t * E + j] = 0.6 * ((j * 3 + t) % E) + noise[t * E + j];
  }
  return logits;
}

describe('gatesForward', () => {
  const probs = new Float32Array([0.5, 0.3, 0.2, 0.1, 0.2, 0.7]);
  const indices = new Int32Array([0, 1, 2, 1]);
  const cases: [GateMode, number[]][] = [
    ['probability', [0.5, 0.3, 0, 0, 0.2, 0.7]],
    ['renormalized', [0.625, 0.375, 0, 0, 0.2 / 0.9, 0.7 / 0.9]],
    ['straightThrough', [1, 1, 0, 0, 1, 1]],
  ];
  it.each(cases)('%s gives the hand-computed gates, 0 where unselected', (mode, expected) => {
    const gates = new Float32Array(6).fill(9);
    gatesForward(gates, probs, indices, mode, 2, 3, 2);
    expectClose(gates, expected, TIGHT, mode);
  });

  it('straight-through gates are exactly 1 and 0', () => {
    const gates = new Float32Array(6);
    gatesForward(gates, probs, indices, 'straightThrough', 2, 3, 2);
    expect(Array.from(gates)).toEqual([1, 1, 0, 0, 1, 1]);
  });
});

describe('gatesBackward', () => {
  it('renormalized: hand-computed gradient through the renormalisation', () => {
    // r = [0.5, 0.3 | 0.2], S = 0.8, g = [0.625, 0.375]; dg = [1, 0]:
    // dr_j = (dg_j − Σ dg_m g_m) / S = [(1 − 0.625) / 0.8, (0 − 0.625) / 0.8] = [0.46875, −0.78125].
    const dProbs = new Float32Array(3).fill(5);
    gatesBackward(dProbs, new Float32Array([1, 0, 4]), new Float32Array([0.5, 0.3, 0.2]), new Int32Array([0, 1]), 'renormalized', 1, 3, 2);
    expectClose(dProbs, [0.46875, -0.78125, 0], TIGHT, 'dProbs');
  });

  const modes: GateMode[] = ['probability', 'renormalized'];
  it.each(modes)('%s matches central differences of Σ c·g with respect to the probabilities', (mode) => {
    const probs = seededValues(21, N * E).map((v) => 0.5 + 0.4 * v);
    const indices = new Int32Array(N * k);
    for (let t = 0; t < N; t++) {
      indices[t * k] = t % E;
      indices[t * k + 1] = (t + 2) % E;
    }
    const c = seededValues(22, N * E);
    const dProbs = new Float32Array(N * E);
    gatesBackward(dProbs, c, probs, indices, mode, N, E, k);
    gradcheck(
      ({ probs: p }) => {
        const g = new Float32Array(N * E);
        gatesForward(g, p, indices, mode, N, E, k);
        return dot(c, g);
      },
      { probs },
      { probs: dProbs },
      { ...FLOAT32_GRADCHECK, label: mode },
    );
  });

  it('straight-through backward is the gradient of the surrogate gate r', () => {
    const probs = seededValues(23, N * E).map((v) => 0.5 + 0.4 * v);
    const indices = new Int32Array(N * k).map((_, i) => (i * 2 + (i >> 1)) % E);
    const c = seededValues(24, N * E);
    const straight = new Float32Array(N * E);
    const surrogate = new Float32Array(N * E);
    gatesBackward(straight, c, probs, indices, 'straightThrough', N, E, k);
    gatesBackward(surrogate, c, probs, indices, 'probability', N, E, k);
    expect(Array.from(straight)).toEqual(Array.from(surrogate));
    expect(straight.some((v) => v !== 0)).toBe(true);
  });
});

describe.each(testBackends)('logits → top-k → gates chain (%s)', (_, kernels) => {
  const modes: GateMode[] = ['probability', 'renormalized'];
  it.each(modes)('%s: gradient w.r.t. the logits matches central differences, selection held', (mode) => {
    const logits = separatedLogits(31);
    const c = seededValues(32, N * E);
    const select = (z: Float32Array): { probs: Float32Array; indices: Int32Array } => {
      const probs = new Float32Array(N * E);
      routingProbabilities(kernels, probs, z, N, E);
      const indices = new Int32Array(N * k);
      topKExperts(kernels, indices, new Float32Array(N * k), probs, N, E, k);
      return { probs, indices };
    };
    const base = select(logits);
    const dProbs = new Float32Array(N * E);
    gatesBackward(dProbs, c, base.probs, base.indices, mode, N, E, k);
    const dLogits = new Float32Array(N * E);
    routingProbabilitiesBackward(kernels, dLogits, base.probs, dProbs, N, E);
    let flips = 0;
    gradcheck(
      ({ logits: z }) => {
        const { probs, indices } = select(z);
        if (indices.some((v, i) => v !== base.indices[i])) flips++;
        const g = new Float32Array(N * E);
        gatesForward(g, probs, indices, mode, N, E, k);
        return dot(c, g);
      },
      { logits },
      { logits: dLogits },
      { ...FLOAT32_GRADCHECK, label: `chain ${mode}` },
    );
    expect(flips).toBe(0);
  });
});
