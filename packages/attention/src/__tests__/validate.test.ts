/** Invalid configs and parameters are rejected with a message naming the field and the rule. */
import { referenceBackend } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import { Attention } from '../attention.js';
import { validateAttentionConfig } from '../validate.js';
import { allActive, makeParams, tinyConfig } from './fixtures.js';

describe('validation', () => {
  it.each([
    ['kvHeads not dividing', tinyConfig({ kvHeads: 3 }), /kvHeads must divide queryHeads/],
    ['H·D ≠ d without W_o', tinyConfig({ headDim: 3 }), /headDim times queryHeads/],
    ['odd D with RoPE', tinyConfig({ headDim: 3, outputProjection: true, position: { kind: 'rope', base: 10000 } }), /even with RoPE/],
    ['window 0', tinyConfig({ window: 0 }), /window must be a positive integer/],
    ['adaptive without window', tinyConfig({ adaptiveWindow: { kind: 'sequenceLength', min: 2, max: 4 } }), /needs a window/],
    ['min above max', tinyConfig({ window: 4, adaptiveWindow: { kind: 'sequenceLength', min: 5, max: 4 } }), /adaptiveWindow.min/],
    ['momentum 0', tinyConfig({ window: 4, adaptiveWindow: { kind: 'attentionEntropy', min: 2, max: 4, momentum: 0 } }), /momentum/],
    ['P = 0', tinyConfig({ position: { kind: 'cope', maxPositions: 0 } }), /maxPositions/],
  ])('%s', (_label, config, message) => {
    expect(() => validateAttentionConfig(config)).toThrow(message);
  });

  it('rejects missing or mis-sized parameters and bad routings', () => {
    const config = tinyConfig({ position: { kind: 'cope', maxPositions: 4 } });
    const { params, grads } = makeParams(config, 1);
    expect(() => new Attention(config, { ...params, cope: undefined }, grads, referenceBackend())).toThrow(/params.cope: required/);
    expect(() => new Attention(config, { ...params, wq: new Float32Array(3) }, grads, referenceBackend())).toThrow(/params.wq: must have 256/);
    const layer = new Attention(config, params, grads, referenceBackend());
    expect(() => layer.forward(new Float32Array(14 * 16), 2, 7, allActive(13, 4))).toThrow(/routing.rows must be 14/);
    const bad = allActive(14, 4);
    expect(() => layer.forward(new Float32Array(14 * 16), 2, 7, { ...bad, activeRows: [bad.activeRows[0], new Int32Array([3, 2]), bad.activeRows[0], bad.activeRows[0]] })).toThrow(/ascending/);
    expect(() => layer.backward(new Float32Array(3))).toThrow(/call forward first/);
  });
});
