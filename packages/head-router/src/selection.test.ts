import { describe, expect, it } from 'vitest';
import type { HeadSelection } from './config.js';
import { HeadRouter } from './head-router.js';
import { testBackends } from './__tests__/backends.js';

const moh = (sharedHeads: number, activeRoutedHeads: number): HeadSelection => ({
  kind: 'mixtureOfHeads',
  sharedHeads,
  activeRoutedHeads,
  loadBalanceWeight: 0.01,
  gating: 'scaled',
});

describe.each(testBackends)('parameter-free routers (%s)', (_, kernels) => {
  it('allHeads: every head on every row with gate 1; dX is zero', () => {
    const router = new HeadRouter({ kind: 'allHeads' }, 3, 4, kernels);
    const routing = router.route(new Float32Array(5 * 3).fill(2), 5);
    expect(routing.heads).toBe(4);
    expect(routing.rows).toBe(5);
    expect(Array.from(routing.gates)).toEqual(new Array(20).fill(1));
    for (const rows of routing.activeRows) expect(Array.from(rows)).toEqual([0, 1, 2, 3, 4]);
    const dX = router.backward(new Float32Array(20).fill(1), 1);
    expect(Array.from(dX)).toEqual(new Array(15).fill(0));
    expect(router.balanceLoss).toBe(0);
    expect(router.probabilities).toBeNull();
    expect(Array.from(router.stats().load)).toEqual([1, 1, 1, 1]);
  });

  it('staticPruning: heads 0..K−1 with gate 1, the others never listed', () => {
    const router = new HeadRouter({ kind: 'staticPruning', activeHeads: 2 }, 3, 5, kernels);
    const routing = router.route(new Float32Array(3 * 3), 3);
    expect(Array.from(routing.gates)).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
    expect(routing.activeRows.map((r) => Array.from(r))).toEqual([[0, 1, 2], [0, 1, 2], [], [], []]);
    const stats = router.stats();
    expect(Array.from(stats.meanGate)).toEqual([1, 1, 0, 0, 0]);
    expect(stats.balanceLoss).toBe(0);
    expect(Array.from(router.backward(new Float32Array(15), 0))).toEqual(new Array(9).fill(0));
  });
});

describe('selection and parameter validation', () => {
  const [, kernels] = testBackends[0];
  const params = (hs: number, hr: number, d: number) => ({
    ws: new Float32Array(hs * d),
    wr: new Float32Array(hr * d),
    wh: new Float32Array(2 * d),
  });

  it('rejects selections that do not fit the heads, naming the field', () => {
    expect(() => new HeadRouter({ kind: 'staticPruning', activeHeads: 0 }, 4, 4, kernels)).toThrow(/staticPruning.activeHeads/);
    expect(() => new HeadRouter({ kind: 'staticPruning', activeHeads: 5 }, 4, 4, kernels)).toThrow(/staticPruning.activeHeads/);
    expect(() => new HeadRouter(moh(4, 1), 4, 4, kernels, params(4, 0, 4))).toThrow(/sharedHeads/);
    expect(() => new HeadRouter(moh(2, 3), 4, 4, kernels, params(2, 2, 4))).toThrow(/activeRoutedHeads/);
    expect(() => new HeadRouter(moh(2, 0), 4, 4, kernels, params(2, 2, 4))).toThrow(/activeRoutedHeads/);
  });

  it('rejects missing, misshapen or unexpected parameter views', () => {
    expect(() => new HeadRouter(moh(1, 2), 4, 4, kernels)).toThrow(/needs its parameter views/);
    expect(() => new HeadRouter(moh(1, 2), 4, 4, kernels, params(1, 2, 4))).toThrow(/params.wr must hold 12/);
    expect(() => new HeadRouter(moh(1, 2), 4, 4, kernels, params(1, 3, 4), params(1, 3, 3))).toThrow(/grads.ws must hold 4/);
    expect(() => new HeadRouter({ kind: 'allHeads' }, 4, 4, kernels, params(1, 3, 4))).toThrow(/no parameters/);
  });

  it('refuses backward before route and a short dGates', () => {
    const router = new HeadRouter(moh(1, 2), 4, 4, kernels, params(1, 3, 4), params(1, 3, 4));
    expect(() => router.backward(new Float32Array(8), 0)).toThrow(/before route/);
    router.route(new Float32Array(8), 2);
    expect(() => router.backward(new Float32Array(7), 0)).toThrow(/rows·H = 8/);
  });
});
