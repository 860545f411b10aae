/**
 * KV-cache decoding against full recomputation. On the reference backend every layer
 * computes each row with the same arithmetic whatever the other rows, so the logits
 * must be bit-identical (`toEqual` on the Float32Arrays), not merely close.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfigInput } from '../config.js';
import { tinyConfig, tinyModel } from './helpers.js';

const cases: [string, ModelConfigInput][] = [
  ['base: CoPE, GQA, post-norm', {}],
  ['MoH scaled, RoPE, pre-norm, LayerNorm, ReLU, learned positions, tied, W_o', {
    blockLayout: 'preNorm', norm: { kind: 'layernorm' }, ffn: { kind: 'relu', hiddenDim: 24 }, learnedPositions: true,
    tiedEmbeddings: true,
    attention: {
      position: { kind: 'rope' }, outputProjection: true,
      headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2, loadBalanceWeight: 0.01, gating: 'scaled' },
    },
  }],
  ['MoH binary, CoPE, window 3, MQA', {
    attention: { kvHeads: 1, window: 3, headSelection: { kind: 'mixtureOfHeads', sharedHeads: 2, activeRoutedHeads: 1, loadBalanceWeight: 0.01, gating: 'binary' } },
  }],
  ['static pruning, sequenceLength window', {
    attention: { window: 6, adaptiveWindow: { kind: 'sequenceLength', min: 2, max: 3 }, headSelection: { kind: 'staticPruning', activeHeads: 2 } },
  }],
];

// One sequence makes every decode step a one-row pass (queries projected per run of heads).
describe.each([1, 2])('KV-cache decoding, batch %i', (batch) => {
  it.each(cases)('%s: prompt then one token at a time equals full recomputation exactly', (_label, input) => {
    const config = tinyConfig(input);
    const model = tinyModel(config);
    const length = 8;
    const V = config.vocabSize;
    const ids = Int32Array.from({ length: batch * length }, (_, i) => (i * 7 + 3) % V);
    model.forward(ids, null, batch, length);
    const full = model.logits.slice();
    const decoder = model.decoder(batch, length);
    const prompt = 3;
    const take = (start: number, n: number): Int32Array =>
      Int32Array.from({ length: batch * n }, (_, r) => ids[Math.floor(r / n) * length + start + (r % n)]);
    const expectRows = (logits: Float32Array, start: number, n: number): void => {
      for (let b = 0; b < batch; b++) {
        const got = logits.subarray(b * n * V, (b + 1) * n * V);
        const want = full.subarray((b * length + start) * V, (b * length + start + n) * V);
        expect(got).toEqual(want);
      }
    };
    expectRows(decoder.append(take(0, prompt), prompt), 0, prompt);
    for (let t = prompt; t < length; t++) expectRows(decoder.append(take(t, 1), 1), t, 1);
    expect(decoder.length).toBe(length);
    expect(() => decoder.append(take(0, 1), 1)).toThrow(/exceed the decoder's capacity of 8/);
    decoder.reset();
    expectRows(decoder.append(take(0, length), length), 0, length);
  });
});
