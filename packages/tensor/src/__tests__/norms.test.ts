/**
 * Spec for RMSNorm and LayerNorm, forward and backward.
 * Shapes: `x`, `out`, `dy`, `dx` `(rows, cols)`; `gamma`, `beta` `(cols)`; `mean`, `rstd` `(rows)`.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';
import { layernorm64, rmsnorm64 } from './float64.js';

const TOL = { atol: 2e-6, rtol: 1e-5 };
const EPS = 1e-5;

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: norms', (_name, be) => {
  const SHAPES: [number, number][] = [
    [1, 1],
    [3, 5],
    [4, 13],
    [2, 64],
  ];

  describe('rmsnorm', () => {
    it.each(SHAPES)('matches float64 at %ix%i, including the saved rstd', (rows, cols) => {
      const x = seededValues(rows * 31 + cols, rows * cols, 3);
      const gamma = seededValues(cols, cols, 2);
      const out = new Float32Array(rows * cols);
      const rstd = new Float32Array(rows);
      be.rmsnormForward(out, rstd, x, gamma, EPS, rows, cols);
      const want = rmsnorm64(x, gamma, EPS, rows, cols);
      expectClose(out, want.out, TOL, 'rmsnorm out');
      expectClose(rstd, want.rstd, TOL, 'rmsnorm rstd');
    });

    it('is hand-checkable: [3, −4] with γ = [1, 2] gives [3, −8]/sqrt(12.5)', () => {
      const out = new Float32Array(2);
      const rstd = new Float32Array(1);
      be.rmsnormForward(out, rstd, new Float32Array([3, -4]), new Float32Array([1, 2]), 0, 1, 2);
      expectClose(out, [3 / Math.sqrt(12.5), -8 / Math.sqrt(12.5)], TOL, 'rmsnorm hand');
      // Zero rows stay finite thanks to eps; 0 rows is a no-op.
      be.rmsnormForward(out, rstd, new Float32Array([0, 0]), new Float32Array([1, 1]), EPS, 1, 2);
      expect(Array.from(out)).toEqual([0, 0]);
      be.rmsnormForward(out, rstd, new Float32Array(0), new Float32Array(2), EPS, 0, 2);
    });

    it('allows out === x', () => {
      const x = seededValues(4, 3 * 7);
      const gamma = seededValues(5, 7);
      const want = rmsnorm64(x, gamma, EPS, 3, 7);
      be.rmsnormForward(x, new Float32Array(3), x, gamma, EPS, 3, 7);
      expectClose(x, want.out, TOL, 'rmsnorm in place');
    });

    it('backward overwrites dx, accumulates dGamma, and passes gradcheck for x and γ', () => {
      const [rows, cols] = [3, 7];
      const inputs = { x: seededValues(6, rows * cols, 2), gamma: seededValues(7, cols, 1.5) };
      const w = seededValues(8, rows * cols);
      const out = new Float32Array(rows * cols);
      const rstd = new Float32Array(rows);
      const loss = ({ x, gamma }: typeof inputs) => (be.rmsnormForward(out, rstd, x, gamma, EPS, rows, cols), dot(w, out));
      loss(inputs);
      const dx = new Float32Array(rows * cols).fill(50);
      const dGamma = new Float32Array(cols);
      be.rmsnormBackward(dx, dGamma, w, inputs.x, inputs.gamma, rstd, rows, cols);
      gradcheck(loss, inputs, { x: dx, gamma: dGamma }, { ...FLOAT32_GRADCHECK, label: 'rmsnorm' });
      const once = dGamma.slice();
      be.rmsnormBackward(dx, dGamma, w, inputs.x, inputs.gamma, rstd, rows, cols);
      expectClose(dGamma, Array.from(once, (v) => 2 * v), TOL, 'dGamma accumulates');
    });
  });

  describe('layernorm', () => {
    it.each(SHAPES)('matches float64 at %ix%i, including the saved mean and rstd', (rows, cols) => {
      const x = seededValues(rows * 17 + cols, rows * cols, 3).map((v) => v + 10); // offset mean
      const gamma = seededValues(cols + 1, cols, 2);
      const beta = seededValues(cols + 2, cols);
      const out = new Float32Array(rows * cols);
      const mean = new Float32Array(rows);
      const rstd = new Float32Array(rows);
      be.layernormForward(out, mean, rstd, x, gamma, beta, EPS, rows, cols);
      const want = layernorm64(x, gamma, beta, EPS, rows, cols);
      // Inputs near 10 lose ~1e-6 to float32 cancellation in x − μ; rstd amplifies it.
      const tol = { atol: 2e-5, rtol: 1e-4 };
      expectClose(out, want.out, tol, 'layernorm out');
      expectClose(mean, want.mean, TOL, 'layernorm mean');
      expectClose(rstd, want.rstd, tol, 'layernorm rstd');
    });

    it('is hand-checkable, and a single column gives β', () => {
      const out = new Float32Array(3);
      const mean = new Float32Array(1);
      const rstd = new Float32Array(1);
      // x = [1, 2, 6]: μ = 3, var = 14/3.
      be.layernormForward(out, mean, rstd, new Float32Array([1, 2, 6]), new Float32Array([1, -1, 2]), new Float32Array([0, 1, 0]), 0, 1, 3);
      const s = Math.sqrt(14 / 3);
      expectClose(out, [-2 / s, 1 + 1 / s, 6 / s], TOL, 'layernorm hand');
      expectClose(mean, [3], TOL, 'mean');
      be.layernormForward(out, mean, rstd, new Float32Array([5]), new Float32Array([3]), new Float32Array([-0.5]), EPS, 1, 1);
      expectClose(out[0], -0.5, TOL, 'one column');
    });

    it('allows out === x', () => {
      const x = seededValues(9, 2 * 6);
      const gamma = seededValues(10, 6);
      const beta = seededValues(11, 6);
      const want = layernorm64(x, gamma, beta, EPS, 2, 6);
      be.layernormForward(x, new Float32Array(2), new Float32Array(2), x, gamma, beta, EPS, 2, 6);
      expectClose(x, want.out, TOL, 'layernorm in place');
    });

    it('backward overwrites dx, accumulates dGamma and dBeta, and passes gradcheck for x, γ, β', () => {
      const [rows, cols] = [3, 6];
      const inputs = {
        x: seededValues(12, rows * cols, 2),
        gamma: seededValues(13, cols, 1.5),
        beta: seededValues(14, cols),
      };
      const w = seededValues(15, rows * cols);
      const out = new Float32Array(rows * cols);
      const mean = new Float32Array(rows);
      const rstd = new Float32Array(rows);
      const loss = ({ x, gamma, beta }: typeof inputs) => {
        be.layernormForward(out, mean, rstd, x, gamma, beta, EPS, rows, cols);
        return dot(w, out);
      };
      loss(inputs);
      const dx = new Float32Array(rows * cols).fill(-3);
      const dGamma = new Float32Array(cols);
      const dBeta = new Float32Array(cols).fill(1); // accumulates on top of 1
      be.layernormBackward(dx, dGamma, dBeta, w, inputs.x, inputs.gamma, mean, rstd, rows, cols);
      const dBetaOnly = dBeta.map((v) => v - 1);
      gradcheck(loss, inputs, { x: dx, gamma: dGamma, beta: dBetaOnly }, { ...FLOAT32_GRADCHECK, label: 'layernorm' });
      // dβ = Σ_rows dy exactly.
      const colSums = Array.from({ length: cols }, (_, j) => 1 + w[j] + w[cols + j] + w[2 * cols + j]);
      expectClose(dBeta, colSums, TOL, 'dBeta');
    });
  });
});
