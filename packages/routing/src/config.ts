/**
 * Shapes: N rows (tokens), E experts (attention heads for MoH, FFN experts for MoE),
 * k experts selected per row.
 */

/**
 * How the gate of a selected expert is formed from its routing probability.
 * - `probability`: the probability itself (`g = r`).
 * - `renormalized`: the probability over the selected set (`g = r / Σ_{m∈M} r_m`).
 * - `straightThrough`: 1 in the forward pass; the backward treats the gate as `r`.
 */
export type GateMode = 'probability' | 'renormalized' | 'straightThrough';

/** A top-k routing decision over E experts. */
export interface TopKRouting {
  /** Experts in the mixture. */
  readonly experts: number;
  /** Experts selected per row, `1 ≤ k ≤ experts`. */
  readonly k: number;
  /** How gates are formed from the probabilities. */
  readonly gateMode: GateMode;
}

/** Routing statistics over a batch of rows (telemetry and collapse detection). */
export interface RoutingStats {
  /** Share of rows that selected each expert, `(E)`; sums to k. */
  readonly load: Float64Array;
  /** Mean gate of each expert over all rows (0 where unselected), `(E)`. */
  readonly meanGate: Float64Array;
  /** The load-balance loss L_b = E · Σ_j f_j P_j. */
  readonly balanceLoss: number;
  /** L_b / k: 1 when routing is perfectly balanced. */
  readonly balanceRatio: number;
  /** Mean entropy of the routing distribution per row, in nats. */
  readonly entropy: number;
}
