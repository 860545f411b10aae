import { expectClose, seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import type { Gating, HeadSelection } from './config.js';
import { Workspace } from '@moh/tensor';
import { HeadRouter } from './head-router.js';
import type { RouterParams } from './params.js';
import { testBackends } from './__tests__/backends.js';
import { d, H, hr, hs, k, N, probabilitiesOf, routerCase } from './__tests__/cases.js';
import { referenceGates, referenceTopK } from './__tests__/reference.js';

const GATINGS: Gating[] = ['paper', 'scaled', 'binary'];
const FORWARD = { atol: 1e-6, rtol: 1e-5 };

function zeroParams(hsN: number, hrN: number, dim: number) {
  return { ws: new Float32Array(hsN * dim), wr: new Float32Array(hrN * dim), wh: new Float32Array(2 * dim) };
}

describe.each(testBackends)('HeadRouter forward (%s)', (_, kernels) => {
  it.each(GATINGS)('%s gates match a float64 reading of the SPEC table', (gating) => {
    const { router, x, params } = routerCase(kernels, gating, 100);
    const routing = router.route(x, N);
    const expected = referenceGates(x, params.ws, params.wr, params.wh, gating, N, d, hs, hr, k);
    expectClose(routing.gates, expected, FORWARD, `${gating} gates`);
  });

  it('binary forward gates are exactly 1 on active heads and 0 elsewhere', () => {
    const { router, x } = routerCase(kernels, 'binary', 200);
    const routing = router.route(x, N);
    const { selected } = probabilitiesOf(router);
    for (let t = 0; t < N; t++) {
      for (let h = 0; h < H; h++) {
        const active = h < hs || Array.from(selected.subarray(t * k, t * k + k)).includes(h - hs);
        expect(routing.gates[t * H + h]).toBe(active ? 1 : 0);
      }
    }
  });

  it('activeRows are ascending and exactly the shared or selected pairs; gates are 0 elsewhere', () => {
    const rows = 24;
    const selection: HeadSelection = { kind: 'mixtureOfHeads', sharedHeads: hs, activeRoutedHeads: k, loadBalanceWeight: 0.01, gating: 'paper' };
    const params = { ws: seededValues(1, hs * d), wr: seededValues(2, hr * d, 2), wh: seededValues(3, 2 * d) };
    const router = new HeadRouter(selection, d, H, kernels, params);
    const x = seededValues(4, rows * d);
    const routing = router.route(x, rows);
    const probs = probabilitiesOf(router);
    expect(routing.activeRows.length).toBe(H);
    for (let h = 0; h < H; h++) {
      const list = Array.from(routing.activeRows[h]);
      for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]);
      for (let t = 0; t < rows; t++) {
        const r = Array.from(probs.routed.subarray(t * hr, t * hr + hr));
        const active = h < hs || referenceTopK(r, k).includes(h - hs);
        expect(list.includes(t)).toBe(active);
        // Softmax outputs are positive, so an active gate is nonzero; an inactive one is exactly 0.
        if (active) expect(routing.gates[t * H + h]).toBeGreaterThan(0);
        else expect(routing.gates[t * H + h]).toBe(0);
      }
    }
    expect(routing.activeRows.slice(hs).reduce((s, l) => s + l.length, 0)).toBe(rows * k);
  });

  it('uniform (zero-weight) scaled routing gives every active head gate 1 and ties go to the lower heads', () => {
    const selection: HeadSelection = { kind: 'mixtureOfHeads', sharedHeads: hs, activeRoutedHeads: k, loadBalanceWeight: 0.01, gating: 'scaled' };
    const router = new HeadRouter(selection, d, H, kernels, zeroParams(hs, hr, d));
    const routing = router.route(seededValues(5, 3 * d), 3);
    // Active: the hs shared heads and routed heads 0..k−1 (all routed probabilities tie).
    const row = Array.from({ length: H }, (_, h) => (h < hs + k ? 1 : 0));
    expectClose(routing.gates, [...row, ...row, ...row], FORWARD, 'uniform gates');
    expect(routing.activeRows.map((l) => l.length)).toEqual(row.map((v) => 3 * v));
    const lowest = Array.from({ length: k }, (_, q) => q);
    expect(Array.from(probabilitiesOf(router).selected)).toEqual([...lowest, ...lowest, ...lowest]);
  });

  it('reports stats: shared load 1, routed loads summing to k, L_b / k, entropy within [0, ln hr]', () => {
    const { router, x } = routerCase(kernels, 'scaled', 300);
    const routing = router.route(x, N);
    const stats = router.stats();
    const tol = { atol: 1e-9, rtol: 1e-9 };
    expectClose(stats.load.subarray(0, hs), [1, 1], tol, 'shared load');
    expectClose(stats.load.subarray(hs).reduce((a, b) => a + b, 0), k, tol, 'routed load');
    expectClose(stats.balanceRatio, stats.balanceLoss / k, tol, 'L_b / k');
    expectClose(stats.balanceLoss, router.balanceLoss, tol, 'L_b');
    for (let h = 0; h < H; h++) {
      let sum = 0;
      for (let t = 0; t < N; t++) sum += routing.gates[t * H + h];
      expectClose(stats.meanGate[h], sum / N, { atol: 1e-7, rtol: 1e-6 }, `meanGate ${h}`);
    }
    expect(stats.entropy).toBeGreaterThan(0);
    expect(stats.entropy).toBeLessThanOrEqual(Math.log(hr) + 1e-6);
  });

  it('weights back to back in one buffer: read in place, same bits as separate arrays, changes seen', () => {
    const { router, x, params } = routerCase(kernels, 'scaled', 450);
    const flat = new Float32Array((hs + hr + 2) * d);
    const views = { ws: flat.subarray(0, hs * d), wr: flat.subarray(hs * d, (hs + hr) * d), wh: flat.subarray((hs + hr) * d) };
    views.ws.set(params.ws);
    views.wr.set(params.wr);
    views.wh.set(params.wh);
    const selection = router.selection;
    const inPlace = new HeadRouter(selection, d, H, kernels, views);
    for (let pass = 0; pass < 2; pass++) {
      const a = Float32Array.from(router.route(x, N).gates);
      expect(Array.from(inPlace.route(x, N).gates)).toEqual(Array.from(a));
      // The weights change in place between calls (an optimizer step): both follow.
      for (const w of [params.wr, views.wr]) for (let i = 0; i < w.length; i++) w[i] *= -1.5;
    }
    // A view re-taken over a new buffer (memory growth) is used from then on.
    const moved = new Float32Array(flat);
    const movedViews = { ws: moved.subarray(0, hs * d), wr: moved.subarray(hs * d, (hs + hr) * d), wh: moved.subarray((hs + hr) * d) };
    let current = views;
    const follows = new HeadRouter(selection, d, H, kernels, { get ws() { return current.ws; }, get wr() { return current.wr; }, get wh() { return current.wh; } });
    follows.route(x, N);
    current = movedViews;
    flat.fill(0);
    expect(Array.from(follows.route(x, N).gates)).toEqual(Array.from(router.route(x, N).gates));
  });

  it('one row: every active head runs on row 0, the others on none', () => {
    const { router, x } = routerCase(kernels, 'paper', 460);
    for (let t = 0; t < N; t++) {
      const routing = router.route(x.subarray(t * d), 1);
      const selected = Array.from(probabilitiesOf(router).selected);
      for (let h = 0; h < H; h++) {
        const active = h < hs || selected.includes(h - hs);
        expect(Array.from(routing.activeRows[h])).toEqual(active ? [0] : []);
        expect(routing.gates[h] > 0).toBe(active);
      }
    }
  });

  it('in backend memory, one row per call (a decode step): each call routes what its buffers hold then', () => {
    const { router: plain, x, params } = routerCase(kernels, 'scaled', 470);
    const workspace = new Workspace(kernels);
    const stacked = (): RouterParams => {
      const flat = workspace.float32((hs + hr + 2) * d);
      return { ws: flat.subarray(0, hs * d), wr: flat.subarray(hs * d, (hs + hr) * d), wh: flat.subarray((hs + hr) * d) };
    };
    let current = stacked();
    for (const key of ['ws', 'wr', 'wh'] as const) current[key].set(params[key]);
    const views = { get ws() { return current.ws; }, get wr() { return current.wr; }, get wh() { return current.wh; } };
    const router = new HeadRouter(plain.selection, d, H, kernels, views, undefined, workspace);
    const input = workspace.float32(d);
    const other = workspace.float32(d);
    for (let t = 0; t < N; t++) {
      // Mostly the same input buffer with new contents; now and then another buffer.
      const into = t % 4 === 3 ? other : input;
      into.set(x.subarray(t * d, (t + 1) * d));
      if (t === 2) {
        // The weights change in place (an optimizer step)…
        for (const w of [params.wr, current.wr]) for (let i = 0; i < w.length; i++) w[i] *= -1.5;
      }
      if (t === 5) {
        // …or move (views re-taken over other memory), the old place overwritten.
        const moved = stacked();
        for (const key of ['ws', 'wr', 'wh'] as const) moved[key].set(current[key]);
        for (const key of ['ws', 'wr', 'wh'] as const) current[key].fill(0);
        current = moved;
      }
      const got = router.route(into, 1, true);
      const want = plain.route(x.subarray(t * d), 1);
      expect(Array.from(got.gates), `row ${t} gates`).toEqual(Array.from(want.gates));
      for (let h = 0; h < H; h++) expect(Array.from(got.activeRows[h]), `row ${t} head ${h}`).toEqual(Array.from(want.activeRows[h]));
    }
  });

  it('routes a different number of rows per call and copies x', () => {
    const { router, x } = routerCase(kernels, 'paper', 400);
    const first = router.route(x, N);
    const saved = Float32Array.from(first.gates);
    const one = router.route(x.subarray(0, d), 1);
    expect(one.rows).toBe(1);
    expectClose(one.gates, saved.subarray(0, H), FORWARD, 'row 0 alone');
    expect(Array.from(first.gates)).toEqual(Array.from(saved)); // earlier routing untouched
  });
});

describe.each(testBackends)('HeadRouter hand-computed gradients (%s)', (_, kernels) => {
  // x = [1, 2, 3]; wr scores ln 3 and 0, so r = [3/4, 1/4] and head 0 is chosen; wh = 0, so α = [½, ½].
  const x = new Float32Array([1, 2, 3]);
  const setup = (gating: Gating, shared: number) => {
    const params = zeroParams(shared, 2, 3);
    params.wr[0] = Math.log(3);
    const grads = zeroParams(shared, 2, 3);
    const selection: HeadSelection = { kind: 'mixtureOfHeads', sharedHeads: shared, activeRoutedHeads: 1, loadBalanceWeight: 0.01, gating };
    return { router: new HeadRouter(selection, 3, shared + 2, kernels, params, grads), grads };
  };
  const TOL = { atol: 1e-6, rtol: 1e-5 };

  it('paper: dGates = [1, 0] gives known dWr, dWh, dX (catches transposes and signs)', () => {
    const { router, grads } = setup('paper', 0);
    expectClose(router.route(x, 1).gates, [0.375, 0], TOL, 'gates');
    const dX = router.backward(new Float32Array([1, 0]), 0);
    // dr = [α2, 0] = [½, 0] → dz_r = r ⊙ (dr − r·dr) = [3/32, −3/32]; dα = [0, r0] → dz_α = [−3/16, 3/16].
    expectClose(grads.wr, [0.09375, 0.1875, 0.28125, -0.09375, -0.1875, -0.28125], TOL, 'dWr');
    expectClose(grads.wh, [-0.1875, -0.375, -0.5625, 0.1875, 0.375, 0.5625], TOL, 'dWh');
    expectClose(dX, [0.09375 * Math.log(3), 0, 0], TOL, 'dX');
  });

  it('load balance alone: L_b = 1.5 and known dWr', () => {
    const { router, grads } = setup('paper', 0);
    router.route(x, 1);
    expectClose(router.balanceLoss, 1.5, TOL, 'L_b'); // hr · f0 · P0 = 2 · 1 · ¾
    router.backward(new Float32Array(2), 1);
    // ∂L_b/∂r = hr · f / N = [2, 0] → dz = [¾(2 − 1.5), ¼(0 − 1.5)] = [0.375, −0.375].
    expectClose(grads.wr, [0.375, 0.75, 1.125, -0.375, -0.75, -1.125], TOL, 'dWr');
    expect(Array.from(grads.wh)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('scaled, one shared head: gates [1, 1, 0] and dWh from the shared gate', () => {
    const { router, grads } = setup('scaled', 1);
    expectClose(router.route(x, 1).gates, [1, 1, 0], TOL, 'gates');
    router.backward(new Float32Array([1, 0, 0]), 0);
    // shared gate 2·α1·hs·s with s ≡ 1: dα = [2, 0] → dz_α = [½(2 − 1), ½(0 − 1)] = [½, −½].
    expectClose(grads.wh, [0.5, 1, 1.5, -0.5, -1, -1.5], TOL, 'dWh');
    // One shared head: s ≡ 1, and k = 1: r_j / Σ r = 1; neither has a gradient.
    expectClose(grads.ws, [0, 0, 0], TOL, 'dWs');
    expectClose(grads.wr, [0, 0, 0, 0, 0, 0], TOL, 'dWr');
  });
});
