/**
 * Sparsity is real: an inactive (row, head) pair gets no Q row, score row, softmax row,
 * CoPE row, A·V row or W_o slice. Proven by counting the rows the kernels are handed,
 * and by NaN-poisoning the parameters of a head that no row activates.
 */
import type { HeadRouting } from '@moh/head-router';
import { referenceBackend, type Kernels } from '@moh/tensor';
import { seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { Attention } from '../attention.js';
import { makeParams, randomRouting, tinyConfig } from './fixtures.js';

const B = 2;
const T = 7;
const H = 4;
const N = B * T;

/** The reference kernels, counting what the sparse paths are asked to do. */
function countingKernels(): { kernels: Kernels; counts: Record<string, number> } {
  const base = referenceBackend();
  const counts: Record<string, number> = { qRows: 0, softmaxRows: 0, softmaxCols: 0, sigmoid: 0, softmaxBackRows: 0, ntRows: 0, tnRows: 0 };
  const kernels: Kernels = {
    ...base,
    matmulRows: (...a: Parameters<Kernels['matmulRows']>) => ((counts['qRows'] += a[4]), base.matmulRows(...a)),
    matmulNTRows: (...a: Parameters<Kernels['matmulNTRows']>) => ((counts['ntRows'] += a[4]), base.matmulNTRows(...a)),
    matmulTNRows: (...a: Parameters<Kernels['matmulTNRows']>) => ((counts['tnRows'] += a[4]), base.matmulTNRows(...a)),
    // The attention softmax is banded: a row counts only the keys its band covers.
    maskedSoftmaxForward: (...a: Parameters<Kernels['maskedSoftmaxForward']>) => {
      const [, , lo, hi, , rows] = a;
      counts['softmaxRows'] += rows;
      for (let r = 0; r < rows; r++) counts['softmaxCols'] += hi[r] - lo[r];
      base.maskedSoftmaxForward(...a);
    },
    maskedSoftmaxBackward: (...a: Parameters<Kernels['maskedSoftmaxBackward']>) => (
      (counts['softmaxBackRows'] += a[6]), base.maskedSoftmaxBackward(...a)
    ),
    // CoPE gates: one per visible key of an active row.
    copeGatesForward: (...a: Parameters<Kernels['copeGatesForward']>) => {
      const [, , lo, hi, , rows] = a;
      for (let r = 0; r < rows; r++) counts['sigmoid'] += hi[r] - lo[r];
      return base.copeGatesForward(...a);
    },
  };
  return { kernels, counts };
}

function activeCount(routing: HeadRouting): number {
  return routing.activeRows.reduce((s, rows) => s + rows.length, 0);
}

describe('sparse execution', () => {
  it('hands the kernels only active (row, head) pairs, forward and backward', () => {
    const config = tinyConfig({ kvHeads: 2, position: { kind: 'cope', maxPositions: 5 }, window: 3, outputProjection: true });
    const { params, grads } = makeParams(config, 1);
    const routing = randomRouting(4, N, H, 0.4);
    const active = activeCount(routing);
    expect(active).toBeLessThan(N * H * 0.6);
    let visibleKeys = 0;
    for (const rows of routing.activeRows) for (const r of rows) visibleKeys += Math.min(3, (r % T) + 1);
    const { kernels, counts } = countingKernels();
    const layer = new Attention(config, params, grads, kernels);
    layer.forward(seededValues(2, N * 16), B, T, routing);
    // Q projection + W_o slice: each active pair once, each inactive pair never.
    expect(counts['qRows']).toBe(2 * active);
    expect(counts['softmaxRows']).toBe(active);
    expect(counts['softmaxCols']).toBe(visibleKeys);
    expect(counts['sigmoid']).toBe(visibleKeys);
    layer.backward(seededValues(3, N * 16));
    expect(counts['softmaxBackRows']).toBe(active);
    // W_o input and weight gradients, then W_q input and weight gradients.
    expect(counts['ntRows']).toBe(2 * active);
    expect(counts['tnRows']).toBe(2 * active);
  });

  it('never reads the parameters of a head no row activates (NaN-poisoned head)', () => {
    const config = tinyConfig({ kvHeads: 2, position: { kind: 'cope', maxPositions: 5 }, outputProjection: true });
    const routing = randomRouting(8, N, H, 0.6);
    const idle = 3;
    const pruned: HeadRouting = {
      ...routing,
      gates: routing.gates.map((g, i) => (i % H === idle ? 0 : g)),
      activeRows: routing.activeRows.map((rows, h) => (h === idle ? new Int32Array(0) : rows)),
    };
    const x = seededValues(2, N * 16);
    const dY = seededValues(3, N * 16);
    const run = (poison: boolean): { y: Float32Array; dX: Float32Array; dGates: Float32Array; dwq: Float32Array } => {
      const { params, grads } = makeParams(config, 1);
      if (poison) {
        const D = 4;
        for (let r = 0; r < 16; r++) params.wq.fill(NaN, r * 16 + idle * D, r * 16 + idle * D + D);
        params.cope?.fill(NaN, idle * 5 * D, (idle + 1) * 5 * D);
        params.wo?.fill(NaN, idle * D * 16, (idle + 1) * D * 16);
      }
      const layer = new Attention(config, params, grads, referenceBackend());
      const y = Float32Array.from(layer.forward(x, B, T, pruned));
      const back = layer.backward(dY);
      return { y, dX: Float32Array.from(back.dX), dGates: Float32Array.from(back.dGates), dwq: Float32Array.from(grads.wq) };
    };
    const clean = run(false);
    const poisoned = run(true);
    expect(poisoned.y).toEqual(clean.y);
    expect(poisoned.dX).toEqual(clean.dX);
    expect(poisoned.dGates).toEqual(clean.dGates);
    expect(poisoned.dwq).toEqual(clean.dwq);
    expect(clean.y.every(Number.isFinite)).toBe(true);
  });
});
