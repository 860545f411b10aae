// Adam and AdamW steps over flat buffers, and global-norm clipping. The bias
// corrections `1 − βᵗ` arrive precomputed in f64 from the caller.

import { sumSquares } from './reductions';

/**
 * One step over `n` parameters. `l2` is the Adam weight decay (added to the gradient),
 * `decoupled` the AdamW one (`p −= lr·wd·p`, applied before the Adam update).
 */
function step(
  param: usize, m: usize, v: usize, grad: usize, lr: f32, beta1: f32, beta2: f32, eps: f32,
  l2: f32, decoupled: f32, bc1: f32, bc2: f32, n: i32,
): void {
  const lrv = f32x4.splat(lr), b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(1 - beta1), c2 = f32x4.splat(1 - beta2), ev = f32x4.splat(eps);
  const l2v = f32x4.splat(l2), keep = f32x4.splat(1 - lr * decoupled);
  const ib1 = f32x4.splat(1 / bc1), ib2 = f32x4.splat(1 / bc2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = f32x4.add(v128.load(grad + o), f32x4.mul(l2v, p));
    const mt = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g));
    const vt = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(g, g)));
    v128.store(m + o, mt);
    v128.store(v + o, vt);
    const denom = f32x4.add(f32x4.sqrt(f32x4.mul(vt, ib2)), ev);
    const update = f32x4.div(f32x4.mul(mt, ib1), denom);
    v128.store(param + o, f32x4.sub(f32x4.mul(p, keep), f32x4.mul(lrv, update)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    const g = load<f32>(grad + o) + l2 * p;
    const mt = beta1 * load<f32>(m + o) + (1 - beta1) * g;
    const vt = beta2 * load<f32>(v + o) + (1 - beta2) * g * g;
    store<f32>(m + o, mt);
    store<f32>(v + o, vt);
    const update = (mt / bc1) / (Mathf.sqrt(vt / bc2) + eps);
    store<f32>(param + o, p * (1 - lr * decoupled) - lr * update);
  }
}

/** One Adam step (L2 weight decay). */
export function adamStep(
  param: usize, m: usize, v: usize, grad: usize, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32,
  bc1: f32, bc2: f32, n: i32,
): void {
  step(param, m, v, grad, lr, beta1, beta2, eps, wd, 0, bc1, bc2, n);
}

/** One AdamW step (decoupled weight decay). */
export function adamwStep(
  param: usize, m: usize, v: usize, grad: usize, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32,
  bc1: f32, bc2: f32, n: i32,
): void {
  step(param, m, v, grad, lr, beta1, beta2, eps, 0, wd, bc1, bc2, n);
}

/** `sqrt(Σ x²)` in f64. */
export function l2Norm(x: usize, n: i32): f64 {
  return Math.sqrt(sumSquares(x, n));
}

/** Scales x to global norm `maxNorm` when its norm exceeds it; returns the norm before. */
export function clipByGlobalNorm(x: usize, maxNorm: f64, n: i32): f64 {
  const norm = l2Norm(x, n);
  if (norm > maxNorm) {
    const s = <f32>(maxNorm / norm);
    const sv = f32x4.splat(s);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(x + o, load<f32>(x + o) * s);
    }
  }
  return norm;
}
