/** The window in force: each strategy, the entropy running average, and forward/backward agreement. */
import { referenceBackend } from '@moh/tensor';
import { seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { Attention } from '../attention.js';
import { windowInForce } from '../window.js';
import { allActive, makeParams, tinyConfig } from './fixtures.js';

const entropyWindow = { kind: 'attentionEntropy', min: 2, max: 6, momentum: 0.25 } as const;

describe('windowInForce', () => {
  it('fixed uses w, null means no window', () => {
    expect(windowInForce(tinyConfig({ window: 3 }), 50, 0.1)).toBe(3);
    expect(windowInForce(tinyConfig(), 50, 0.1)).toBeNull();
  });

  it('sequenceLength is clamp(⌊T/2⌋, min, max)', () => {
    const config = tinyConfig({ window: 3, adaptiveWindow: { kind: 'sequenceLength', min: 2, max: 6 } });
    expect([2, 5, 9, 13, 40].map((T) => windowInForce(config, T, 1))).toEqual([2, 2, 4, 6, 6]);
  });

  it('attentionEntropy is round(min + (max − min)·Ĥ)', () => {
    const config = tinyConfig({ window: 3, adaptiveWindow: entropyWindow });
    expect([0, 0.3, 0.4, 1].map((h) => windowInForce(config, 7, h))).toEqual([2, 3, 4, 6]);
  });
});

describe('attentionEntropy running average', () => {
  it('starts at 1 (max window), tracks mean normalised entropy with momentum, and the next pass uses it', () => {
    const config = tinyConfig({ window: 3, adaptiveWindow: entropyWindow });
    const { params, grads } = makeParams(config, 2);
    const layer = new Attention(config, params, grads, referenceBackend());
    expect(layer.entropyAverage).toBe(1);
    // Zero queries: every score 0, every row uniform, normalised entropy exactly 1.
    params.wq.fill(0);
    layer.forward(seededValues(1, 14 * 16), 2, 7, allActive(14, 4));
    expect(layer.windowInForce).toBe(6);
    expect(layer.lastMeanEntropy).toBeCloseTo(1, 6);
    expect(layer.entropyAverage).toBeCloseTo(1, 6);
    // Sharp queries: low entropy, and Ĥ moves a quarter of the way towards it.
    params.wq.set(seededValues(3, params.wq.length, 8));
    layer.forward(seededValues(1, 14 * 16), 2, 7, allActive(14, 4));
    const mean = layer.lastMeanEntropy ?? NaN;
    expect(mean).toBeLessThan(0.6);
    expect(layer.entropyAverage).toBeCloseTo(0.75 + 0.25 * mean, 6);
    layer.forward(seededValues(1, 14 * 16), 2, 7, allActive(14, 4));
    expect(layer.windowInForce).toBe(Math.round(2 + 4 * (0.75 + 0.25 * mean)));
  });

  it('the backward uses the window of its forward, whatever Ĥ became', () => {
    const config = tinyConfig({ window: 3, adaptiveWindow: entropyWindow });
    const x = seededValues(1, 14 * 16);
    const dY = seededValues(4, 14 * 16);
    const run = (meddle: boolean): Float32Array => {
      const { params, grads } = makeParams(config, 2);
      const layer = new Attention(config, params, grads, referenceBackend());
      layer.forward(x, 2, 7, allActive(14, 4));
      if (meddle) layer.entropyAverage = 0;
      return Float32Array.from(layer.backward(dY).dX);
    };
    expect(run(true)).toEqual(run(false));
  });
});
