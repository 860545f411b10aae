/**
 * The layer gives the same numbers on every available backend (the fast one marshals
 * strided sub-views into WebAssembly memory; this catches a wrong offset or stride).
 */
import { availableBackends, referenceBackend } from '@moh/tensor';
import { expectClose, seededValues } from '@moh/test-utils';
import { describe, it } from 'vitest';
import { Attention } from '../attention.js';
import { makeParams, randomRouting, tinyConfig } from './fixtures.js';

const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend matches the reference', (_name, backend) => {
  it.each([
    tinyConfig({ kvHeads: 2, position: { kind: 'cope', maxPositions: 5 }, window: 3, outputProjection: true }),
    tinyConfig({ kvHeads: 1, position: { kind: 'rope', base: 10000 }, outputProjection: true, modelDim: 12 }),
  ])('forward and backward, d $modelDim, $position.kind', (config) => {
    const d = config.modelDim;
    const x = seededValues(1, 14 * d);
    const dY = seededValues(2, 14 * d);
    const routing = randomRouting(3, 14, 4);
    const run = (kernels: typeof backend): Record<string, Float32Array> => {
      const { params, grads } = makeParams(config, 4);
      const layer = new Attention(config, params, grads, kernels);
      const y = Float32Array.from(layer.forward(x, 2, 7, routing));
      const { dX, dGates } = layer.backward(dY);
      return { y, dX, dGates, wq: grads.wq, wk: grads.wk, wv: grads.wv, wo: grads.wo ?? new Float32Array(0), cope: grads.cope ?? new Float32Array(0) };
    };
    const expected = run(referenceBackend());
    const actual = run(backend);
    for (const key of Object.keys(expected)) expectClose(actual[key], expected[key], TOLERANCE, key);
  });
});
