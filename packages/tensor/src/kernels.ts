/**
 * The kernel interface every backend implements.
 *
 * Conventions (stated once for the whole package):
 * - Matrices are row-major; a row is a token. `m`, `k`, `n` are the sizes of a
 *   product `out(m,n) = A(m,k) · B(k,n)`; `rows`, `cols` those of a row-wise op.
 * - Kernels are pure functions on typed arrays: outputs first, then inputs, then
 *   scalars, sizes last. They never allocate visible state and never keep a reference.
 * - Optional leading dimensions (`lda`, `ldb`, `ldc`) are row strides in elements and
 *   default to the contiguous stride; pass `x.subarray(offset)` to start at a column.
 * - Parameter gradients accumulate (`+=`): the caller clears them with `fill(0)`.
 *   Activation gradients (`dx`) are overwritten. Matmuls accumulate only when asked.
 * - Index lists are `Int32Array`. An input may alias an output only where a kernel
 *   says so.
 *
 * @packageDocumentation
 */

/** The name of a backend: the plain-TypeScript `reference` or the WebAssembly SIMD `fast`. */
export type BackendName = 'reference' | 'fast';

/** Hyperparameters of one Adam or AdamW step. */
export interface AdamStepOptions {
  /** Learning rate. */
  readonly lr: number;
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Denominator epsilon, added after the square root. */
  readonly eps: number;
  /**
   * Weight decay. For Adam it is added to the gradient (`g + wd·p`, L2 regularisation);
   * for AdamW it is decoupled (`p -= lr·wd·p`).
   */
  readonly weightDecay: number;
  /** The 1-based step number, used for bias correction. */
  readonly step: number;
}

/**
 * Every numeric kernel of `@moh/tensor`. Both backends implement this interface and
 * are tested by one spec against a float64 computation.
 */
export interface Kernels {
  /** Which backend this is. */
  readonly name: BackendName;

  // ---------------------------------------------------------------- matmul
  /**
   * `out(m,n) = a(m,k) · b(k,n)`, or `+=` when `accumulate`.
   * `out` must not alias `a` or `b`.
   */
  matmul(
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    accumulate?: boolean,
    lda?: number,
    ldb?: number,
    ldc?: number,
  ): void;
  /** `out(m,n) = aᵀ · b` with `a` stored `(k,m)` and `b` `(k,n)`; `+=` when `accumulate`. */
  matmulTN(
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    accumulate?: boolean,
    lda?: number,
    ldb?: number,
    ldc?: number,
  ): void;
  /** `out(m,n) = a · bᵀ` with `a` stored `(m,k)` and `b` `(n,k)`; `+=` when `accumulate`. */
  matmulNT(
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    accumulate?: boolean,
    lda?: number,
    ldb?: number,
    ldc?: number,
  ): void;
  /**
   * Row-gathered `A·B`: for each `r < count`, `out[rows[r]] = a[rows[r]] · b`, or `+=`
   * when `accumulate`. `a` has `k` columns, `b` is `(k,n)`, `out` has `n` columns.
   * Rows not listed are left untouched. Used for sparse head execution.
   */
  matmulRows(
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    rows: Int32Array,
    count: number,
    k: number,
    n: number,
    accumulate?: boolean,
    lda?: number,
    ldb?: number,
    ldc?: number,
  ): void;
  /**
   * Row-gathered `A·Bᵀ`: for each `r < count`, `out[rows[r]] = a[rows[r]] · bᵀ` with `b`
   * stored `(n,k)`; `+=` when `accumulate`. The input gradient of {@link Kernels.matmulRows}.
   */
  matmulNTRows(
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    rows: Int32Array,
    count: number,
    k: number,
    n: number,
    accumulate?: boolean,
    lda?: number,
    ldb?: number,
    ldc?: number,
  ): void;
  /**
   * Row-gathered `Aᵀ·B`: `out(m,n) = Σ_r a[rows[r]]ᵀ ⊗ b[rows[r]]` where `a` has `m`
   * columns and `b` has `n`; `+=` when `accumulate`. The weight gradient of
   * {@link Kernels.matmulRows}: only the listed rows contribute.
   */
  matmulTNRows(
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    rows: Int32Array,
    count: number,
    m: number,
    n: number,
    accumulate?: boolean,
    lda?: number,
    ldb?: number,
    ldc?: number,
  ): void;

  // ---------------------------------------------------------------- elementwise
  /** `out = a + b`. `out` may alias `a` or `b`. */
  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  /** `out = a ⊙ b`. `out` may alias `a` or `b`. */
  mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  /** `out = s · a`. `out` may alias `a`. */
  scale(out: Float32Array, a: Float32Array, s: number, n: number): void;
  /** `y += alpha · x`. */
  axpy(y: Float32Array, alpha: number, x: Float32Array, n: number): void;

  // ---------------------------------------------------------------- gather
  /** Embedding lookup: `out[r] = table[ids[r]]` for `r < count`, rows of `cols`. */
  gatherRows(out: Float32Array, table: Float32Array, ids: Int32Array, count: number, cols: number): void;
  /** Embedding gradient: `dTable[ids[r]] += dOut[r]` for `r < count` (repeated ids add up). */
  scatterAddRows(dTable: Float32Array, dOut: Float32Array, ids: Int32Array, count: number, cols: number): void;

  // ---------------------------------------------------------------- softmax
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
   * CoPE gates (contextual position encoding, SPEC §3) of a block of banded score rows:
   * packs `z = σ(x[r, j])` of every band `lo[r] ≤ j < hi[r]`, row after row, into
   * `z (Σ_r (hi[r] − lo[r]))` and returns `width`, how many table entries the rows read:
   * `1 + max_r min(P − 1, ⌈p_r⌉)` where `p_r` is the sum of row `r`'s gates (the position
   * of its first key; `P` is `positions`). Empty bands read nothing; the result is ≥ 1.
   * Positions are suffix sums accumulated in float64 from a band's last key down to its
   * first, the very order {@link Kernels.copeBiasForward} and
   * {@link Kernels.copeBiasBackward} use. Band checks as for
   * {@link Kernels.maskedSoftmaxForward}.
   */
  copeGatesForward(
    z: Float32Array,
    x: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    positions: number,
    rows: number,
    cols: number,
  ): number;
  /**
   * CoPE position bias, in place on the bands of `scores (rows, cols)`: with the gates
   * `z` of {@link Kernels.copeGatesForward}, key `j` of row `r` gets the position
   * `p = min(P − 1, Σ_{m ≥ j in the band} z_m)` and
   * `scores[r, j] = scale · scores[r, j] + (1 − φ)·qe[r, ⌊p⌋] + φ·qe[r, ⌈p⌉]`, `φ = p − ⌊p⌋`.
   * `qe (rows, width)` holds each row's products with the first `width` table entries
   * (`q·E[p]`); `width` must be at least what {@link Kernels.copeGatesForward} returned,
   * and `1 ≤ width ≤ positions` (a `RangeError` otherwise). Entries outside the bands are
   * neither read nor written. A row's result depends only on that row.
   */
  copeBiasForward(
    scores: Float32Array,
    z: Float32Array,
    qe: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    scale: number,
    positions: number,
    width: number,
    rows: number,
    cols: number,
  ): void;
  /**
   * Backward of {@link Kernels.copeBiasForward} and of the gates' sigmoid. On entry
   * `dScores` holds the gradient of the biased scores on the bands; it is turned in place
   * into the gradient of the raw scores `x` of {@link Kernels.copeGatesForward}:
   * `scale · dS[r, j] + z_j(1 − z_j) · Σ_{i ≤ j, p_i ≤ P − 1} dS[r, i]·(qe[r, ⌈p_i⌉] − qe[r, ⌊p_i⌋])`
   * (a position past the clamp no longer moves with the gates). Overwrites
   * `dqe (rows, width)` with the gradient of `qe`, accumulated per row in float64.
   * Entries outside the bands are neither read nor written.
   */
  copeBiasBackward(
    dScores: Float32Array,
    dqe: Float32Array,
    z: Float32Array,
    qe: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    scale: number,
    positions: number,
    width: number,
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

  // ---------------------------------------------------------------- activations
  /** `out = σ(x)`. `out` may alias `x`. */
  sigmoidForward(out: Float32Array, x: Float32Array, n: number): void;
  /** `dx = dy · y(1 − y)` from the output `y`. `dx` may alias `dy`. */
  sigmoidBackward(dx: Float32Array, y: Float32Array, dy: Float32Array, n: number): void;
  /** `out = x · σ(x)`. `out` may alias `x`. */
  siluForward(out: Float32Array, x: Float32Array, n: number): void;
  /** `dx = dy · σ(x)(1 + x(1 − σ(x)))` from the input `x`. `dx` may alias `dy`. */
  siluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number): void;
  /** `out = max(x, 0)`; NaN stays NaN. `out` may alias `x`. */
  reluForward(out: Float32Array, x: Float32Array, n: number): void;
  /** `dx = dy · [x > 0]` from the input `x`. `dx` may alias `dy`. */
  reluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number): void;

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

  // ---------------------------------------------------------------- selection and reductions
  /**
   * Top-k per row: writes the `k` largest entries of each row, in descending order,
   * into `indices(rows,k)` and `values(rows,k)`. Ties go to the lower index; NaN ranks
   * below every number. Requires `0 ≤ k ≤ cols`.
   */
  topK(indices: Int32Array, values: Float32Array, x: Float32Array, k: number, rows: number, cols: number): void;
  /** Σ x, accumulated in float64; 0 for `n = 0`. */
  sum(x: Float32Array, n: number): number;
  /** Mean of x; NaN for `n = 0`. */
  mean(x: Float32Array, n: number): number;
  /** Max of x; −Infinity for `n = 0`; NaN if any element is NaN. */
  max(x: Float32Array, n: number): number;
  /** Column sums: `out[j] = Σ_i x[i,j]`, or `+=` when `accumulate` (bias gradients). */
  sumRows(out: Float32Array, x: Float32Array, rows: number, cols: number, accumulate?: boolean): void;

  // ---------------------------------------------------------------- optimizer
  /** One Adam step over a flat buffer; weight decay is L2 (added to the gradient). */
  adamStep(
    param: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    options: AdamStepOptions,
    n: number,
  ): void;
  /** One AdamW step over a flat buffer; weight decay is decoupled. */
  adamwStep(
    param: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    options: AdamStepOptions,
    n: number,
  ): void;
  /** Global L2 norm `sqrt(Σ x²)`. */
  l2Norm(x: Float32Array, n: number): number;
  /**
   * Clips `x` in place to global L2 norm `maxNorm` (scales by `maxNorm / norm` when the
   * norm exceeds it) and returns the norm before clipping.
   */
  clipByGlobalNorm(x: Float32Array, maxNorm: number, n: number): number;
}
