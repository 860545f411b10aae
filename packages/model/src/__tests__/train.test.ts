/**
 * Training smoke test: 200 AdamW steps (the backend's `adamwStep` over the whole flat
 * parameter buffer) on a fixed tiny text must at least halve the loss, with all heads
 * and with Mixture-of-Heads.
 */
import { referenceBackend } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import type { ModelConfigInput } from '../config.js';
import { createModel } from '../model.js';
import { resolveConfig } from '../resolve.js';

const TEXT = 'the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat. ';
const chars = [...new Set(TEXT)].sort();
const encoded = Int32Array.from(TEXT, (c) => chars.indexOf(c));

function batchAt(step: number, batch: number, seqLen: number): { ids: Int32Array; targets: Int32Array } {
  const ids = new Int32Array(batch * seqLen);
  const targets = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    const start = (step * 7 + b * 19) % (encoded.length - seqLen - 1);
    for (let t = 0; t < seqLen; t++) {
      ids[b * seqLen + t] = encoded[start + t];
      targets[b * seqLen + t] = encoded[start + t + 1];
    }
  }
  return { ids, targets };
}

const cases: [string, ModelConfigInput][] = [
  ['allHeads', { attention: { headSelection: { kind: 'allHeads' } } }],
  ['mixtureOfHeads', { attention: { headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2, loadBalanceWeight: 0.01, gating: 'scaled' } } }],
];

describe('training smoke test', () => {
  it.each(cases)('%s: 200 AdamW steps at least halve the loss', (_label, input) => {
    const backend = referenceBackend();
    const config = resolveConfig({
      vocabSize: chars.length, modelDim: 32, layers: 2, maxSeqLen: 16, initStd: 0.05,
      ffn: { kind: 'swiglu', hiddenDim: 64 },
      ...input,
      attention: { queryHeads: 4, kvHeads: 2, position: { kind: 'cope', maxPositions: 16 }, ...input.attention },
    });
    const model = createModel(config, { backend, seed: 1 });
    const n = model.params.length;
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const batch = 4;
    const seqLen = 16;
    const losses: number[] = [];
    for (let step = 1; step <= 200; step++) {
      const { ids, targets } = batchAt(step, batch, seqLen);
      const { loss } = model.forward(ids, targets, batch, seqLen);
      losses.push(loss);
      model.zeroGrad();
      model.backward();
      backend.adamwStep(model.params, m, v, model.grads, { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, step }, n);
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    console.log(`${_label}: step-1 loss ${losses[0].toFixed(3)}, mean of first 5 ${first.toFixed(3)}, mean of last 5 ${last.toFixed(3)}`);
    expect(last).toBeLessThan(first / 2);
  });
});
