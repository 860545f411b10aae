// RMSNorm and LayerNorm, forward and backward, one row at a time. Row statistics are
// reduced in f32 vectors; outputs may alias inputs since every row is read in full
// (statistics) before it is written. Parameter gradients accumulate.

import { hsum } from './math';

/** Σ x over a row. */
function rowSum(x: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) acc = f32x4.add(acc, v128.load(x + (<usize>j << 2)));
  let s = hsum(acc);
  for (; j < n; j++) s += load<f32>(x + (<usize>j << 2));
  return s;
}

/** Σ (x − c)² over a row. */
function rowSquares(x: usize, c: f32, n: i32): f32 {
  const cv = f32x4.splat(c);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const d = f32x4.sub(v128.load(x + (<usize>j << 2)), cv);
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  let s = hsum(acc);
  for (; j < n; j++) {
    const d = load<f32>(x + (<usize>j << 2)) - c;
    s += d * d;
  }
  return s;
}

/** `out = γ ⊙ (x − mu) · rstd (+ β)` over a row; `beta` 0 means no shift. */
function normalize(out: usize, x: usize, gamma: usize, beta: usize, mu: f32, rstd: f32, n: i32): void {
  const mv = f32x4.splat(mu), rv = f32x4.splat(rstd);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    let y = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + o), mv), rv), v128.load(gamma + o));
    if (beta != 0) y = f32x4.add(y, v128.load(beta + o));
    v128.store(out + o, y);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let y = (load<f32>(x + o) - mu) * rstd * load<f32>(gamma + o);
    if (beta != 0) y += load<f32>(beta + o);
    store<f32>(out + o, y);
  }
}

/** RMSNorm forward: `out = γ ⊙ x / sqrt(mean(x²) + eps)`, saving `rstd` per row. */
export function rmsnormForward(out: usize, rstd: usize, x: usize, gamma: usize, eps: f32, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, out += row, x += row) {
    const rs: f32 = 1 / Mathf.sqrt(rowSquares(x, 0, cols) / <f32>cols + eps);
    store<f32>(rstd + (<usize>r << 2), rs);
    normalize(out, x, gamma, 0, 0, rs, cols);
  }
}

/**
 * The shared backward of both norms, with `x̂ = (x − mu)·rstd` and `g = γ ⊙ dy`:
 * `dx = rstd · (g − c0 − x̂ · c1)` where `c1 = mean(g ⊙ x̂)` and `c0` is `mean(g)` for
 * LayerNorm and 0 for RMSNorm; `dγ += dy ⊙ x̂` and, for LayerNorm, `dβ += dy`.
 */
function normBackwardRow(
  dx: usize, dGamma: usize, dBeta: usize, dy: usize, x: usize, gamma: usize,
  mu: f32, rs: f32, centered: bool, n: i32,
): void {
  const mv = f32x4.splat(mu), rv = f32x4.splat(rs);
  let sg = f32x4.splat(0), sgx = sg;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const g = f32x4.mul(v128.load(gamma + o), v128.load(dy + o));
    sg = f32x4.add(sg, g);
    sgx = f32x4.add(sgx, f32x4.mul(g, f32x4.mul(f32x4.sub(v128.load(x + o), mv), rv)));
  }
  let sumG = hsum(sg), sumGx = hsum(sgx);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const g = load<f32>(gamma + o) * load<f32>(dy + o);
    sumG += g;
    sumGx += g * (load<f32>(x + o) - mu) * rs;
  }
  const c0: f32 = centered ? sumG / <f32>n : 0;
  const c1: f32 = sumGx / <f32>n;
  const c0v = f32x4.splat(c0), c1v = f32x4.splat(c1);
  j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const d = v128.load(dy + o);
    const xh = f32x4.mul(f32x4.sub(v128.load(x + o), mv), rv);
    v128.store(dGamma + o, f32x4.add(v128.load(dGamma + o), f32x4.mul(d, xh)));
    if (centered) v128.store(dBeta + o, f32x4.add(v128.load(dBeta + o), d));
    const g = f32x4.mul(v128.load(gamma + o), d);
    v128.store(dx + o, f32x4.mul(rv, f32x4.sub(f32x4.sub(g, c0v), f32x4.mul(xh, c1v))));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const d = load<f32>(dy + o);
    const xh = (load<f32>(x + o) - mu) * rs;
    store<f32>(dGamma + o, load<f32>(dGamma + o) + d * xh);
    if (centered) store<f32>(dBeta + o, load<f32>(dBeta + o) + d);
    store<f32>(dx + o, rs * (load<f32>(gamma + o) * d - c0 - xh * c1));
  }
}

/** RMSNorm backward: overwrites `dx`, accumulates `dGamma`. */
export function rmsnormBackward(
  dx: usize, dGamma: usize, dy: usize, x: usize, gamma: usize, rstd: usize, rows: i32, cols: i32,
): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, dx += row, dy += row, x += row) {
    normBackwardRow(dx, dGamma, 0, dy, x, gamma, 0, load<f32>(rstd + (<usize>r << 2)), false, cols);
  }
}

/** LayerNorm forward (biased variance), saving `mean` and `rstd` per row. */
export function layernormForward(
  out: usize, mean: usize, rstd: usize, x: usize, gamma: usize, beta: usize, eps: f32, rows: i32, cols: i32,
): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, out += row, x += row) {
    const mu = rowSum(x, cols) / <f32>cols;
    const rs: f32 = 1 / Mathf.sqrt(rowSquares(x, mu, cols) / <f32>cols + eps);
    store<f32>(mean + (<usize>r << 2), mu);
    store<f32>(rstd + (<usize>r << 2), rs);
    normalize(out, x, gamma, beta, mu, rs, cols);
  }
}

/** LayerNorm backward: overwrites `dx`, accumulates `dGamma` and `dBeta`. */
export function layernormBackward(
  dx: usize, dGamma: usize, dBeta: usize, dy: usize, x: usize, gamma: usize, mean: usize, rstd: usize,
  rows: i32, cols: i32,
): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, dx += row, dy += row, x += row) {
    const o = <usize>r << 2;
    normBackwardRow(dx, dGamma, dBeta, dy, x, gamma, load<f32>(mean + o), load<f32>(rstd + o), true, cols);
  }
}
