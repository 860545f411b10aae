import { testBackends } from './__tests__/backends.js';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import {
  linearRouterBackward,
  linearRouterForward,
  routingProbabilities,
  routingProbabilitiesBackward,
} from './probabilities.js';

// Shapes: N rows, d input width, E experts; d ≠ E so a transposed weight gradient fails.
const N = 5;
const d = 3;
const E = 4;
const TIGHT = { atol: 1e-6, rtol: 1e-5 };

describe.each(testBackends)('routing probabilities (%s)', (_, kernels) => {
  it('are the row softmax of the logits, to float32 rounding', () => {
    const logits = seededValues(1, N * E, 3);
    const probs = new Float32Array(N * E);
    routingProbabilities(kernels, probs, logits, N, E);
    const expected = new Float64Array(N * E);
    for (let t = 0; t < N; t++) {
      let z = 0;
      for (let j = 0; j < E; j++) z += Math.exp(logits[t * E + j]);
      for (let j = 0; j < E; j++) expected[t * E + j] = Math.exp(logits[t * E + j]) / z;
    }
    expectClose(probs, expected, TIGHT, 'softmax');
  });

  it('backward matches central differences', () => {
    const logits = seededValues(2, N * E, 2);
    const c = seededValues(3, N * E);
    const probs = new Float32Array(N * E);
    routingProbabilities(kernels, probs, logits, N, E);
    const dLogits = new Float32Array(N * E);
    routingProbabilitiesBackward(kernels, dLogits, probs, c, N, E);
    gradcheck(
      ({ logits: z }) => {
        const p = new Float32Array(N * E);
        routingProbabilities(kernels, p, z, N, E);
        return dot(c, p);
      },
      { logits },
      { logits: dLogits },
      { ...FLOAT32_GRADCHECK, label: 'routingProbabilities' },
    );
  });

  it('linear router backward matches central differences for x and w', () => {
    const x = seededValues(4, N * d);
    const w = seededValues(5, E * d);
    const c = seededValues(6, N * E);
    const probs = new Float32Array(N * E);
    linearRouterForward(kernels, probs, x, w, N, d, E);
    const dx = new Float32Array(N * d);
    const dw = new Float32Array(E * d);
    linearRouterBackward(kernels, dx, dw, new Float32Array(N * E), x, w, probs, c, N, d, E);
    gradcheck(
      (inputs) => {
        const p = new Float32Array(N * E);
        linearRouterForward(kernels, p, inputs.x, inputs.w, N, d, E);
        return dot(c, p);
      },
      { x, w },
      { x: dx, w: dw },
      { ...FLOAT32_GRADCHECK, label: 'linearRouter' },
    );
  });

  it('gives hand-computed values (catches a transposed or negated gradient)', () => {
    // x = [1, 2, 3]; expert 0 scores ln 3, expert 1 scores 0, so P = [3/4, 1/4].
    const x = new Float32Array([1, 2, 3]);
    const w = new Float32Array([Math.log(3), 0, 0, 0, 0, 0]);
    const probs = new Float32Array(2);
    linearRouterForward(kernels, probs, x, w, 1, 3, 2);
    expectClose(probs, [0.75, 0.25], TIGHT, 'probs');
    // dP = [1, 0]: dLogits = P ⊙ (dP − P·dP) = [3/16, −3/16]; dw = dLogitsᵀ x; dx = dLogits · w.
    const dx = new Float32Array(3);
    const dw = new Float32Array(6);
    const dLogits = new Float32Array(2);
    linearRouterBackward(kernels, dx, dw, dLogits, x, w, probs, new Float32Array([1, 0]), 1, 3, 2);
    expectClose(dLogits, [0.1875, -0.1875], TIGHT, 'dLogits');
    expectClose(dw, [0.1875, 0.375, 0.5625, -0.1875, -0.375, -0.5625], TIGHT, 'dw');
    expectClose(dx, [0.1875 * Math.log(3), 0, 0], TIGHT, 'dx');
  });

  it('accumulates dw always and dx only when asked', () => {
    const x = seededValues(7, N * d);
    const w = seededValues(8, E * d);
    const c = seededValues(9, N * E);
    const probs = new Float32Array(N * E);
    linearRouterForward(kernels, probs, x, w, N, d, E);
    const fresh = { dx: new Float32Array(N * d), dw: new Float32Array(E * d) };
    linearRouterBackward(kernels, fresh.dx, fresh.dw, new Float32Array(N * E), x, w, probs, c, N, d, E);
    const dx = new Float32Array(N * d).fill(1);
    const dw = new Float32Array(E * d).fill(1);
    linearRouterBackward(kernels, dx, dw, new Float32Array(N * E), x, w, probs, c, N, d, E);
    expectClose(dx, fresh.dx, TIGHT, 'dx overwritten');
    expectClose(dw, fresh.dw.map((v) => v + 1), TIGHT, 'dw accumulated');
    linearRouterBackward(kernels, dx, dw, new Float32Array(N * E), x, w, probs, c, N, d, E, true);
    expectClose(dx, fresh.dx.map((v) => 2 * v), TIGHT, 'dx accumulated');
    expect(fresh.dw.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });
});
