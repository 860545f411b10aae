/**
 * The load-balance loss of a top-k router (SPEC §4), forward beside backward:
 * `L_b = E · Σ_j f_j P_j`, where `f_j` is the share of rows that selected expert j and
 * `P_j = mean_t r_tj` its mean routing probability.
 *
 * `f` counts a discrete selection, so it has no gradient: the loss is differentiated
 * through `P` only, `∂L_b/∂r_tj = E · f_j / N`. Since `Σ_j f_j = k` and `Σ_j P_j = 1`,
 * `L_b = k` whenever either the load or the mean probability is uniform; concentrating
 * load on the experts that also get the most probability raises it above k.
 *
 * Shapes: N rows, E experts, k selected per row. `probs`, `dProbs (N, E)`;
 * `indices (N, k)`; `fraction`, `meanProb (E)` in float64.
 *
 * @packageDocumentation
 */

/**
 * Computes `f` and `P` into `fraction` and `meanProb` and returns `L_b`; 0 for no rows.
 *
 * @param fraction - Output `(experts)`: share of rows that selected each expert.
 * @param meanProb - Output `(experts)`: mean routing probability of each expert.
 * @param probs - Routing probabilities `(rows, experts)`.
 * @param indices - Selected experts `(rows, k)`.
 *
 * @example
 * ```ts
 * const f = new Float64Array(2);
 * const p = new Float64Array(2);
 * // two rows, each choosing a different expert: balanced, so L_b = k = 1
 * loadBalanceLoss(f, p, new Float32Array([0.9, 0.1, 0.2, 0.8]), new Int32Array([0, 1]), 2, 2, 1); // 1
 * ```
 */
export function loadBalanceLoss(
  fraction: Float64Array,
  meanProb: Float64Array,
  probs: Float32Array,
  indices: Int32Array,
  rows: number,
  experts: number,
  k: number,
): number {
  fraction.fill(0, 0, experts);
  meanProb.fill(0, 0, experts);
  if (rows === 0) return 0;
  for (let i = 0; i < rows * k; i++) fraction[indices[i]]++;
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < experts; j++) meanProb[j] += probs[t * experts + j];
  }
  let loss = 0;
  for (let j = 0; j < experts; j++) {
    fraction[j] /= rows;
    meanProb[j] /= rows;
    loss += fraction[j] * meanProb[j];
  }
  return experts * loss;
}

/**
 * Backward of {@link loadBalanceLoss} through `P` only: `dProbs[t, j] = scale · E · f_j / N`
 * (overwritten, or added when `accumulate`, e.g. on top of the gates' gradient).
 *
 * @param dProbs - Output `(rows, experts)`.
 * @param fraction - `f (experts)` from the forward pass.
 * @param scale - Gradient of the total loss with respect to `L_b` (e.g. β / L · dLoss).
 * @param accumulate - Add into `dProbs` instead of overwriting it. Defaults to false.
 */
export function loadBalanceLossBackward(
  dProbs: Float32Array,
  fraction: Float64Array,
  scale: number,
  rows: number,
  experts: number,
  accumulate = false,
): void {
  if (rows === 0) return;
  // Expert by expert, so that the per-row gradient is one local: no array per call.
  for (let j = 0; j < experts; j++) {
    const perRow = rowGradient(fraction[j], scale, rows, experts);
    for (let t = 0; t < rows; t++) {
      const at = t * experts + j;
      dProbs[at] = (accumulate ? dProbs[at] : 0) + perRow;
    }
  }
}

/** `scale · E · f_j / N`: the gradient of `scale · L_b` with respect to each `r_tj` of expert j. */
function rowGradient(fraction: number, scale: number, rows: number, experts: number): number {
  return (scale * experts * fraction) / rows;
}

/**
 * The gradient of {@link loadBalanceLossBackward}, which every row shares, per expert:
 * `out[j] = scale · E · f_j / N` (overwritten; 0 for no rows). For a kernel that adds it
 * to each row itself, such as `Kernels.headRouteBackward`'s `balance`.
 *
 * @param out - Output `(experts)`.
 * @param fraction - `f (experts)` from the forward pass.
 * @param scale - Gradient of the total loss with respect to `L_b`.
 */
export function loadBalanceRowGradient(out: Float64Array, fraction: Float64Array, scale: number, rows: number, experts: number): void {
  for (let j = 0; j < experts; j++) out[j] = rows === 0 ? 0 : rowGradient(fraction[j], scale, rows, experts);
}
