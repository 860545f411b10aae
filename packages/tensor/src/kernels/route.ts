/**
 * The Mixture-of-Heads router's row-wise kernels of `Kernels` (SPEC §4): from a layer's
 * router logits to its probabilities, top-k selection and head gates, and back.
 * Conventions: see `kernels.ts`.
 *
 * Shapes: N rows, hs shared heads (gate columns 0..hs−1), hr routed heads, H = hs + hr,
 * E = H + 2 logits per row, k routed heads selected per row.
 * `logitsT (E, N)`: the logits transposed, rows `x·W_sᵀ` (hs), `x·W_rᵀ` (hr), `x·W_hᵀ`
 * (2); `s (N, hs)`; `r`, `base (N, hr)`; `alpha (N, 2)`; `indices (N, k)`;
 * `gates`, `dGates (N, H)`; `balance (hr)`; `dLogits (N, ld)`, `ld ≥ E`; `x (N, d)`;
 * `w (E, d)`.
 *
 * @packageDocumentation
 */

/**
 * How a router's probabilities become head gates. Per row, with the selected routed
 * heads M:
 *
 * | gating | shared head i | selected routed head j (`base_j`) |
 * |---|---|---|
 * | `paper` | α1·s_i | α2·r_j |
 * | `scaled` | 2·hs·α1·s_i | 2·k·α2·r_j / Σ_{m∈M} r_m |
 * | `binary` | 1 | 1, with the backward of `r_j` (straight-through) |
 *
 * Unselected routed heads get gate 0 and `base_j = 0`.
 */
export type HeadGating = 'paper' | 'scaled' | 'binary';

/** The head router's probabilities, selection and gates, forward and backward. */
export interface RouteKernels {
  /**
   * Overwrites, for every row: `s = softmax` of the shared logits, `r` of the routed,
   * `alpha` of the two mix logits; `indices` the k largest `r` as {@link Kernels.topK}
   * ranks them (descending, ties to the lower head); `base` the routed factor of the
   * selected heads (see {@link HeadGating}: `r_j`, `r_j / Σ_M r_m` or 1; 0 elsewhere);
   * and `gates` as the table of {@link HeadGating} says. Each row's softmax and top-k
   * have the bits of the batched kernels; the gates are formed in float64 and rounded
   * once. Requires `1 ≤ k ≤ hr`.
   */
  headRouteForward(
    gates: Float32Array,
    base: Float32Array,
    s: Float32Array,
    r: Float32Array,
    alpha: Float32Array,
    indices: Int32Array,
    logitsT: Float32Array,
    gating: HeadGating,
    rows: number,
    sharedHeads: number,
    routedHeads: number,
    k: number,
  ): void;
  /**
   * {@link RouteKernels.headRouteForward} of the logits of `x (N, d)`: first overwrites
   * `logitsT (E, N)` with `w·xᵀ` for the stacked router weights `w (E, d)` (rows `W_s`,
   * `W_r`, `W_h`), with the bits of `matmulNT(logitsT, w, x, E, d, N)`, then routes
   * them. One call where a router made two: a decode step routes a single row per layer,
   * and there a call's fixed cost outweighs its arithmetic.
   */
  headRouteProjectForward(
    gates: Float32Array,
    base: Float32Array,
    s: Float32Array,
    r: Float32Array,
    alpha: Float32Array,
    indices: Int32Array,
    logitsT: Float32Array,
    x: Float32Array,
    w: Float32Array,
    gating: HeadGating,
    rows: number,
    modelDim: number,
    sharedHeads: number,
    routedHeads: number,
    k: number,
  ): void;
  /**
   * {@link RouteKernels.headRouteProjectForward} on these arrays and sizes (its arguments,
   * in its order), checked once
   * (and on the fast backend, whose memory the arrays then lie in, marshalled once):
   * returns a function that makes the same call again on the arrays' current contents,
   * with the same bits. A decode step routes one row per layer on the same buffers
   * every step, and there checking and passing fifteen arguments costs as much as the
   * routing's arithmetic.
   *
   * The function holds the arrays' places, not copies: it is valid while they stay
   * where they are. Prepare again for a re-cut buffer (a view made after a memory grew
   * is a new place too).
   */
  prepareHeadRouteProjectForward(...args: Parameters<RouteKernels['headRouteProjectForward']>): () => void;
  /**
   * Backward of {@link RouteKernels.headRouteForward} from the gates' gradient `dGates`,
   * with `balance[j]` (when given) added to every `∂L/∂r_tj` before the softmax's
   * backward (a load-balance loss's gradient through the mean probabilities): overwrites
   * `dLogits` with the logits' gradient, row t being `[∂/∂s logits, ∂/∂r logits, ∂/∂α
   * logits, 0 …]` up to `ld`. `binary` gates do not depend on s or α: their columns get
   * 0. The routed factor's and α's gradients are float64 sums in head order, rounded once.
   */
  headRouteBackward(
    dLogits: Float32Array,
    dGates: Float32Array,
    s: Float32Array,
    r: Float32Array,
    alpha: Float32Array,
    base: Float32Array,
    indices: Int32Array,
    balance: Float64Array | null,
    gating: HeadGating,
    rows: number,
    sharedHeads: number,
    routedHeads: number,
    k: number,
    ld: number,
  ): void;
}
