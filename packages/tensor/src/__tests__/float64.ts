/**
 * Plain float64 computations the kernel spec compares against, written as directly as
 * possible from the definitions in `kernels.ts` (no tiling, no tricks).
 *
 * Shapes follow the kernels: row-major `(rows, cols)`; `gemm64` takes element accessors so
 * each layout states its own indexing.
 */
import type { AdamStepOptions } from '../kernels.js';

/** `out(m,n) = Σ_p A(i,p)·B(p,j)` with `A`, `B` given as accessors. */
export function gemm64(
  m: number,
  k: number,
  n: number,
  aAt: (i: number, p: number) => number,
  bAt: (p: number, j: number) => number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += aAt(i, p) * bAt(p, j);
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Row softmax by the definition `exp(x_j) / Σ exp(x)`, shifted by the row max to stay finite. */
export function softmax64(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]);
    const mx = Math.max(...row);
    const e = row.map((v) => Math.exp(v - mx));
    const s = e.reduce((acc, v) => acc + v, 0);
    e.forEach((v, j) => (out[r * cols + j] = v / s));
  }
  return out;
}

/** Row log-softmax `x − max − log Σ exp(x − max)`. */
export function logSoftmax64(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]);
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((acc, v) => acc + Math.exp(v - mx), 0));
    row.forEach((v, j) => (out[r * cols + j] = v - lse));
  }
  return out;
}

/** Mean of `−log softmax(x)[target]` over rows with `target ≥ 0`; 0 when none. */
export function crossEntropy64(logits: ArrayLike<number>, targets: ArrayLike<number>, rows: number, cols: number): number {
  const ls = logSoftmax64(logits, rows, cols);
  let loss = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (targets[r] < 0) continue;
    loss -= ls[r * cols + targets[r]];
    count++;
  }
  return count === 0 ? 0 : loss / count;
}

/** RMSNorm forward: `(out, rstd)`. */
export function rmsnorm64(x: ArrayLike<number>, gamma: ArrayLike<number>, eps: number, rows: number, cols: number) {
  const out = new Float64Array(rows * cols);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let j = 0; j < cols; j++) sq += x[r * cols + j] ** 2;
    rstd[r] = 1 / Math.sqrt(sq / cols + eps);
    for (let j = 0; j < cols; j++) out[r * cols + j] = gamma[j] * x[r * cols + j] * rstd[r];
  }
  return { out, rstd };
}

/** LayerNorm forward with the biased variance: `(out, mean, rstd)`. */
export function layernorm64(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps: number,
  rows: number,
  cols: number,
) {
  const out = new Float64Array(rows * cols);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[r * cols + j];
    mean[r] = s / cols;
    let v = 0;
    for (let j = 0; j < cols; j++) v += (x[r * cols + j] - mean[r]) ** 2;
    rstd[r] = 1 / Math.sqrt(v / cols + eps);
    for (let j = 0; j < cols; j++) out[r * cols + j] = gamma[j] * (x[r * cols + j] - mean[r]) * rstd[r] + beta[j];
  }
  return { out, mean, rstd };
}

/**
 * `steps` Adam (or AdamW when `decoupled`) updates in float64 from the textbook formulas,
 * one gradient per step; returns the final parameters and moments.
 */
export function adam64(
  param0: ArrayLike<number>,
  grads: readonly ArrayLike<number>[],
  options: Omit<AdamStepOptions, 'step'>,
  decoupled: boolean,
) {
  const n = param0.length;
  const p = Float64Array.from(param0);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const { lr, beta1, beta2, eps, weightDecay: wd } = options;
  grads.forEach((grad, s) => {
    const t = s + 1;
    for (let i = 0; i < n; i++) {
      const g = decoupled ? grad[i] : grad[i] + wd * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      const mHat = m[i] / (1 - beta1 ** t);
      const vHat = v[i] / (1 - beta2 ** t);
      if (decoupled) p[i] -= lr * wd * p[i];
      p[i] -= lr * (mHat / (Math.sqrt(vHat) + eps));
    }
  });
  return { p, m, v };
}
