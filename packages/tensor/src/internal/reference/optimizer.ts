/**
 * Reference optimizer kernels: Adam / AdamW steps, the global L2 norm and clipping.
 *
 * Shapes: `param`, `m`, `v`, `grad`, `x` are flat `(n)`; the moments `m`, `v` are
 * updated in place alongside the parameters.
 *
 * @packageDocumentation
 */
import type { AdamStepOptions } from '../../kernels.js';

/**
 * The one Adam update. `decoupled` selects AdamW (`p -= lr·wd·p`, independent of the
 * moments) over Adam's L2 form (`g + wd·p` fed into the moments).
 */
function adamUpdate(
  param: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grad: Float32Array,
  options: AdamStepOptions,
  decoupled: boolean,
  n: number,
): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = options;
  const c1 = 1 - Math.pow(beta1, step);
  const c2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < n; i++) {
    const p = param[i];
    const g = decoupled ? grad[i] : grad[i] + weightDecay * p;
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const update = mi / c1 / (Math.sqrt(vi / c2) + eps);
    param[i] = decoupled ? p - lr * (update + weightDecay * p) : p - lr * update;
  }
}

/** One Adam step; weight decay is L2 (added to the gradient). */
export function adamStep(
  param: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grad: Float32Array,
  options: AdamStepOptions,
  n: number,
): void {
  adamUpdate(param, m, v, grad, options, false, n);
}

/** One AdamW step; weight decay is decoupled. */
export function adamwStep(
  param: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grad: Float32Array,
  options: AdamStepOptions,
  n: number,
): void {
  adamUpdate(param, m, v, grad, options, true, n);
}

/** `sqrt(Σ x²)`, accumulated in float64. */
export function l2Norm(x: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** Scales `x` in place to L2 norm `maxNorm` when it exceeds it; returns the norm before. */
export function clipByGlobalNorm(x: Float32Array, maxNorm: number, n: number): number {
  const norm = l2Norm(x, n);
  if (norm > maxNorm) {
    const s = maxNorm / norm;
    for (let i = 0; i < n; i++) x[i] *= s;
  }
  return norm;
}
