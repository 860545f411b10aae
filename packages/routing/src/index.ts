/**
 * `@moh/routing`: routing math for mixtures, with no knowledge of attention. It serves
 * the Mixture-of-Heads router today and a mixture-of-experts FFN router later:
 * routing probabilities (the softmax of `@moh/tensor`), top-k selection, gates, the
 * load-balance loss and routing statistics, each backward beside its forward.
 *
 * Shapes: N rows (tokens), E experts, k selected per row, d router input width.
 * Conventions: pure functions, outputs first and sizes last (functions that run kernels
 * take the backend's kernels before their outputs); activation gradients are
 * overwritten unless an `accumulate` flag says otherwise, weight gradients accumulate.
 *
 * @packageDocumentation
 */
export type { GateMode, RoutingStats, TopKRouting } from './config.js';
export { loadBalanceLoss, loadBalanceLossBackward, loadBalanceRowGradient } from './balance.js';
export { gatesBackward, gatesForward } from './gates.js';
export {
  linearRouterBackward,
  linearRouterForward,
  routingProbabilities,
  routingProbabilitiesBackward,
} from './probabilities.js';
export { checkTopK, expertRowLists, expertRows, selectionMask, topKExperts } from './selection.js';
export type { ExpertRowLists } from './selection.js';
export { routingStats } from './stats.js';
