/**
 * The model on every available backend: the fast (WebAssembly) backend must agree with
 * the reference one, including after the backend's memory has grown, which detaches
 * every view taken before (the parameter store re-takes its views; see store.ts).
 */
import { availableBackends, createBackend, referenceBackend, type Backend } from '@moh/tensor';
import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../resolve.js';
import { createModel } from '../model.js';
import { B, T, tinyBatch, tinyConfig } from './helpers.js';

const fast = availableBackends().find((b) => b.name === 'fast');
const fastOrThrow = (): Backend => {
  if (fast === undefined) throw new Error('no fast backend');
  return fast;
};
const config = tinyConfig({
  learnedPositions: true,
  attention: { headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2, loadBalanceWeight: 0.1, gating: 'scaled' } },
});

describe.runIf(fast !== undefined)('fast backend', () => {
  it('matches the reference backend, before and after its memory grows', () => {
    const backend = fastOrThrow();
    const { ids, targets } = tinyBatch(config.vocabSize);
    const reference = createModel(config, { backend: referenceBackend(), seed: 3 });
    const model = createModel(config, { backend, seed: 3 });
    expect(model.params).toEqual(reference.params);
    const want = reference.forward(ids, targets, B, T);
    reference.zeroGrad();
    reference.backward();
    const run = (): void => {
      const got = model.forward(ids, targets, B, T);
      expectClose(got.loss, want.loss, { atol: 1e-5, rtol: 1e-5 }, 'loss');
      expectClose(model.logits, reference.logits, { atol: 1e-4, rtol: 1e-4 }, 'logits');
      model.zeroGrad();
      model.backward();
      expectClose(model.grads, reference.grads, { atol: 1e-4, rtol: 1e-3 }, 'grads');
    };
    run();
    const before = model.params.buffer;
    const big = backend.allocFloat32(8 * 1024 * 1024); // grows the WebAssembly memory
    expect(model.params.buffer).not.toBe(before);
    run();
    big.free();
  });

  it('trains like the reference backend after a memory growth (parameters updated in the new memory)', () => {
    const backend = fastOrThrow();
    const { ids, targets } = tinyBatch(config.vocabSize);
    const models = [createModel(config, { backend: referenceBackend(), seed: 3 }), createModel(config, { backend, seed: 3 })];
    const big = backend.allocFloat32(16 * 1024 * 1024); // grow first, then update parameters
    const losses = models.map((model) => {
      const n = model.params.length;
      const m = new Float32Array(n);
      const v = new Float32Array(n);
      const trace: number[] = [];
      for (let step = 1; step <= 5; step++) {
        trace.push(model.forward(ids, targets, B, T).loss);
        model.zeroGrad();
        model.backward();
        model.backend.adamwStep(model.params, m, v, model.grads, { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, step }, n);
      }
      return trace;
    });
    expectClose(losses[1], losses[0], { atol: 1e-4, rtol: 1e-4 }, 'losses');
    big.free();
  });
});

describe.runIf(fast !== undefined)('fast backend on two threads', () => {
  it('gives a training step and a decode the bits of one thread (the seed MoH model, 16 sequences of 80)', () => {
    const seed = resolveConfig({ preset: 'seed-moh' });
    const batch = 16;
    const seqLen = seed.maxSeqLen;
    const ids = Int32Array.from({ length: batch * seqLen }, (_, i) => (i * 7919) % seed.vocabSize);
    const targets = Int32Array.from({ length: batch * seqLen }, (_, i) => (i * 104729 + 3) % seed.vocabSize);
    const run = (threads: number): { loss: number; grads: number[]; logits: number[] } => {
      const model = createModel(seed, { backend: createBackend('fast', { threads }), seed: 5 });
      expect(model.backend.threads).toBe(threads);
      model.zeroGrad();
      const { loss } = model.forward(ids, targets, batch, seqLen);
      model.backward();
      const grads = Array.from(model.grads);
      // A decode of 16 sequences at once: its products are big enough to split too.
      const decoder = model.decoder(batch, 8);
      const logits = Array.from(decoder.append(ids.subarray(0, batch * 8), 8));
      model.free();
      return { loss, grads, logits };
    };
    const one = run(1);
    const two = run(2);
    expect(two.loss).toBe(one.loss);
    // Indices, not arrays: a failing diff of 10⁵ numbers would take minutes to print.
    expect(two.grads.findIndex((g, i) => !Object.is(g, one.grads[i]))).toBe(-1);
    expect(two.logits.findIndex((g, i) => !Object.is(g, one.logits[i]))).toBe(-1);
  });
});
