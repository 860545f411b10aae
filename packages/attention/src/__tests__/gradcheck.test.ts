/**
 * Float32 finite-difference checks of the layer itself (its backward against its own
 * forward), with the `FLOAT32_GRADCHECK` settings, over x, every weight and the gates.
 *
 * CoPE is the exception on the step: its bias interpolates the table linearly between
 * integer positions and clamps at P − 1, so it has a kink wherever a position crosses an
 * integer. A step of 1e-2 moves positions across kinks and the central difference then
 * errs in proportion to h (measured: 1.9e-2 at h = 1e-2, 7e-3 at 3e-3, within tolerance
 * at 1e-3). CoPE uses h = 1e-3; the float64 check in matrix.test.ts uses 1e-6.
 */
import type { HeadRouting } from '@moh/head-router';
import { referenceBackend } from '@moh/tensor';
import { dot, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { describe, it } from 'vitest';
import { Attention } from '../attention.js';
import type { TinyOptions } from './fixtures.js';
import { allActive, makeParams, randomRouting, tinyConfig } from './fixtures.js';

const B = 2;
const T = 7;
const N = B * T;

const cases: [string, TinyOptions, boolean][] = [
  // label, layer, sparse routing
  ['cope, G=2, window 3, W_o, sparse', { kvHeads: 2, position: { kind: 'cope', maxPositions: 5 }, window: 3, outputProjection: true }, true],
  ['rope, G=1, no window, all active', { kvHeads: 1, position: { kind: 'rope', base: 10000 } }, false],
  ['none, G=4, attentionEntropy, W_o, sparse', { window: 3, adaptiveWindow: { kind: 'attentionEntropy', min: 2, max: 6, momentum: 0.5 }, outputProjection: true }, true],
];

describe('float32 gradcheck of the layer', () => {
  it.each(cases)('%s', (_label, options, sparse) => {
    const config = tinyConfig(options);
    const { params, grads } = makeParams(config, 21);
    const x = seededValues(1, N * 16);
    const routing: HeadRouting = sparse ? randomRouting(2, N, 4) : allActive(N, 4, seededValues(3, N * 4, 1).map((v) => 1 + 0.5 * v));
    const weights = seededValues(4, N * 16);
    const layer = new Attention(config, params, grads, referenceBackend());
    // Ĥ is pinned before every pass so that each forward uses the same window.
    const loss = (): number => {
      layer.entropyAverage = 0.5;
      return dot(weights, layer.forward(x, B, T, routing));
    };
    loss();
    const { dX, dGates } = layer.backward(weights);
    const inputs: Record<string, Float32Array> = { x, wq: params.wq, wk: params.wk, wv: params.wv, gates: routing.gates };
    const analytic: Record<string, ArrayLike<number>> = {
      x: Float32Array.from(dX), wq: grads.wq, wk: grads.wk, wv: grads.wv, gates: Float32Array.from(dGates),
    };
    if (params.cope && grads.cope) [inputs['cope'], analytic['cope']] = [params.cope, grads.cope];
    if (params.wo && grads.wo) [inputs['wo'], analytic['wo']] = [params.wo, grads.wo];
    const h = config.position.kind === 'cope' ? 1e-3 : FLOAT32_GRADCHECK.h;
    gradcheck(loss, inputs, analytic, { ...FLOAT32_GRADCHECK, h, maxElements: 40 });
  });
});
