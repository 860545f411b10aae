/**
 * Spec for the head-router kernels (`headRouteForward`/`Backward`, and
 * `headRouteProjectForward`, which computes the logits first): softmaxes, top-k
 * selection and gates of every row from the transposed logits, and the logits' gradient.
 *
 * Shapes: N rows, hs shared and hr routed heads, H = hs + hr, E = H + 2, k selected.
 * `logitsT (E, N)`; `s (N, hs)`; `r`, `base (N, hr)`; `alpha (N, 2)`; `indices (N, k)`;
 * `gates`, `dGates (N, H)`; `balance (hr)`; `dLogits (N, ld)`; `x (N, d)`; `w (E, d)`.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';
import type { Kernels } from '../kernels.js';
import type { HeadGating } from '../kernels/route.js';

interface Shape {
  readonly rows: number;
  readonly hs: number;
  readonly hr: number;
  readonly k: number;
}

/**
 * Logits whose routed scores lie at least 0.5 apart in every row (a finite-difference
 * step then never changes the selection), in a different order per row, transposed.
 */
function routerLogits({ rows, hs, hr }: Shape, seed: number): Float32Array {
  const E = hs + hr + 2;
  const noise = seededValues(seed, E * rows, 0.2);
  const logitsT = new Float32Array(E * rows);
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < E; j++) {
      const routed = j - hs;
      const spaced = routed >= 0 && routed < hr ? 0.6 * ((routed * 5 + t * 3) % hr) : 0;
      logitsT[j * rows + t] = spaced + noise[j * rows + t];
    }
  }
  return logitsT;
}

interface Routed {
  gates: Float32Array;
  base: Float32Array;
  s: Float32Array;
  r: Float32Array;
  alpha: Float32Array;
  indices: Int32Array;
}

/** Output buffers of one forward, filled with values no forward leaves. */
function outputs({ rows, hs, hr, k }: Shape): Routed {
  return {
    gates: new Float32Array(rows * (hs + hr)).fill(9),
    base: new Float32Array(rows * hr).fill(9),
    s: new Float32Array(rows * hs),
    r: new Float32Array(rows * hr),
    alpha: new Float32Array(rows * 2),
    indices: new Int32Array(rows * k).fill(-1),
  };
}

function forward(be: Kernels, logitsT: Float32Array, gating: HeadGating, shape: Shape): Routed {
  const o = outputs(shape);
  const { rows, hs, hr, k } = shape;
  be.headRouteForward(o.gates, o.base, o.s, o.r, o.alpha, o.indices, logitsT, gating, rows, hs, hr, k);
  return o;
}

/** The same outputs composed from the backend's batched softmax and top-k, the gates in float64 as SPEC §4 states them. */
function composed(be: Kernels, logitsT: Float32Array, gating: HeadGating, { rows, hs, hr, k }: Shape): Routed {
  const H = hs + hr;
  const s = new Float32Array(rows * hs);
  const r = new Float32Array(rows * hr);
  const alpha = new Float32Array(rows * 2);
  for (let t = 0; t < rows; t++) {
    for (let i = 0; i < hs; i++) s[t * hs + i] = logitsT[i * rows + t];
    for (let j = 0; j < hr; j++) r[t * hr + j] = logitsT[(hs + j) * rows + t];
    for (let a = 0; a < 2; a++) alpha[t * 2 + a] = logitsT[(H + a) * rows + t];
  }
  be.softmaxForward(s, s, rows, hs);
  be.softmaxForward(r, r, rows, hr);
  be.softmaxForward(alpha, alpha, rows, 2);
  const indices = new Int32Array(rows * k);
  be.topK(indices, new Float32Array(rows * k), r, k, rows, hr);
  const base = new Float32Array(rows * hr);
  const gates = new Float32Array(rows * H);
  const [ms, mr] = gating === 'scaled' ? [2 * hs, 2 * k] : [1, 1];
  for (let t = 0; t < rows; t++) {
    let mass = 0;
    for (let q = 0; q < k; q++) mass += r[t * hr + indices[t * k + q]];
    for (let q = 0; q < k; q++) {
      const j = t * hr + indices[t * k + q];
      base[j] = gating === 'binary' ? 1 : gating === 'scaled' ? r[j] * (1 / mass) : r[j];
    }
    for (let i = 0; i < hs; i++) gates[t * H + i] = gating === 'binary' ? 1 : ms * alpha[2 * t] * s[t * hs + i];
    for (let j = 0; j < hr; j++) gates[t * H + hs + j] = gating === 'binary' ? base[t * hr + j] : mr * alpha[2 * t + 1] * base[t * hr + j];
  }
  return { gates, base, s, r, alpha, indices };
}

const SHAPES: readonly Shape[] = [
  { rows: 13, hs: 2, hr: 6, k: 4 }, // the seed's router: three four-row groups and a tail row
  { rows: 1, hs: 2, hr: 6, k: 4 }, // a decode step
  { rows: 8, hs: 0, hr: 5, k: 2 }, // no shared heads (a plain top-k router)
  { rows: 6, hs: 3, hr: 9, k: 3 }, // five-column softmax tails and wider rows
];
const GATINGS: readonly HeadGating[] = ['paper', 'scaled', 'binary'];

describe.each(availableBackends().map((b) => [b.label, b] as const))('head route (%s)', (_, be) => {
  for (const shape of SHAPES) {
    const { rows, hs, hr, k } = shape;
    const H = hs + hr;
    const E = H + 2;
    const tag = `N=${rows} hs=${hs} hr=${hr} k=${k}`;
    const logitsT = routerLogits(shape, 7 + rows);

    for (const gating of GATINGS) {
      it(`forward has the bits of the composed kernels (${gating}, ${tag})`, () => {
        const got = forward(be, logitsT, gating, shape);
        const want = composed(be, logitsT, gating, shape);
        for (const key of ['gates', 'base', 's', 'r', 'alpha', 'indices'] as const) {
          expect(Array.from(got[key]), key).toEqual(Array.from(want[key]));
        }
      });
    }

    it(`projected forward has the bits of the backend's matmulNT and forward (${tag})`, () => {
      const d = 37; // an odd width: the one-row product's tail
      const x = seededValues(50 + rows, rows * d);
      const w = seededValues(60 + rows, E * d, 0.5);
      const wantLogitsT = new Float32Array(E * rows);
      be.matmulNT(wantLogitsT, w, x, E, d, rows);
      for (const gating of GATINGS) {
        const want = forward(be, wantLogitsT, gating, shape);
        const got = outputs(shape);
        const gotLogitsT = new Float32Array(E * rows).fill(9);
        be.headRouteProjectForward(got.gates, got.base, got.s, got.r, got.alpha, got.indices, gotLogitsT, x, w, gating, rows, d, hs, hr, k);
        expect(Array.from(gotLogitsT), 'logitsT').toEqual(Array.from(wantLogitsT));
        for (const key of ['gates', 'base', 's', 'r', 'alpha', 'indices'] as const) {
          expect(Array.from(got[key]), `${gating} ${key}`).toEqual(Array.from(want[key]));
        }
      }
    });

    for (const place of ['ordinary arrays', 'backend storage'] as const) {
      it(`prepared projected forward: the plain call's bits on the arrays' contents at each call (${place}, ${tag})`, () => {
        const d = 37;
        const storage: { free(): void }[] = [];
        const floats = (n: number): Float32Array => {
          if (place === 'ordinary arrays') return new Float32Array(n);
          const st = be.allocFloat32(n);
          storage.push(st);
          return st.data;
        };
        const got: Routed = {
          gates: floats(rows * H), base: floats(rows * hr), s: floats(rows * hs), r: floats(rows * hr), alpha: floats(rows * 2),
          indices: place === 'ordinary arrays' ? new Int32Array(rows * k) : (() => { const st = be.allocInt32(rows * k); storage.push(st); return st.data; })(),
        };
        const x = floats(rows * d);
        const w = floats(E * d);
        const logitsT = floats(E * rows);
        const call = be.prepareHeadRouteProjectForward(got.gates, got.base, got.s, got.r, got.alpha, got.indices, logitsT, x, w, 'scaled', rows, d, hs, hr, k);
        // Each pass writes new inputs into the same arrays: the call must read them then.
        for (let pass = 0; pass < 3; pass++) {
          x.set(seededValues(70 + pass, rows * d));
          w.set(seededValues(80 + pass, E * d, 0.5));
          const want = outputs(shape);
          const wantLogitsT = new Float32Array(E * rows);
          be.headRouteProjectForward(want.gates, want.base, want.s, want.r, want.alpha, want.indices, wantLogitsT, x, w, 'scaled', rows, d, hs, hr, k);
          call();
          expect(Array.from(logitsT), `pass ${pass} logitsT`).toEqual(Array.from(wantLogitsT));
          for (const key of ['gates', 'base', 's', 'r', 'alpha', 'indices'] as const) {
            expect(Array.from(got[key]), `pass ${pass} ${key}`).toEqual(Array.from(want[key]));
          }
        }
        for (const st of storage) st.free();
      });
    }

    it(`forward's probabilities sum to 1 and the selection is the k largest (${tag})`, () => {
      const { s, r, alpha, indices, gates } = forward(be, logitsT, 'scaled', shape);
      for (let t = 0; t < rows; t++) {
        if (hs > 0) expectClose(s.subarray(t * hs, (t + 1) * hs).reduce((a, b) => a + b, 0), 1, { atol: 1e-6, rtol: 0 });
        expectClose(r.subarray(t * hr, (t + 1) * hr).reduce((a, b) => a + b, 0), 1, { atol: 1e-6, rtol: 0 });
        expectClose(alpha[2 * t] + alpha[2 * t + 1], 1, { atol: 1e-6, rtol: 0 });
        const chosen = Array.from(indices.subarray(t * k, (t + 1) * k));
        const ranked = Array.from(r.subarray(t * hr, (t + 1) * hr)).map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]);
        expect(chosen).toEqual(ranked.slice(0, k).map(([, j]) => j));
        // Scaled gates of the selected routed heads sum to 2·k·α2.
        const routedSum = chosen.reduce((sum, j) => sum + gates[t * H + hs + j], 0);
        expectClose(routedSum, 2 * k * alpha[2 * t + 1], { atol: 1e-5, rtol: 1e-5 });
      }
    });

    const balance = Float64Array.from({ length: hr }, (_, j) => 0.05 * (j + 1));
    const dGates = seededValues(3 + rows, rows * H);
    const ld = E + 3;

    for (const gating of ['paper', 'scaled'] as const) {
      it(`backward passes a finite-difference check, balance term included (${gating}, ${tag})`, () => {
        const fwd = forward(be, logitsT, gating, shape);
        const dLogits = new Float32Array(rows * ld).fill(5);
        be.headRouteBackward(dLogits, dGates, fwd.s, fwd.r, fwd.alpha, fwd.base, fwd.indices, balance, gating, rows, hs, hr, k, ld);
        const dLogitsT = new Float32Array(E * rows);
        for (let t = 0; t < rows; t++) {
          for (let j = 0; j < E; j++) dLogitsT[j * rows + t] = dLogits[t * ld + j];
          for (let j = E; j < ld; j++) expect(dLogits[t * ld + j]).toBe(0);
        }
        const loss = ({ logitsT: l }: Record<string, Float32Array>): number => {
          const o = forward(be, l, gating, shape);
          let term = dot(dGates, o.gates);
          for (let t = 0; t < rows; t++) for (let j = 0; j < hr; j++) term += balance[j] * o.r[t * hr + j];
          return term;
        };
        gradcheck(loss, { logitsT: logitsT.slice() }, { logitsT: dLogitsT }, { ...FLOAT32_GRADCHECK, label: `headRoute ${gating} ${tag}` });
      });
    }

    it(`binary backward is straight-through: r's softmax backward of the selected gates' gradient (${tag})`, () => {
      const fwd = forward(be, logitsT, 'binary', shape);
      const dLogits = new Float32Array(rows * ld).fill(5);
      be.headRouteBackward(dLogits, dGates, fwd.s, fwd.r, fwd.alpha, fwd.base, fwd.indices, null, 'binary', rows, hs, hr, k, ld);
      for (let t = 0; t < rows; t++) {
        const dR = new Float64Array(hr);
        for (let q = 0; q < k; q++) dR[fwd.indices[t * k + q]] = dGates[t * H + hs + fwd.indices[t * k + q]];
        let inner = 0;
        for (let j = 0; j < hr; j++) inner += fwd.r[t * hr + j] * dR[j];
        for (let i = 0; i < hs; i++) expect(dLogits[t * ld + i]).toBe(0);
        for (let j = 0; j < hr; j++) expectClose(dLogits[t * ld + hs + j], fwd.r[t * hr + j] * (dR[j] - inner), { atol: 1e-6, rtol: 1e-5 });
        expect([dLogits[t * ld + H], dLogits[t * ld + H + 1]]).toEqual([0, 0]);
      }
    });
  }

  it('hand-checked values catch transposed logits and a swapped head', () => {
    // Two rows, one shared and two routed heads, k = 1, paper gates. Row 0 routes to head 1
    // (r = [¼, ¾]), row 1 to head 0; α = [½, ½] in both: gates 0.5·s and 0.5·r.
    const l3 = Math.log(3);
    const logitsT = new Float32Array([5, -5, 0, l3, l3, 0, 0, 0, 0, 0]);
    const o = forward(be, logitsT, 'paper', { rows: 2, hs: 1, hr: 2, k: 1 });
    expect(Array.from(o.indices)).toEqual([1, 0]);
    expectClose(o.gates, new Float32Array([0.5, 0, 0.375, 0.5, 0.375, 0]), { atol: 1e-7, rtol: 1e-6 });
    expectClose(o.base, new Float32Array([0, 0.75, 0.75, 0]), { atol: 1e-7, rtol: 1e-6 });
    // The routed gate's gradient −1 on row 0's head 1: ∂/∂(r logits) = α2·(−1)·r1·([0, 1] − r) = 0.5·−0.75·[−0.25, 0.25].
    const dLogits = new Float32Array(2 * 5);
    const dGates = new Float32Array([0, 0, -1, 0, 0, 0]);
    be.headRouteBackward(dLogits, dGates, o.s, o.r, o.alpha, o.base, o.indices, null, 'paper', 2, 1, 2, 1, 5);
    expectClose(dLogits.subarray(0, 5), new Float32Array([0, 0.09375, -0.09375, 0.1875, -0.1875]), { atol: 1e-7, rtol: 1e-6 });
    expectClose(dLogits.subarray(5), new Float32Array(5), { atol: 0, rtol: 0 });
  });

  it('rejects k outside 1..hr, short arrays, a selected head out of range, a short row stride and an unknown gating', () => {
    const shape = { rows: 2, hs: 1, hr: 3, k: 2 };
    const logitsT = routerLogits(shape, 1);
    const o = forward(be, logitsT, 'scaled', shape);
    const run = (k: number, lt = logitsT) => be.headRouteForward(o.gates, o.base, o.s, o.r, o.alpha, o.indices, lt, 'scaled', 2, 1, 3, k);
    expect(() => run(4)).toThrow(RangeError);
    expect(() => run(0)).toThrow(RangeError);
    expect(() => run(2, logitsT.subarray(1))).toThrow(/logitsT/);
    const dG = new Float32Array(2 * 4);
    const back = (indices: Int32Array, ld: number, gating: HeadGating = 'scaled') =>
      be.headRouteBackward(new Float32Array(2 * ld), dG, o.s, o.r, o.alpha, o.base, indices, null, gating, 2, 1, 3, 2, ld);
    expect(() => back(new Int32Array([0, 3, 1, 2]), 6)).toThrow(/outside/);
    expect(() => back(o.indices, 5)).toThrow(/stride/);
    expect(() => back(o.indices, 6, 'sharp' as HeadGating)).toThrow(/gating/);
    const d = 4; // E = 6
    const project = (x: Float32Array, w: Float32Array, lt = new Float32Array(6 * 2)) =>
      be.headRouteProjectForward(o.gates, o.base, o.s, o.r, o.alpha, o.indices, lt, x, w, 'scaled', 2, d, 1, 3, 2);
    expect(() => project(new Float32Array(2 * d), new Float32Array(6 * d))).not.toThrow();
    expect(() => project(new Float32Array(2 * d - 1), new Float32Array(6 * d))).toThrow(/x has/);
    expect(() => project(new Float32Array(2 * d), new Float32Array(6 * d - 1))).toThrow(/w has/);
    expect(() => project(new Float32Array(2 * d), new Float32Array(6 * d), new Float32Array(11))).toThrow(/logitsT/);
    // A prepared call is checked when it is prepared.
    const prepare = (x: Float32Array) => be.prepareHeadRouteProjectForward(o.gates, o.base, o.s, o.r, o.alpha, o.indices, new Float32Array(12), x, new Float32Array(6 * d), 'scaled', 2, d, 1, 3, 2);
    expect(() => prepare(new Float32Array(2 * d))).not.toThrow();
    expect(() => prepare(new Float32Array(2 * d - 1))).toThrow(/x has/);
  });
});
