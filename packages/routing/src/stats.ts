/**
 * Routing statistics of one batch, for telemetry and collapse detection.
 *
 * Shapes: N rows, E experts, k selected per row. `probs`, `gates (N, E)`; `indices (N, k)`.
 *
 * @packageDocumentation
 */
import { loadBalanceLoss } from './balance.js';
import type { RoutingStats } from './config.js';

/**
 * Load per expert, mean gate per expert, `L_b`, `L_b / k` and the mean entropy (nats)
 * of the routing distribution. With no rows, loads and gates are 0, `L_b` is 0 and the
 * ratio and entropy are NaN.
 *
 * @param probs - Routing probabilities `(rows, experts)`.
 * @param gates - Gates `(rows, experts)` as given to the consumer (0 where unselected).
 * @param indices - Selected experts `(rows, k)`.
 */
export function routingStats(
  probs: Float32Array,
  gates: Float32Array,
  indices: Int32Array,
  rows: number,
  experts: number,
  k: number,
): RoutingStats {
  const load = new Float64Array(experts);
  const meanProb = new Float64Array(experts);
  const balanceLoss = loadBalanceLoss(load, meanProb, probs, indices, rows, experts, k);
  const meanGate = new Float64Array(experts);
  let entropy = 0;
  for (let t = 0; t < rows; t++) {
    const o = t * experts;
    for (let j = 0; j < experts; j++) {
      meanGate[j] += gates[o + j];
      const p = probs[o + j];
      // 0 · log 0 = 0: an expert with underflowed probability adds no entropy.
      if (p > 0) entropy -= p * Math.log(p);
    }
  }
  for (let j = 0; j < experts; j++) meanGate[j] = rows === 0 ? 0 : meanGate[j] / rows;
  return {
    load,
    meanGate,
    balanceLoss,
    balanceRatio: rows === 0 ? NaN : balanceLoss / k,
    entropy: rows === 0 ? NaN : entropy / rows,
  };
}
