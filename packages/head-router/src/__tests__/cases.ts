/**
 * Router test cases: a Mixture-of-Heads router over seeded weights whose routed logits
 * are well separated, so a finite-difference step never changes the top-k selection.
 *
 * Shapes: N rows, d width (≠ every head count, so a transposed gradient fails),
 * H = hs + hr heads, k selected routed heads.
 */
import type { Kernels } from '@moh/tensor';
import { seededValues } from '@moh/test-utils';
import type { Gating, HeadSelection } from '../config.js';
import { HeadRouter } from '../head-router.js';
import type { RouterParams } from '../params.js';
import type { RouterProbabilities } from '../routing.js';

export const N = 7;
export const d = 6;
export const hs = 2;
export const hr = 5;
export const H = hs + hr;
// k ≠ hs, so scaled gating's multipliers 2·hs and 2·k differ and a swap is caught.
export const k = 3;

/** The smallest gap, over rows, between the k-th and (k+1)-th routed logit. */
export function selectionMargin(x: Float32Array, wr: Float32Array, rows: number): number {
  let margin = Infinity;
  for (let t = 0; t < rows; t++) {
    const z: number[] = [];
    for (let j = 0; j < hr; j++) {
      let v = 0;
      for (let c = 0; c < d; c++) v += x[t * d + c] * wr[j * d + c];
      z.push(v);
    }
    z.sort((a, b) => b - a);
    margin = Math.min(margin, z[k - 1] - z[k]);
  }
  return margin;
}

/** A router case; the first seed from `seed` whose selection margin exceeds 0.1. */
export function routerCase(
  kernels: Kernels,
  gating: Gating,
  seed: number,
): { router: HeadRouter; x: Float32Array; params: RouterParams; grads: RouterParams } {
  for (let s = seed; s < seed + 1000; s++) {
    const x = seededValues(s, N * d);
    const wr = seededValues(s + 7001, hr * d);
    // A step of h = 1e-2 moves a logit by at most h·max|w| or h·max|x| ≤ 1e-2.
    if (selectionMargin(x, wr, N) < 0.1) continue;
    const params = { ws: seededValues(s + 9001, hs * d), wr, wh: seededValues(s + 11001, 2 * d) };
    const grads = { ws: new Float32Array(hs * d), wr: new Float32Array(hr * d), wh: new Float32Array(2 * d) };
    const selection: HeadSelection = { kind: 'mixtureOfHeads', sharedHeads: hs, activeRoutedHeads: k, loadBalanceWeight: 0.01, gating };
    return { router: new HeadRouter(selection, d, H, kernels, params, grads), x, params, grads };
  }
  throw new Error('no well-separated router case found');
}

/** The router's last Mixture-of-Heads probabilities; throws when it has none. */
export function probabilitiesOf(router: HeadRouter): RouterProbabilities {
  const p = router.probabilities;
  if (p === null) throw new Error('the router has no probabilities (not mixtureOfHeads, or not routed yet)');
  return p;
}
