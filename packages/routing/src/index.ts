/**
 * `@moh/routing`: routing math for mixtures, with no knowledge of attention. It serves
 * the Mixture-of-Heads router today and a mixture-of-experts FFN router later:
 * routing probabilities (the softmax of `@moh/tensor`), top-k selection, gates, the
 * load-balance loss and routing statistics.
 *
 * @packageDocumentation
 */
export type { GateMode, RoutingStats, TopKRouting } from './config.js';
