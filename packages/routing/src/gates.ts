/**
 * Gates of the selected experts, formed from the routing probabilities in one of the
 * {@link GateMode}s, forward beside backward. Unselected experts have gate 0 and
 * receive no gradient through the gates.
 *
 * Shapes: N rows, E experts, k selected per row. `gates`, `probs`, `dGates`,
 * `dProbs (N, E)`; `indices (N, k)` from `topKExperts`.
 *
 * The selection itself is piecewise constant, so it has no gradient: only the values
 * of the selected probabilities (and, when renormalizing, their sum) are differentiated.
 *
 * @packageDocumentation
 */
import type { GateMode } from './config.js';

/** Σ_{m∈M_t} r_tm: the selected probability mass of row t. */
function selectedMass(probs: Float32Array, indices: Int32Array, t: number, experts: number, k: number): number {
  let sum = 0;
  for (let q = 0; q < k; q++) sum += probs[t * experts + indices[t * k + q]];
  return sum;
}

/**
 * Gates of the selected experts (overwritten; 0 where unselected):
 * `probability` g = r, `renormalized` g = r / Σ_{m∈M} r_m, `straightThrough` g = 1.
 *
 * @param gates - Output `(rows, experts)`.
 * @param probs - Routing probabilities `(rows, experts)`.
 * @param indices - Selected experts `(rows, k)`.
 *
 * @example
 * ```ts
 * const gates = new Float32Array(3);
 * gatesForward(gates, new Float32Array([0.5, 0.3, 0.2]), new Int32Array([0, 1]), 'renormalized', 1, 3, 2);
 * // gates is [0.625, 0.375, 0]
 * ```
 */
export function gatesForward(
  gates: Float32Array,
  probs: Float32Array,
  indices: Int32Array,
  mode: GateMode,
  rows: number,
  experts: number,
  k: number,
): void {
  gates.fill(0, 0, rows * experts);
  // The mode is read once, not per gate: a router calls this for every layer and token.
  if (mode === 'straightThrough') {
    for (let t = 0; t < rows; t++) {
      for (let q = 0; q < k; q++) gates[t * experts + indices[t * k + q]] = 1;
    }
    return;
  }
  const renormalize = mode === 'renormalized';
  for (let t = 0; t < rows; t++) {
    const o = t * experts;
    const scale = renormalize ? 1 / selectedMass(probs, indices, t, experts, k) : 1;
    for (let q = 0; q < k; q++) {
      const j = o + indices[t * k + q];
      gates[j] = probs[j] * scale;
    }
  }
}

/**
 * Backward of {@link gatesForward}, writing `dProbs` (overwritten; 0 where unselected):
 * - `probability`: `dr_j = dg_j`;
 * - `renormalized`: `dr_j = (dg_j − Σ_{m∈M} dg_m g_m) / Σ_{m∈M} r_m`, the derivative
 *   through the renormalisation;
 * - `straightThrough`: `dr_j = dg_j`, as if the gate were `r_j`.
 *
 * @param dProbs - Output `(rows, experts)`; must not alias `dGates`.
 * @param dGates - Gradient of the loss with respect to the gates `(rows, experts)`.
 * @param probs - The forward probabilities `(rows, experts)`.
 * @param indices - The forward selection `(rows, k)`.
 */
export function gatesBackward(
  dProbs: Float32Array,
  dGates: Float32Array,
  probs: Float32Array,
  indices: Int32Array,
  mode: GateMode,
  rows: number,
  experts: number,
  k: number,
): void {
  dProbs.fill(0, 0, rows * experts);
  if (mode !== 'renormalized') {
    for (let t = 0; t < rows; t++) {
      for (let q = 0; q < k; q++) {
        const j = t * experts + indices[t * k + q];
        dProbs[j] = dGates[j];
      }
    }
    return;
  }
  for (let t = 0; t < rows; t++) {
    const o = t * experts;
    const inverseMass = 1 / selectedMass(probs, indices, t, experts, k);
    let weighted = 0; // Σ_m dg_m g_m, in float64
    for (let q = 0; q < k; q++) {
      const j = o + indices[t * k + q];
      weighted += dGates[j] * probs[j] * inverseMass;
    }
    for (let q = 0; q < k; q++) {
      const j = o + indices[t * k + q];
      dProbs[j] = (dGates[j] - weighted) * inverseMass;
    }
  }
}
