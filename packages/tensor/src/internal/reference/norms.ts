/**
 * Reference RMSNorm and LayerNorm, each forward beside its backward.
 *
 * Shapes: `x`, `out`, `dy`, `dx` are `(rows, cols)`; `gamma`, `beta`, `dGamma`, `dBeta`
 * are `(cols)`; the saved statistics `mean`, `rstd` are `(rows)`.
 *
 * Row statistics accumulate in float64. Backwards overwrite `dx` and accumulate the
 * parameter gradients `dGamma`, `dBeta`. With `x̂` the normalised row and `g = γ ⊙ dy`:
 * RMSNorm `dx = rstd · (g − x̂ · mean(g ⊙ x̂))`;
 * LayerNorm `dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))`.
 *
 * @packageDocumentation
 */

/** RMSNorm: `out = γ ⊙ x · rstd`, `rstd = 1 / sqrt(mean(x²) + eps)`. `out` may alias `x`. */
export function rmsnormForward(
  out: Float32Array,
  rstd: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  eps: number,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let sq = 0;
    for (let j = 0; j < cols; j++) sq += x[off + j] * x[off + j];
    const rs = 1 / Math.sqrt(sq / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[off + j] = gamma[j] * x[off + j] * rs;
  }
}

/** RMSNorm backward: overwrites `dx`, accumulates `dGamma`. */
export function rmsnormBackward(
  dx: Float32Array,
  dGamma: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  rstd: Float32Array,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    const rs = rstd[r];
    let gx = 0;
    for (let j = 0; j < cols; j++) gx += gamma[j] * dy[off + j] * x[off + j] * rs;
    const c = gx / cols;
    for (let j = 0; j < cols; j++) {
      const xh = x[off + j] * rs;
      const g = dy[off + j];
      dGamma[j] += g * xh;
      dx[off + j] = rs * (gamma[j] * g - xh * c);
    }
  }
}

/**
 * LayerNorm: `out = γ ⊙ (x − μ) · rstd + β` with the biased variance. Two passes (mean,
 * then squared deviations) avoid the cancellation of `E[x²] − μ²`. `out` may alias `x`.
 */
export function layernormForward(
  out: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[off + j];
    const mu = s / cols;
    let sq = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[off + j] - mu;
      sq += d * d;
    }
    const rs = 1 / Math.sqrt(sq / cols + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[off + j] = gamma[j] * (x[off + j] - mu) * rs + beta[j];
  }
}

/** LayerNorm backward: overwrites `dx`, accumulates `dGamma` and `dBeta`. */
export function layernormBackward(
  dx: Float32Array,
  dGamma: Float32Array,
  dBeta: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    const mu = mean[r];
    const rs = rstd[r];
    let gSum = 0;
    let gxSum = 0;
    for (let j = 0; j < cols; j++) {
      const g = gamma[j] * dy[off + j];
      gSum += g;
      gxSum += g * (x[off + j] - mu) * rs;
    }
    const gMean = gSum / cols;
    const gxMean = gxSum / cols;
    for (let j = 0; j < cols; j++) {
      const xh = (x[off + j] - mu) * rs;
      const d = dy[off + j];
      dGamma[j] += d * xh;
      dBeta[j] += d;
      dx[off + j] = rs * (gamma[j] * d - gMean - xh * gxMean);
    }
  }
}
