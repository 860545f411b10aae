/**
 * Whole-model gradient checks: ∂loss/∂θ for every parameter tensor (a seeded subset of
 * elements per tensor; embedding rows of tokens in the batch, so the input embedding is
 * covered) against central differences, over one option at a time from the tiny base
 * config (post-norm, RMSNorm, SwiGLU, CoPE with clamping, GQA H 4 / G 2, all heads, no
 * window, no W_o, untied head) plus combined cases.
 *
 * Tolerance: h 1e-3, |analytic − numeric| ≤ 3e-4 + 3e-2·|numeric| (re-measured once at
 * h/4 with atol 6e-4 where a kink sits inside ±h; see helpers.ts). atol is set by the
 * float32 rounding of the loss (about 1e-6, so ±3e-4 after dividing by 2h). Weights are
 * drawn with std 0.5 so that gradients are O(0.1–1), well above atol (asserted per
 * tensor: the largest checked |gradient| exceeds 4·atol): a transposed or wrongly signed
 * gradient fails, as the corrupted-gradient cases below prove. Larger steps (1e-2)
 * hit the curvature of CoPE's sigmoid gates; smaller ones the float32 rounding of the loss.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfigInput } from '../config.js';
import { checkModelGradients, tinyBatch, tinyConfig, tinyModel, type ModelCheckOptions } from './helpers.js';

const CHECK: ModelCheckOptions = { h: 1e-3, atol: 3e-4, rtol: 3e-2, perTensor: 8 };

const moh = (gating: 'paper' | 'scaled' | 'binary', extra: object = {}): ModelConfigInput => ({
  attention: {
    headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2, loadBalanceWeight: 0.1, gating, ...extra },
  },
});

const cases: [string, ModelConfigInput][] = [
  ['base (GQA G 2, CoPE, post-norm, RMSNorm, SwiGLU)', {}],
  ['MQA (G 1)', { attention: { kvHeads: 1 } }],
  ['MHA (G = H)', { attention: { kvHeads: 4 } }],
  ['RoPE', { attention: { position: { kind: 'rope' } } }],
  ['no position encoding + learned positions', { attention: { position: { kind: 'none' } }, learnedPositions: true }],
  ['CoPE + learned positions', { learnedPositions: true }],
  ['window 3', { attention: { window: 3 } }],
  ['adaptive window: sequenceLength', { attention: { window: 5, adaptiveWindow: { kind: 'sequenceLength', min: 2, max: 2 } } }],
  ['adaptive window: attentionEntropy', { attention: { window: 5, adaptiveWindow: { kind: 'attentionEntropy', min: 2, max: 5 } } }],
  ['LayerNorm', { norm: { kind: 'layernorm' } }],
  ['ReLU FFN', { ffn: { kind: 'relu', hiddenDim: 24 } }],
  ['pre-norm', { blockLayout: 'preNorm' }],
  ['output projection W_o', { attention: { outputProjection: true } }],
  ['tied embeddings', { tiedEmbeddings: true }],
  ['static pruning (3 of 4 heads)', { attention: { headSelection: { kind: 'staticPruning', activeHeads: 3 } } }],
  ['MoH paper gating', moh('paper')],
  ['MoH scaled gating', moh('scaled')],
  ['MoH scaled, no shared heads', moh('scaled', { sharedHeads: 0, activeRoutedHeads: 2 })],
  [
    'combined: pre-norm, LayerNorm, ReLU, tied, learned positions, RoPE, W_o, MQA, window 3, MoH scaled',
    {
      blockLayout: 'preNorm', norm: { kind: 'layernorm' }, ffn: { kind: 'relu', hiddenDim: 24 }, tiedEmbeddings: true,
      learnedPositions: true, attention: { ...moh('scaled').attention, position: { kind: 'rope' }, outputProjection: true, kvHeads: 1, window: 3 },
    },
  ],
  [
    'combined: MHA, CoPE, attentionEntropy window, W_o, pre-norm, MoH paper',
    {
      blockLayout: 'preNorm',
      attention: {
        ...moh('paper').attention, kvHeads: 4, outputProjection: true, window: 6,
        adaptiveWindow: { kind: 'attentionEntropy', min: 2, max: 6 },
      },
    },
  ],
];

describe('whole-model gradients match finite differences', () => {
  it.each(cases)('%s', (_label, input) => {
    const config = tinyConfig(input);
    const model = tinyModel(config);
    const { ids, targets } = tinyBatch(config.vocabSize);
    const report = checkModelGradients(model, ids, targets, CHECK);
    expect(report.mismatches).toEqual([]);
    expect(report.skipped).toBeLessThanOrEqual(report.checked / 10);
    // Every checked tensor has gradients far above atol, except router weights that
    // provably get none (a softmax over one shared head is constant).
    for (const [name, largest] of report.scale) {
      if (name.endsWith('router.ws') && config.attention.headSelection.kind === 'mixtureOfHeads' && config.attention.headSelection.sharedHeads <= 1) continue;
      expect(largest, name).toBeGreaterThan(4 * CHECK.atol);
    }
  });

  it('binary gating: tensors downstream of every router match; W_s, W_h get exactly 0', () => {
    // Binary gates are the constant 1 in the forward, so the loss does not depend on the
    // router through them, while the backward uses the straight-through surrogate (gate
    // treated as r_j). That surrogate also flows into the router's input gradient, so
    // every tensor upstream of a router (earlier layers, the embedding, W_r itself) gets
    // the surrogate gradient, which finite differences cannot see. Checked numerically:
    // the last layer's attention, norms and FFN and the LM head (downstream of every
    // router); W_r is checked against L_b alone below.
    const config = tinyConfig(moh('binary'));
    const model = tinyModel(config);
    const { ids, targets } = tinyBatch(config.vocabSize);
    const report = checkModelGradients(model, ids, targets, {
      ...CHECK,
      skip: (n) => !(n === 'lmHead' || (n.startsWith('layers.1.') && !n.includes('router'))),
    });
    expect(report.checked).toBeGreaterThan(40);
    expect(report.mismatches).toEqual([]);
    for (const name of ['layers.0.router.ws', 'layers.0.router.wh', 'layers.1.router.wh']) {
      expect(model.grad(name).every((g) => g === 0), name).toBe(true);
    }
    expect(model.grad('layers.0.router.wr').some((g) => g !== 0)).toBe(true);
  });
});

describe('the load-balance term alone (every target masked)', () => {
  it.each(['scaled', 'binary'] as const)('%s: W_r gradient matches finite differences of β·mean L_b', (gating) => {
    // One layer: with two, layer 1's L_b gradient reaches layer 0's gates, and binary
    // gates would pass it on through the straight-through surrogate.
    const config = tinyConfig({ ...moh(gating), layers: 1 });
    const model = tinyModel(config);
    const { ids } = tinyBatch(config.vocabSize);
    const masked = new Int32Array(ids.length).fill(-1);
    const report = checkModelGradients(model, ids, masked, { ...CHECK, atol: 1e-6, rtol: 1e-2, perTensor: 16, skip: (n) => !n.includes('router') });
    expect(report.mismatches).toEqual([]);
    expect(report.checked).toBeGreaterThan(40);
    // L_b is differentiated through P = mean r only, so W_s and W_h get no gradient from it.
    expect(model.grad('layers.0.router.ws').every((g) => g === 0)).toBe(true);
    expect(model.grad('layers.0.router.wh').every((g) => g === 0)).toBe(true);
    expect(model.grad('layers.0.router.wr').some((g) => Math.abs(g) > 1e-4)).toBe(true);
  });
});

describe('the check catches wrong gradients', () => {
  const transpose = (rows: number, cols: number) => (g: Float32Array): void => {
    const copy = g.slice();
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) g[i * cols + j] = copy[j * rows + i];
  };
  const negate = (g: Float32Array): void => {
    for (let i = 0; i < g.length; i++) g[i] = -g[i];
  };
  const wrong: [string, ModelConfigInput, string, (g: Float32Array) => void][] = [
    ['transposed W_q (16 × 16)', {}, 'layers.0.attention.wq', transpose(16, 16)],
    ['transposed W_o', { attention: { outputProjection: true } }, 'layers.1.attention.wo', transpose(16, 16)],
    ['negated CoPE table', {}, 'layers.0.attention.cope', negate],
    ['negated W_k', { attention: { kvHeads: 1 } }, 'layers.1.attention.wk', negate],
    ['negated router W_r', moh('scaled'), 'layers.0.router.wr', negate],
    ['negated router W_h', moh('paper'), 'layers.1.router.wh', negate],
    ['negated norm γ', {}, 'layers.1.norm1.gamma', negate],
    ['negated LayerNorm β', { norm: { kind: 'layernorm' } }, 'layers.0.norm2.beta', negate],
    ['transposed FFN W1 layout', {}, 'layers.0.ffn.w1', transpose(16, 24)],
    ['negated ReLU bias b1', { ffn: { kind: 'relu', hiddenDim: 24 } }, 'layers.0.ffn.b1', negate],
    ['negated tied embedding', { tiedEmbeddings: true }, 'embedding', negate],
    ['negated learned positions', { learnedPositions: true }, 'positions', negate],
    ['transposed LM head layout', {}, 'lmHead', transpose(16, 11)],
    ['negated final norm γ', { blockLayout: 'preNorm' }, 'finalNorm.gamma', negate],
  ];
  it.each(wrong)('%s', (_label, input, tensor, corrupt) => {
    const config = tinyConfig(input);
    const model = tinyModel(config);
    const { ids, targets } = tinyBatch(config.vocabSize);
    const report = checkModelGradients(model, ids, targets, {
      ...CHECK,
      perTensor: 12,
      skip: (n) => n !== tensor,
      corrupt: (n, g) => {
        if (n === tensor) corrupt(g);
      },
    });
    expect(report.mismatches.length).toBeGreaterThan(0);
  });
});
