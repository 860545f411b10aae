/**
 * `@moh/head-router`: the Mixture-of-Heads router. For each token it scores shared
 * and routed heads, picks the top-k routed heads and forms the head gates that scale
 * each head's attention output; it learns through those gates and the load-balance
 * loss. `allHeads` and `staticPruning` routers have no parameters and constant gates.
 *
 * Shapes: N = B·T rows, d model width, H query heads, hs shared heads (heads
 * 0..hs−1), hr = H − hs routed heads, k routed heads active per row.
 *
 * @packageDocumentation
 */
export type {
  AllHeadsSelection,
  Gating,
  HeadSelection,
  MixtureOfHeadsSelection,
  StaticPruningSelection,
} from './config.js';
export { HeadRouter } from './head-router.js';
export { initRouterParams } from './params.js';
export type { RouterParams } from './params.js';
export type { HeadRouting, HeadRoutingStats, RouterProbabilities } from './routing.js';
export { checkHeadSelection } from './selection.js';
