/**
 * Reference softmax, log-softmax and masked cross-entropy, each forward beside its backward.
 *
 * Shapes: `x`, `out`, `probs`, `logits` are `(rows, cols)`; `targets` is `(rows)`.
 *
 * One implementation: all three forwards take a row's log-sum-exp from
 * {@link rowLogSumExp} and derive their outputs from it (`softmax = exp(x − lse)` in
 * {@link softmaxRow}, shared with cross-entropy; `logSoftmax = x − lse`;
 * `CE = lse − x[target]`). Sums run in float64.
 *
 * @packageDocumentation
 */
import { checkBands } from '../bands.js';

/**
 * `max + log Σ exp(x − max)` over `x[off..off+cols)`. Subtracting the max keeps every
 * exponent ≤ 0, so nothing overflows; `Math.max` propagates NaN to the whole row.
 */
export function rowLogSumExp(x: Float32Array, off: number, cols: number, scale = 1): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) max = Math.max(max, scale * x[off + j]);
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(scale * x[off + j] - max);
  return max + Math.log(sum);
}

/**
 * Softmax of `scale · x` over one row into `out[off..off+cols)`, returning the row's
 * log-sum-exp. `out` may alias `x`: the log-sum-exp is known before any write.
 */
export function softmaxRow(out: Float32Array, x: Float32Array, off: number, cols: number, scale = 1): number {
  const lse = rowLogSumExp(x, off, cols, scale);
  for (let j = 0; j < cols; j++) out[off + j] = Math.exp(scale * x[off + j] - lse);
  return lse;
}

/** Row softmax. `out` may alias `x`. */
export function softmaxForward(out: Float32Array, x: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) softmaxRow(out, x, r * cols, cols);
}

/** `dx = y ⊙ (dy − Σ_j y_j dy_j)` per row. `dx` may alias `dy`: the dot is taken first. */
export function softmaxBackward(dx: Float32Array, y: Float32Array, dy: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += y[off + j] * dy[off + j];
    for (let j = 0; j < cols; j++) dx[off + j] = y[off + j] * (dy[off + j] - dot);
  }
}

/** Banded softmax of `scale · x`, 0 outside each row's band. `out` may alias `x`. */
export function maskedSoftmaxForward(
  out: Float32Array,
  x: Float32Array,
  lo: Int32Array,
  hi: Int32Array,
  scale: number,
  rows: number,
  cols: number,
): void {
  checkBands(lo, hi, scale, rows, cols);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    if (hi[r] > lo[r]) softmaxRow(out, x, off + lo[r], hi[r] - lo[r], scale);
    out.fill(0, off, off + lo[r]);
    out.fill(0, off + hi[r], off + cols);
  }
}

/** `dx = scale · y ⊙ (dy − Σ_band y dy)` on each band, 0 outside. `dx` may alias `dy`. */
export function maskedSoftmaxBackward(
  dx: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  lo: Int32Array,
  hi: Int32Array,
  scale: number,
  rows: number,
  cols: number,
): void {
  checkBands(lo, hi, scale, rows, cols);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let dot = 0;
    for (let j = off + lo[r]; j < off + hi[r]; j++) dot += y[j] * dy[j];
    for (let j = off + lo[r]; j < off + hi[r]; j++) dx[j] = scale * y[j] * (dy[j] - dot);
    dx.fill(0, off, off + lo[r]);
    dx.fill(0, off + hi[r], off + cols);
  }
}

/** Row log-softmax `x − lse`. `out` may alias `x`. */
export function logSoftmaxForward(out: Float32Array, x: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    const lse = rowLogSumExp(x, off, cols);
    for (let j = 0; j < cols; j++) out[off + j] = x[off + j] - lse;
  }
}

/** `dx = dy − exp(y) · Σ_j dy_j` per row. `dx` may alias `dy`: the sum is taken first. */
export function logSoftmaxBackward(dx: Float32Array, y: Float32Array, dy: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += dy[off + j];
    for (let j = 0; j < cols; j++) dx[off + j] = dy[off + j] - Math.exp(y[off + j]) * sum;
  }
}

/** Throws unless `t` is a valid class index or a (negative) mask. */
function checkTarget(t: number, r: number, cols: number): void {
  if (t >= cols) throw new RangeError(`target ${t} of row ${r} is out of range for ${cols} classes`);
}

/**
 * Masked mean cross-entropy; writes every row's softmax into `probs` (masked rows too,
 * so the backward can read them uniformly). Returns 0 when every row is masked.
 */
export function crossEntropyForward(
  probs: Float32Array,
  logits: Float32Array,
  targets: Int32Array,
  rows: number,
  cols: number,
): number {
  let loss = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    const lse = softmaxRow(probs, logits, off, cols);
    const t = targets[r];
    if (t < 0) continue;
    checkTarget(t, r, cols);
    // lse − x[t] is −log p[t] without rounding p to float32 first (no log(0) = −∞).
    loss += lse - logits[off + t];
    count++;
  }
  return count === 0 ? 0 : loss / count;
}

/** `dLogits = dLoss · (probs − onehot(target)) / count` on unmasked rows, 0 on masked rows. */
export function crossEntropyBackward(
  dLogits: Float32Array,
  probs: Float32Array,
  targets: Int32Array,
  dLoss: number,
  rows: number,
  cols: number,
): void {
  let count = 0;
  for (let r = 0; r < rows; r++) if (targets[r] >= 0) count++;
  const s = count === 0 ? 0 : dLoss / count;
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    const t = targets[r];
    if (t < 0) {
      dLogits.fill(0, off, off + cols);
      continue;
    }
    checkTarget(t, r, cols);
    for (let j = 0; j < cols; j++) dLogits[off + j] = s * probs[off + j];
    dLogits[off + t] = s * (probs[off + t] - 1);
  }
}
