/**
 * Selection, reductions and optimizer steps of `Kernels`.
 * Conventions: see `kernels.ts`.
 *
 * @packageDocumentation
 */
import type { AdamStepOptions } from '../kernels.js';

/** Top-k selection, reductions, and the Adam/AdamW steps with clipping. */
export interface ReduceKernels {
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
