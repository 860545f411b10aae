/**
 * Head-selection configuration (SPEC §4). Shapes: T tokens, d model width, H query
 * heads, hs shared heads, hr = H − hs routed heads, k routed heads active per token.
 */

import type { HeadGating } from '@moh/tensor';

/**
 * How the Mixture-of-Heads gates are formed (SPEC §4 table); the `headRouteForward`
 * kernel of `@moh/tensor` forms them.
 * - `paper`: shared `α1·s_i`, routed `α2·r_j` (MoH paper, Eq. 5–6).
 * - `scaled` (default): shared `2·α1·hs·s_i`, routed `2·α2·k·r_j / Σ_{m∈M} r_m`; uniform
 *   routers give every active head a gate of about 1, as in plain multi-head attention.
 * - `binary`: every active head has gate 1; the backward treats a routed gate as `r_j`
 *   (straight-through).
 */
export type Gating = HeadGating;

/** Every head, gate 1: standard multi-head attention. */
export interface AllHeadsSelection {
  readonly kind: 'allHeads';
}

/** Heads `0..activeHeads−1` with gate 1; the others are never computed. */
export interface StaticPruningSelection {
  readonly kind: 'staticPruning';
  /** Number of heads kept, `1 ≤ activeHeads ≤ H`. */
  readonly activeHeads: number;
}

/** Mixture-of-Heads: shared heads always active, a learned router picks k routed heads per token. */
export interface MixtureOfHeadsSelection {
  readonly kind: 'mixtureOfHeads';
  /** Heads `0..sharedHeads−1`, active for every token, `0 ≤ sharedHeads < H`. */
  readonly sharedHeads: number;
  /** Routed heads active per token, `1 ≤ k ≤ H − sharedHeads`. */
  readonly activeRoutedHeads: number;
  /** β, the weight of the load-balance loss in the total loss. Defaults to 0.01. */
  readonly loadBalanceWeight: number;
  /** Gate formation. Defaults to `scaled`. */
  readonly gating: Gating;
}

/** Which heads each token uses. */
export type HeadSelection = AllHeadsSelection | StaticPruningSelection | MixtureOfHeadsSelection;
