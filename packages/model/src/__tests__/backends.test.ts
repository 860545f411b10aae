/**
 * The model on every available backend: the fast (WebAssembly) backend must agree with
 * the reference one, including after the backend's memory has grown, which detaches
 * every view taken before (the parameter store re-takes its views; see store.ts).
 */
import { availableBackends, referenceBackend } from '@moh/tensor';
import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { createModel } from '../model.js';
import { B, T, tinyBatch, tinyConfig } from './helpers.js';

const fast = availableBackends().find((b) => b.name === 'fast');
const config = tinyConfig({
  learnedPositions: true,
  attention: { headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2, loadBalanceWeight: 0.1, gating: 'scaled' } },
});

describe.runIf(fast !== undefined)('fast backend', () => {
  it('matches the reference backend, before and after its memory grows', () => {
    const backend = fast!;
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
});
