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
import type { AttentionKernels } from './kernels/attention.js';
import type { CopeKernels } from './kernels/cope.js';
import type { ElementwiseKernels } from './kernels/elementwise.js';
import type { MatmulKernels } from './kernels/matmul.js';
import type { ReduceKernels } from './kernels/reduce.js';
import type { RouteKernels } from './kernels/route.js';
import type { RowKernels } from './kernels/rows.js';

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
 * Every numeric kernel of `@moh/tensor`, grouped by concern in `kernels/`. Both backends
 * implement this interface and are tested by one spec against a float64 computation.
 */
export interface Kernels extends MatmulKernels, ElementwiseKernels, RowKernels, CopeKernels, AttentionKernels, RouteKernels, ReduceKernels {
  /** Which backend this is. */
  readonly name: BackendName;
}
