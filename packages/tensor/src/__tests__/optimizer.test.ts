/**
 * Spec for Adam / AdamW steps, the L2 norm and global-norm clipping. Shapes: flat `(n)`.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, seededValues } from '@moh/test-utils';
import type { AdamStepOptions } from '../kernels.js';
import { availableBackends } from '../backends.js';
import { adam64 } from './float64.js';

/** float32 state against a float64 trajectory: relative error grows slowly with steps. */
const TOL = { atol: 1e-6, rtol: 1e-5 };
const BASE = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: optimizer', (_name, be) => {
  const n = 19;

  /** Runs `steps` backend steps from fixed seeds; returns the float32 state. */
  function runSteps(decoupled: boolean, weightDecay: number, steps: number) {
    const param = seededValues(1, n, 2);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const grads = Array.from({ length: steps }, (_, s) => seededValues(100 + s, n));
    const p0 = param.slice();
    grads.forEach((grad, s) => {
      const options: AdamStepOptions = { ...BASE, weightDecay, step: s + 1 };
      if (decoupled) be.adamwStep(param, m, v, grad, options, n);
      else be.adamStep(param, m, v, grad, options, n);
    });
    return { param, m, v, want: adam64(p0, grads, { ...BASE, weightDecay }, decoupled) };
  }

  it.each([
    ['Adam', 0, false],
    ['Adam', 0.1, false],
    ['AdamW', 0, true],
    ['AdamW', 0.1, true],
  ] as const)('%s with weight decay %s matches float64 after 1 and 5 steps', (label, wd, decoupled) => {
    for (const steps of [1, 5]) {
      const { param, m, v, want } = runSteps(decoupled, wd, steps);
      expectClose(param, want.p, TOL, `${label} param after ${steps}`);
      expectClose(m, want.m, TOL, `${label} m after ${steps}`);
      expectClose(v, want.v, TOL, `${label} v after ${steps}`);
    }
  });

  it('first step moves each parameter by about lr against the gradient sign (catches a sign error)', () => {
    const param = new Float32Array([1, 1, 1]);
    const grad = new Float32Array([0.5, -3, 0]);
    be.adamStep(param, new Float32Array(3), new Float32Array(3), grad, { ...BASE, weightDecay: 0, step: 1 }, 3);
    expectClose(param, [0.99, 1.01, 1], { atol: 1e-6, rtol: 0 }, 'adam step 1');
  });

  it('Adam and AdamW differ with weight decay and agree without it', () => {
    const adam = runSteps(false, 0.1, 3).param;
    const adamw = runSteps(true, 0.1, 3).param;
    const diff = adam.reduce((s, a, i) => Math.max(s, Math.abs(a - adamw[i])), 0);
    expect(diff).toBeGreaterThan(1e-4);
    expectClose(runSteps(false, 0, 3).param, runSteps(true, 0, 3).param, { atol: 0, rtol: 0 }, 'wd = 0');
  });

  it('AdamW decays a parameter with zero gradient by lr·wd·p; Adam moves it by about lr', () => {
    const opts = { ...BASE, weightDecay: 0.5, step: 1 };
    const pw = new Float32Array([2]);
    be.adamwStep(pw, new Float32Array(1), new Float32Array(1), new Float32Array([0]), opts, 1);
    expectClose(pw, [2 - 0.01 * 0.5 * 2], { atol: 1e-7, rtol: 0 }, 'AdamW decoupled decay');
    const pa = new Float32Array([2]);
    be.adamStep(pa, new Float32Array(1), new Float32Array(1), new Float32Array([0]), opts, 1);
    expectClose(pa, [2 - 0.01], { atol: 1e-6, rtol: 0 }, 'Adam L2 decay through the moments');
  });

  it('l2Norm matches float64 and is 0 for n = 0', () => {
    const x = seededValues(7, 41, 3);
    expectClose(be.l2Norm(x, 41), Math.hypot(...x), { atol: 0, rtol: 1e-6 }, 'l2Norm');
    expect(be.l2Norm(new Float32Array([3, -4, 12]), 2)).toBeCloseTo(5, 6);
    expect(be.l2Norm(x, 0)).toBe(0);
  });

  it('clipByGlobalNorm leaves a small norm alone and scales a large one to maxNorm', () => {
    const small = new Float32Array([0.3, -0.4]);
    expect(be.clipByGlobalNorm(small, 1, 2)).toBeCloseTo(0.5, 6);
    expect(Array.from(small)).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
    const big = new Float32Array([3, -4, 99]);
    expect(be.clipByGlobalNorm(big, 2, 2)).toBeCloseTo(5, 6);
    expectClose(big, [1.2, -1.6, 99], { atol: 1e-6, rtol: 1e-6 }, 'clipped (third element outside n)');
    const x = seededValues(8, 50, 5);
    const norm = Math.hypot(...x);
    const before = Array.from(x);
    expectClose(be.clipByGlobalNorm(x, 1, 50), norm, { atol: 0, rtol: 1e-6 }, 'returned norm');
    expectClose(x, before.map((v) => v / norm), { atol: 1e-7, rtol: 1e-5 }, 'direction kept');
    expect(be.clipByGlobalNorm(new Float32Array(0), 1, 0)).toBe(0);
  });
});
