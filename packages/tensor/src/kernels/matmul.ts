/**
 * The matrix products of `Kernels`: dense in three layouts and row-gathered.
 * Conventions: see `kernels.ts`.
 *
 * @packageDocumentation
 */
/** Matrix products, each able to accumulate into its output. */
export interface MatmulKernels {
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
   * Rows not listed are left untouched. Used for sparse head execution. With `compact`
   * the products go to `out[r]` instead: the listed rows' results, packed (a head's
   * compact queries), with the bits they have at their own rows.
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
    compact?: boolean,
  ): void;
  /**
   * Column-block-gathered `A·B`: block `j < count` of `out`, its `width` columns from
   * `j·width` on, is `a` times the `width` columns of `b` from `blocks[j]·width` on
   * (`+=` when `accumulate`). `a` is `(m,k)`, `b` has `k` rows. Each block gets the bits
   * `matmul` gives it alone, so any set of blocks is one call: a decode step's query
   * products for the heads its token runs on, which need not be adjacent.
   */
  matmulColumnBlocks(
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    blocks: Int32Array,
    count: number,
    m: number,
    k: number,
    width: number,
    accumulate?: boolean,
    lda?: number,
    ldb?: number,
    ldc?: number,
  ): void;
  /**
   * Row-gathered `A·Bᵀ`: for each `r < count`, `out[rows[r]] = a[rows[r]] · bᵀ` with `b`
   * stored `(n,k)`; `+=` when `accumulate`. The input gradient of {@link Kernels.matmulRows}.
   * With `compact` row r of `a` is read instead of row `rows[r]` (the gradient of a
   * compact `matmulRows` output).
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
    compact?: boolean,
  ): void;
  /**
   * Row-gathered `Aᵀ·B`: `out(m,n) = Σ_r a[rows[r]]ᵀ ⊗ b[rows[r]]` where `a` has `m`
   * columns and `b` has `n`; `+=` when `accumulate`. The weight gradient of
   * {@link Kernels.matmulRows}: only the listed rows contribute. With `compact` row r
   * of `b` is read instead of row `rows[r]` (the gradient of a compact `matmulRows`
   * output).
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
    compact?: boolean,
  ): void;
}
