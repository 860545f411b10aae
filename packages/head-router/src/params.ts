/**
 * The router's parameters (SPEC §4): three score matrices read against the attention
 * input X, one row of `d` weights per output (scores are `X · Wᵀ`).
 *
 * Shapes: d model width, hs shared heads, hr routed heads.
 * `ws (hs, d)`, `wr (hr, d)`, `wh (2, d)`.
 *
 * @packageDocumentation
 */
import type { Rng } from '@moh/tensor';

/**
 * The router's weights, or the mirrored record of their gradients: views into the
 * model's flat parameter (or gradient) buffer, in the order `ws`, `wr`, `wh`.
 */
export interface RouterParams<T = Float32Array> {
  /** `(hs, d)`: shared-head scores, `s = softmax(X · wsᵀ)`. */
  readonly ws: T;
  /** `(hr, d)`: routed-head scores, `r = softmax(X · wrᵀ)`. */
  readonly wr: T;
  /** `(2, d)`: the shared/routed mix, `α = softmax(X · whᵀ)`. */
  readonly wh: T;
}

/**
 * Fills the router weights with normal draws `N(0, std²)`, in the order `ws`, `wr`, `wh`
 * (the parameter-table order), so one seeded {@link Rng} gives the same model everywhere.
 * Normal rather than zero weights make the first top-k choices differ between tokens
 * instead of all falling to the lowest-index heads by the tie rule.
 *
 * @example
 * ```ts
 * import { Rng } from '@moh/tensor';
 * const params = { ws: new Float32Array(2 * 8), wr: new Float32Array(6 * 8), wh: new Float32Array(2 * 8) };
 * initRouterParams(params, new Rng(1), 0.02);
 * ```
 */
export function initRouterParams(params: RouterParams, rng: Rng, std: number): void {
  rng.fillNormal(params.ws, 0, std);
  rng.fillNormal(params.wr, 0, std);
  rng.fillNormal(params.wh, 0, std);
}

/** Throws unless each view holds exactly its tensor's elements (a detached view has 0). */
export function checkRouterParams(
  params: RouterParams,
  role: 'params' | 'grads',
  sharedHeads: number,
  routedHeads: number,
  modelDim: number,
): void {
  const expected: Record<keyof RouterParams, number> = {
    ws: sharedHeads * modelDim,
    wr: routedHeads * modelDim,
    wh: 2 * modelDim,
  };
  for (const name of ['ws', 'wr', 'wh'] as const) {
    const got = params[name].length;
    if (got !== expected[name]) {
      throw new RangeError(
        `router ${role}.${name} must hold ${expected[name]} values, got ${got}` +
          (got === 0 ? ' (a view detached when the backend memory grew?)' : ''),
      );
    }
  }
}
