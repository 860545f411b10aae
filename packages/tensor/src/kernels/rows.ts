/**
 * Row-wise kernels of `Kernels`: the softmax family, masked cross-entropy and norms.
 * Conventions: see `kernels.ts`.
 *
 * @packageDocumentation
 */
/** Row-wise kernels: softmax (plain, log, masked bands), cross-entropy and norms. */
export interface RowKernels {
  /** Row softmax, max-subtracted. `out` may alias `x`. A row containing NaN gives NaN. */
  softmaxForward(out: Float32Array, x: Float32Array, rows: number, cols: number): void;
  /** `dx = y ⊙ (dy − Σ_j y_j dy_j)` per row, from the softmax output `y`. `dx` may alias `dy`. */
  softmaxBackward(dx: Float32Array, y: Float32Array, dy: Float32Array, rows: number, cols: number): void;
  /** Row log-softmax (`x − max − log Σ exp(x − max)`). `out` may alias `x`. */
  logSoftmaxForward(out: Float32Array, x: Float32Array, rows: number, cols: number): void;
  /** `dx = dy − exp(y) · Σ_j dy_j` per row, from the log-softmax output `y`. `dx` may alias `dy`. */
  logSoftmaxBackward(dx: Float32Array, y: Float32Array, dy: Float32Array, rows: number, cols: number): void;
  /**
   * Banded row softmax, the attention softmax: row `r` of `out` is the softmax of
   * `scale · x[r, j]` over its band `lo[r] ≤ j < hi[r]` and exactly 0 outside it (an
   * empty band gives a zero row). Requires `scale > 0` and `0 ≤ lo[r] ≤ hi[r] ≤ cols`
   * (a `RangeError` otherwise). Entries outside a row's band are never read, so they may
   * hold anything. `out` may alias `x`.
   */
  maskedSoftmaxForward(
    out: Float32Array,
    x: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    scale: number,
    rows: number,
    cols: number,
  ): void;
  /**
   * Backward of {@link Kernels.maskedSoftmaxForward} from its output `y`:
   * `dx = scale · y ⊙ (dy − Σ_band y_j dy_j)` on each row's band, 0 outside it.
   * `dx` may alias `dy`.
   */
  maskedSoftmaxBackward(
    dx: Float32Array,
    y: Float32Array,
    dy: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    scale: number,
    rows: number,
    cols: number,
  ): void;

  /**
   * Masked cross-entropy on logits. Writes the softmax of every row into `probs` and
   * returns the mean of `−log p[target]` over rows whose target is `≥ 0`; a negative
   * target masks the row out. Returns 0 when every row is masked.
   */
  crossEntropyForward(
    probs: Float32Array,
    logits: Float32Array,
    targets: Int32Array,
    rows: number,
    cols: number,
  ): number;
  /**
   * Gradient of `dLoss ·` (the mean returned by {@link Kernels.crossEntropyForward}):
   * `dLogits = dLoss · (probs − onehot(target)) / count` on unmasked rows, 0 on masked rows.
   */
  crossEntropyBackward(
    dLogits: Float32Array,
    probs: Float32Array,
    targets: Int32Array,
    dLoss: number,
    rows: number,
    cols: number,
  ): void;

  // ---------------------------------------------------------------- norms
  /**
   * RMSNorm: `out = γ ⊙ x / sqrt(mean(x²) + eps)` per row; saves `rstd(rows)` for the
   * backward. `out` may alias `x`.
   */
  rmsnormForward(
    out: Float32Array,
    rstd: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    eps: number,
    rows: number,
    cols: number,
  ): void;
  /** RMSNorm backward: overwrites `dx`, accumulates `dGamma`. */
  rmsnormBackward(
    dx: Float32Array,
    dGamma: Float32Array,
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    rstd: Float32Array,
    rows: number,
    cols: number,
  ): void;
  /**
   * LayerNorm: `out = γ ⊙ (x − μ) / sqrt(var + eps) + β` per row (biased variance);
   * saves `mean(rows)` and `rstd(rows)`. `out` may alias `x`.
   */
  layernormForward(
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    eps: number,
    rows: number,
    cols: number,
  ): void;
  /** LayerNorm backward: overwrites `dx`, accumulates `dGamma` and `dBeta`. */
  layernormBackward(
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
  ): void;
}
