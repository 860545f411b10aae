/**
 * What a router hands to attention: the head gates and, for every head, the rows where
 * it runs. Shapes: N = B·T rows (tokens of all sequences, sequence-major), H query heads.
 */

/** The routing decision of one forward pass. */
export interface HeadRouting {
  /** Query heads H. */
  readonly heads: number;
  /** Rows N (B·T). */
  readonly rows: number;
  /** `(N, H)`: the gate of every (row, head); exactly 0 where the head is inactive for the row. */
  readonly gates: Float32Array;
  /**
   * For each head `h`, the rows where it is active, ascending. Attention computes head
   * `h` only for these rows (its Q row, score row, softmax row, A·V row, CoPE row).
   */
  readonly activeRows: readonly Int32Array[];
}

/** The probabilities of the last Mixture-of-Heads forward pass (views; do not modify). */
export interface RouterProbabilities {
  /** `(N, hs)`: shared-head probabilities s. */
  readonly shared: Float32Array;
  /** `(N, hr)`: routed-head probabilities r. */
  readonly routed: Float32Array;
  /** `(N, 2)`: the mix α = (α1 for shared heads, α2 for routed heads). */
  readonly mix: Float32Array;
  /** `(N, k)`: the selected routed heads of every row (0-based among routed heads), best first. */
  readonly selected: Int32Array;
}

/**
 * Routing telemetry of one forward pass (SPEC §5). For `allHeads` and `staticPruning`
 * the load and mean gate are 1 on active heads and 0 elsewhere, `balanceLoss` is 0,
 * `balanceRatio` 1 and `entropy` 0.
 */
export interface HeadRoutingStats {
  /** `(H)`: share of rows on which each head is active (1 for shared heads). */
  readonly load: Float64Array;
  /** `(H)`: mean gate of each head over all rows (0 where inactive). */
  readonly meanGate: Float64Array;
  /** The load-balance loss `L_b = hr · Σ_j f_j P_j` of the routed heads. */
  readonly balanceLoss: number;
  /** `L_b / k`: 1 when the routed heads are perfectly balanced. */
  readonly balanceRatio: number;
  /** Mean entropy of the routed-head distribution r per row, in nats. */
  readonly entropy: number;
}
