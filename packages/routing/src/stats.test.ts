import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { gatesForward } from './gates.js';
import { routingStats } from './stats.js';

describe('routingStats', () => {
  it('gives hand-computed load, mean gates, L_b, L_b/k and entropy', () => {
    // E = 3, k = 1; rows select expert 0 and expert 1.
    const probs = new Float32Array([0.5, 0.25, 0.25, 0.25, 0.5, 0.25]);
    const indices = new Int32Array([0, 1]);
    const gates = new Float32Array(6);
    gatesForward(gates, probs, indices, 'probability', 2, 3, 1);
    const stats = routingStats(probs, gates, indices, 2, 3, 1);
    const tol = { atol: 1e-7, rtol: 1e-6 };
    expectClose(stats.load, [0.5, 0.5, 0], tol, 'load');
    expectClose(stats.meanGate, [0.25, 0.25, 0], tol, 'meanGate');
    // P = [0.375, 0.375, 0.25]; L_b = 3 · (0.5 · 0.375 + 0.5 · 0.375) = 1.125.
    expectClose(stats.balanceLoss, 1.125, tol, 'L_b');
    expectClose(stats.balanceRatio, 1.125, tol, 'L_b / k');
    // Each row: −(0.5 ln 0.5 + 2 · 0.25 ln 0.25) = 1.5 ln 2.
    expectClose(stats.entropy, 1.5 * Math.LN2, tol, 'entropy');
  });

  it('reports NaN ratio and entropy for an empty batch', () => {
    const stats = routingStats(new Float32Array(0), new Float32Array(0), new Int32Array(0), 0, 2, 1);
    expect(stats.balanceLoss).toBe(0);
    expect(Number.isNaN(stats.balanceRatio)).toBe(true);
    expect(Number.isNaN(stats.entropy)).toBe(true);
  });
});
