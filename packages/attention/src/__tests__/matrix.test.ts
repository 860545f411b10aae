/**
 * The option matrix: for every GQA ratio × position encoding × window strategy (with
 * W_o and routing cycling through on/off × all-active/sparse), the sparse layer must
 * equal the dense float64 reference in its output and in every gradient (x, wq, wk, wv,
 * cope, wo, gates), where the reference gradients are float64 central differences of
 * the dense reference (a seeded sample of up to 96 elements per tensor, to keep the
 * suite fast). Every element of every gradient is also compared with a dense-mode run
 * of the layer itself: every head on every row, then multiplied by the gates (0 on the
 * inactive pairs). Tolerance 1e-5 absolute + 1e-5 relative throughout.
 */
import { referenceBackend } from '@moh/tensor';
import { dot, expectClose, gradcheck, seededValues, toFloat64 } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { Attention } from '../attention.js';
import type { AdaptiveWindow, PositionEncoding } from '../config.js';
import { denseAttention, type DenseInputs } from './dense-reference.js';
import { allActive, makeParams, randomRouting, tinyConfig } from './fixtures.js';

const B = 2;
const T = 7;
const H = 4;
const N = B * T;
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

const positions: [string, PositionEncoding][] = [
  ['none', { kind: 'none' }],
  ['rope', { kind: 'rope', base: 10000 }],
  ['cope', { kind: 'cope', maxPositions: 5 }],
];
const windows: [string, number | null, AdaptiveWindow, number | null][] = [
  // label, configured window, strategy, window expected in force (T = 7, Ĥ = 0.75)
  ['no window', null, { kind: 'fixed' }, null],
  ['window 3', 3, { kind: 'fixed' }, 3],
  ['sequenceLength', 3, { kind: 'sequenceLength', min: 4, max: 6 }, 4],
  ['attentionEntropy', 3, { kind: 'attentionEntropy', min: 2, max: 6, momentum: 0.5 }, 5],
];
const cases = positions.flatMap(([pName, position], pi) =>
  [4, 2, 1].flatMap((kvHeads, gi) =>
    windows.map(([wName, window, adaptiveWindow, expected], wi) => {
      const i = pi + gi + wi;
      return { pName, position, kvHeads, wName, window, adaptiveWindow, expected, wo: i % 2 === 1, sparse: Math.floor(i / 2) % 2 === 0, d: 16 };
    }),
  ),
);
// W_o lets the model width differ from H·D.
cases.push({ ...cases[cases.length - 1], pName: 'cope, d 12 ≠ H·D 16', d: 12, wo: true, sparse: true });

describe('sparse attention equals the dense reference (outputs and every gradient)', () => {
  it.each(cases)(
    '$pName, G=$kvHeads, $wName, W_o $wo, sparse $sparse',
    ({ position, kvHeads, window, adaptiveWindow, expected, wo, sparse, d }) => {
      const config = tinyConfig({ kvHeads, position, window, adaptiveWindow, outputProjection: wo, modelDim: d });
      const { params, grads } = makeParams(config, 11 + kvHeads);
      const x = seededValues(3, N * d);
      const routing = sparse ? randomRouting(5 + kvHeads, N, H) : allActive(N, H);
      const weights = seededValues(9, N * d);
      const layer = new Attention(config, params, grads, referenceBackend());
      layer.entropyAverage = 0.75;
      const y = layer.forward(x, B, T, routing);
      expect(layer.windowInForce).toBe(expected);
      const dense: DenseInputs = { ...params, x, gates: routing.gates };
      expectClose(y, denseAttention(config, dense, B, T, expected), TOLERANCE, 'output');
      const { dX, dGates } = layer.backward(weights);

      // Gates are checked on active pairs; inactive pairs must report exactly 0.
      const activePairs: number[] = [];
      for (let h = 0; h < H; h++) for (const r of routing.activeRows[h]) activePairs.push(r * H + h);
      for (let i = 0; i < N * H; i++) if (!activePairs.includes(i)) expect(dGates[i]).toBe(0);
      const inputs: Record<string, Float64Array> = {
        x: toFloat64(x), wq: toFloat64(params.wq), wk: toFloat64(params.wk), wv: toFloat64(params.wv),
        gates: Float64Array.from(activePairs, (i) => routing.gates[i]),
      };
      const analytic: Record<string, ArrayLike<number>> = {
        x: dX, wq: grads.wq, wk: grads.wk, wv: grads.wv, gates: activePairs.map((i) => dGates[i]),
      };
      if (params.cope !== undefined && grads.cope !== undefined) {
        inputs['cope'] = toFloat64(params.cope);
        analytic['cope'] = grads.cope;
      }
      if (params.wo !== undefined && grads.wo !== undefined) {
        inputs['wo'] = toFloat64(params.wo);
        analytic['wo'] = grads.wo;
      }
      const gateMatrix = new Float64Array(N * H);
      const loss = (v: Record<string, Float64Array>): number => {
        activePairs.forEach((pair, k) => (gateMatrix[pair] = v['gates'][k]));
        const out = denseAttention(
          config,
          { x: v['x'], wq: v['wq'], wk: v['wk'], wv: v['wv'], cope: v['cope'], wo: v['wo'], gates: gateMatrix },
          B, T, expected,
        );
        return dot(weights, out);
      };
      gradcheck(loss, inputs, analytic, { h: 1e-6, ...TOLERANCE, maxElements: 96 });

      // Dense mode of the same layer: all rows active, the sparse gates (zeros included).
      const denseGrads = makeParams(config, 11 + kvHeads).grads;
      const denseLayer = new Attention(config, params, denseGrads, referenceBackend());
      denseLayer.entropyAverage = 0.75;
      expectClose(denseLayer.forward(x, B, T, allActive(N, H, routing.gates)), y, TOLERANCE, 'dense-mode output');
      const denseBack = denseLayer.backward(weights);
      expectClose(dX, denseBack.dX, TOLERANCE, 'dense-mode dX');
      expectClose(analytic['gates'], activePairs.map((i) => denseBack.dGates[i]), TOLERANCE, 'dense-mode dGates');
      for (const name of ['wq', 'wk', 'wv', 'cope', 'wo'] as const) {
        const sparseGrad = grads[name];
        const denseGrad = denseGrads[name];
        if (sparseGrad !== undefined && denseGrad !== undefined) expectClose(sparseGrad, denseGrad, TOLERANCE, `dense-mode d${name}`);
      }
    },
  );
});
