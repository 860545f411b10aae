import { dot, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import type { Gating } from './config.js';
import type { HeadRouter } from './head-router.js';
import { testBackends } from './__tests__/backends.js';
import { H, hr, hs, k, N, probabilitiesOf, routerCase } from './__tests__/cases.js';

/**
 * The loss whose gradient backward(c, λ) computes: Σ c ⊙ gates + λ·L_b. For binary the
 * routed gates are replaced by the straight-through surrogate r_j (shared gates are 1).
 */
function surrogateLoss(router: HeadRouter, x: Float32Array, c: Float32Array, lambda: number, gating: Gating): number {
  const routing = router.route(x, N);
  let loss = lambda * router.balanceLoss;
  if (gating !== 'binary') return loss + dot(c, routing.gates);
  const { routed, selected } = probabilitiesOf(router);
  for (let t = 0; t < N; t++) {
    for (let i = 0; i < hs; i++) loss += c[t * H + i];
    for (let q = 0; q < k; q++) {
      const j = selected[t * k + q];
      loss += c[t * H + hs + j] * routed[t * hr + j];
    }
  }
  return loss;
}

const GATINGS: Gating[] = ['paper', 'scaled', 'binary'];
const TERMS = [
  ['gates', 1, 0],
  ['load balance', 0, 0.7],
  ['gates + load balance', 1, 0.7],
] as const;

describe.each(testBackends)('HeadRouter backward vs central differences (%s)', (_, kernels) => {
  describe.each(GATINGS)('%s gating', (gating) => {
    it.each(TERMS)('%s: dX, dWs, dWr, dWh', (term, cScale, lambda) => {
      const { router, x, params, grads } = routerCase(kernels, gating, 500);
      const c = seededValues(77, N * H).map((v) => v * cScale);
      const base = router.route(x, N);
      const baseSelected = Int32Array.from(probabilitiesOf(router).selected);
      const dX = router.backward(c, lambda);
      expect(base.rows).toBe(N);
      let flips = 0;
      gradcheck(
        (inputs) => {
          const loss = surrogateLoss(router, inputs.x, c, lambda, gating);
          if (probabilitiesOf(router).selected.some((v, i) => v !== baseSelected[i])) flips++;
          return loss;
        },
        { x, ws: params.ws, wr: params.wr, wh: params.wh },
        { x: dX, ws: grads.ws, wr: grads.wr, wh: grads.wh },
        { ...FLOAT32_GRADCHECK, label: `${gating} ${term}` },
      );
      expect(flips).toBe(0);
    });
  });

  it.each(GATINGS)('%s: weights learn from the gates alone and from L_b alone', (gating) => {
    const nonzero = (a: Float32Array): boolean => a.some((v) => Math.abs(v) > 1e-4);
    const { router, x, grads } = routerCase(kernels, gating, 600);
    router.route(x, N);
    router.backward(seededValues(78, N * H), 0);
    expect(nonzero(grads.wr)).toBe(true);
    // binary gates ignore s and α, so their weights must get exactly nothing.
    expect(nonzero(grads.ws)).toBe(gating !== 'binary');
    expect(nonzero(grads.wh)).toBe(gating !== 'binary');
    if (gating === 'binary') expect([...grads.ws, ...grads.wh].every((v) => v === 0)).toBe(true);
    for (const g of [grads.ws, grads.wr, grads.wh]) g.fill(0);
    const dX = router.backward(new Float32Array(N * H), 1);
    expect(nonzero(grads.wr)).toBe(true);
    expect(nonzero(dX)).toBe(true);
    expect([...grads.ws, ...grads.wh].every((v) => v === 0)).toBe(true);
  });

  it('accumulates weight gradients and overwrites dX', () => {
    const { router, x, grads } = routerCase(kernels, 'scaled', 700);
    router.route(x, N);
    const c = seededValues(79, N * H);
    const dX1 = router.backward(c, 0.3);
    const once = [Float32Array.from(grads.ws), Float32Array.from(grads.wr), Float32Array.from(grads.wh)];
    const dX2 = router.backward(c, 0.3);
    expect(Array.from(dX2)).toEqual(Array.from(dX1));
    [grads.ws, grads.wr, grads.wh].forEach((g, i) => {
      g.forEach((v, j) => expect(Math.abs(v - 2 * once[i][j])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(v))));
    });
  });
});
