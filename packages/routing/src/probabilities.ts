/**
 * Routing probabilities: the softmax of `@moh/tensor` over each row's expert scores, and
 * the linear router `P = softmax(X · Wᵀ)` built on it, each forward beside its backward.
 *
 * Shapes: N rows, d input width, E experts. `x (N, d)`, `w (E, d)` (one row of weights
 * per expert, as the parameter table stores router weights), `logits`, `probs`,
 * `dProbs`, `dLogits (N, E)`.
 *
 * Every function takes the backend's kernels first (the context), then outputs, inputs
 * and sizes. Activation gradients (`dLogits`, `dx`) are overwritten unless an
 * `accumulate` flag says otherwise; weight gradients (`dw`) accumulate (`+=`).
 *
 * @packageDocumentation
 */
import type { Kernels } from '@moh/tensor';

/**
 * Routing probabilities `probs = softmax(logits)` per row, by the backend's softmax.
 * `probs` may alias `logits`.
 *
 * @param kernels - The backend that computes the softmax.
 * @param probs - Output `(rows, experts)`.
 * @param logits - Expert scores `(rows, experts)`.
 */
export function routingProbabilities(
  kernels: Kernels,
  probs: Float32Array,
  logits: Float32Array,
  rows: number,
  experts: number,
): void {
  if (rows === 0 || experts === 0) return;
  kernels.softmaxForward(probs, logits, rows, experts);
}

/**
 * Backward of {@link routingProbabilities}: `dLogits = P ⊙ (dP − Σ_j P_j dP_j)` per row
 * (overwritten). `dLogits` may alias `dProbs`.
 *
 * @param dLogits - Output `(rows, experts)`.
 * @param probs - The probabilities of the forward pass `(rows, experts)`.
 * @param dProbs - Gradient of the loss with respect to `probs`.
 */
export function routingProbabilitiesBackward(
  kernels: Kernels,
  dLogits: Float32Array,
  probs: Float32Array,
  dProbs: Float32Array,
  rows: number,
  experts: number,
): void {
  if (rows === 0 || experts === 0) return;
  kernels.softmaxBackward(dLogits, probs, dProbs, rows, experts);
}

/**
 * The linear router without bias: `probs = softmax(x · wᵀ)`.
 *
 * @param probs - Output `(rows, experts)`.
 * @param x - Router input `(rows, dim)`.
 * @param w - Router weights `(experts, dim)`.
 *
 * @example
 * ```ts
 * import { referenceBackend } from '@moh/tensor';
 * const probs = new Float32Array(2);
 * // one row x = [1, 0], two experts with weights [ln 3, 0] and [0, 0]
 * linearRouterForward(referenceBackend(), probs, new Float32Array([1, 0]), new Float32Array([Math.log(3), 0, 0, 0]), 1, 2, 2);
 * // probs ≈ [0.75, 0.25]
 * ```
 */
export function linearRouterForward(
  kernels: Kernels,
  probs: Float32Array,
  x: Float32Array,
  w: Float32Array,
  rows: number,
  dim: number,
  experts: number,
): void {
  if (rows === 0 || experts === 0) return;
  kernels.matmulNT(probs, x, w, rows, dim, experts);
  kernels.softmaxForward(probs, probs, rows, experts);
}

/**
 * Backward of {@link linearRouterForward}. Writes `dLogits` (scratch that the caller may
 * read afterwards), sets `dx = dLogits · w` (or adds it when `accumulateDx`, so several
 * routers reading one input can share `dx`) and accumulates `dw += dLogitsᵀ · x`.
 *
 * @param dx - Gradient of the router input `(rows, dim)`.
 * @param dw - Gradient of the weights `(experts, dim)`; accumulated.
 * @param dLogits - Scratch and output `(rows, experts)`; may alias `dProbs`.
 * @param x - The forward input `(rows, dim)`.
 * @param w - The weights `(experts, dim)`.
 * @param probs - The forward probabilities `(rows, experts)`.
 * @param dProbs - Gradient of the loss with respect to `probs`.
 * @param accumulateDx - Add into `dx` instead of overwriting it. Defaults to false.
 */
export function linearRouterBackward(
  kernels: Kernels,
  dx: Float32Array,
  dw: Float32Array,
  dLogits: Float32Array,
  x: Float32Array,
  w: Float32Array,
  probs: Float32Array,
  dProbs: Float32Array,
  rows: number,
  dim: number,
  experts: number,
  accumulateDx = false,
): void {
  if (rows === 0) return;
  if (experts === 0) {
    if (!accumulateDx) dx.fill(0, 0, rows * dim);
    return;
  }
  kernels.softmaxBackward(dLogits, probs, dProbs, rows, experts);
  kernels.matmul(dx, dLogits, w, rows, experts, dim, accumulateDx);
  kernels.matmulTN(dw, dLogits, x, experts, rows, dim, true);
}
