/**
 * `@moh/head-router`: the Mixture-of-Heads router. For each token it scores shared
 * and routed heads, picks the top-k routed heads and forms the head gates that scale
 * each head's attention output; it learns through those gates and the load-balance
 * loss.
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
export type { HeadRouting } from './routing.js';
