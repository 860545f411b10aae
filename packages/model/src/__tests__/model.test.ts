import { referenceBackend } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import type { ModelConfigInput } from '../config.js';
import { createModel } from '../model.js';
import { resolveConfig } from '../resolve.js';
import { B, T, tinyBatch, tinyConfig, tinyModel } from './helpers.js';

const mohInput = (beta: number): ModelConfigInput => ({
  attention: { headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2, loadBalanceWeight: beta, gating: 'scaled' } },
});

describe('Model', () => {
  it('initialises deterministically from the seed, with γ = 1 and biases 0', () => {
    const config = tinyConfig({ norm: { kind: 'layernorm' }, ffn: { kind: 'relu', hiddenDim: 24 } });
    const a = tinyModel(config, 5);
    const b = tinyModel(config, 5);
    const c = tinyModel(config, 6);
    expect(a.params).toEqual(b.params);
    expect(a.params).not.toEqual(c.params);
    expect(a.param('layers.0.norm1.gamma').every((v) => v === 1)).toBe(true);
    expect(a.param('layers.1.norm2.beta').every((v) => v === 0)).toBe(true);
    expect(a.param('layers.0.ffn.b1').every((v) => v === 0)).toBe(true);
    expect(a.params.length).toBe(a.store.size);
    expect(() => a.param('nope')).toThrow(/No parameter tensor named "nope"/);
  });

  it('reports loss = CE + β · mean L_b and per-layer routing telemetry', () => {
    const config = tinyConfig(mohInput(0.5));
    const model = tinyModel(config);
    const { ids, targets } = tinyBatch(config.vocabSize);
    const out = model.forward(ids, targets, B, T);
    expect(out.balance).toHaveLength(2);
    expect(out.loss).toBeCloseTo(out.ce + 0.5 * (out.balance[0] + out.balance[1]) / 2, 6);
    expect(out.routing[0].load[0]).toBe(1); // the shared head
    expect(out.routing[0].load.reduce((s, v) => s + v, 0)).toBeCloseTo(1 + 2, 6); // hs + k
    expect(model.logits.length).toBe(B * T * config.vocabSize);
    // Without targets L_b is computed when read: the same values for the same routing.
    const prefill = model.forward(ids, null, B, T, { updateStatistics: false });
    expect(prefill.loss).toBeNaN();
    expect(prefill.balance).toEqual(out.balance);
    expect(out.balance.every((b) => b > 0)).toBe(true);
  });

  it('gives the router a gradient from CE alone (β = 0) and from L_b alone', () => {
    const config = tinyConfig(mohInput(0));
    const model = tinyModel(config);
    const { ids, targets } = tinyBatch(config.vocabSize);
    model.forward(ids, targets, B, T);
    model.zeroGrad();
    model.backward();
    for (const name of ['layers.0.router.wr', 'layers.0.router.wh', 'layers.1.router.wr']) {
      expect(model.grad(name).some((g) => Math.abs(g) > 1e-4), name).toBe(true);
    }
    const balanced = tinyModel(tinyConfig(mohInput(1)));
    balanced.forward(ids, new Int32Array(ids.length).fill(-1), B, T); // CE = 0: only L_b
    balanced.zeroGrad();
    balanced.backward();
    expect(balanced.grad('layers.1.router.wr').some((g) => Math.abs(g) > 1e-4)).toBe(true);
    expect(balanced.grad('lmHead').every((g) => g === 0)).toBe(true);
  });

  it('accumulates gradients until zeroGrad', () => {
    const config = tinyConfig();
    const model = tinyModel(config);
    const { ids, targets } = tinyBatch(config.vocabSize);
    model.forward(ids, targets, B, T);
    model.zeroGrad();
    model.backward();
    const once = model.grads.slice();
    model.backward();
    expect(model.grads[5]).toBeCloseTo(2 * once[5], 6);
    model.zeroGrad();
    expect(model.grads.every((g) => g === 0)).toBe(true);
  });

  it('rejects bad inputs with a clear message', () => {
    const model = tinyModel(tinyConfig());
    expect(() => model.forward(new Int32Array([1, 99]), null, 1, 2)).toThrow(/Token id 99 at position 1 is outside the vocabulary of 11/);
    expect(() => model.forward(new Int32Array(9), null, 1, 9)).toThrow(/seqLen must be an integer in 1..8/);
    expect(() => model.forward(new Int32Array(3), null, 1, 2)).toThrow(/ids must hold batch·seqLen = 2/);
    model.forward(new Int32Array(2), null, 1, 2);
    expect(() => model.backward()).toThrow(/needs a forward pass with targets/);
  });

  it('builds the seed presets with the table parameter counts', () => {
    const backend = referenceBackend();
    expect(createModel(resolveConfig({ preset: 'seed' }), { backend }).params.length).toBe(573_440);
    expect(createModel(resolveConfig({ preset: 'seed-moh' }), { backend }).params.length).toBe(577_280);
  });
});
