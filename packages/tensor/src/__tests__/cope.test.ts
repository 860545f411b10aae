/**
 * Spec for the CoPE kernels (contextual position encoding, SPEC §3): gates, the
 * interpolated position bias and its backward over banded score rows.
 * Shapes: `x`, `scores` `(rows, cols)`; `lo`, `hi` `(rows)`; `z (Σ L)` packed band after
 * band; `qe (rows, width)`.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };

interface Cope64 {
  z: Float64Array;
  /** Whether each packed gate is read: the sum of the keys after it is below `P − 1`. */
  used: boolean[];
  width: number;
  scores: Float64Array;
  dx: Float64Array;
  dqe: Float64Array;
}

/**
 * CoPE by the definitions in float64: gates, suffix-sum positions clamped to `P − 1`,
 * interpolated bias; and, for the score gradient `g`, the gradients of `x` and `qe`.
 */
function cope64(
  x: Float32Array, qe: Float32Array, g: Float32Array, lo: Int32Array, hi: Int32Array,
  scale: number, positions: number, width: number, rows: number, cols: number,
): Cope64 {
  const last = positions - 1;
  const z: number[] = [];
  const used: boolean[] = [];
  const scores = Float64Array.from(x);
  const dx = new Float64Array(rows * cols);
  const dqe = new Float64Array(rows * width);
  let top = 0;
  for (let r = 0; r < rows; r++) {
    const band = Array.from({ length: hi[r] - lo[r] }, (_, j) => 1 / (1 + Math.exp(-x[r * cols + lo[r] + j])));
    const pos = band.map((_, j) => band.slice(j).reduce((a, b) => a + b, 0));
    if (band.length > 0) top = Math.max(top, Math.min(last, Math.ceil(pos[0])));
    let gatePath = 0;
    band.forEach((zj, j) => {
      const k = r * cols + lo[r] + j;
      const p = Math.min(pos[j], last);
      const [a, b, phi] = [Math.floor(p), Math.ceil(p), p - Math.floor(p)];
      scores[k] = scale * x[k] + (1 - phi) * qe[r * width + a] + phi * qe[r * width + b];
      dqe[r * width + a] += g[k] * (1 - phi);
      dqe[r * width + b] += g[k] * phi;
      if (pos[j] <= last) gatePath += g[k] * (qe[r * width + b] - qe[r * width + a]);
      dx[k] = scale * g[k] + zj * (1 - zj) * gatePath;
    });
    z.push(...band);
    // A margin around P − 1 for the kernels' float64 sums, whose order differs from this one.
    used.push(...band.map((zj, j) => pos[j] - zj < last - 1e-9));
  }
  return { z: Float64Array.from(z), used, width: top + 1, scores, dx, dqe };
}

/** Causal bands with a window: row r sees columns max(0, r + shift − w + 1) … r + shift. */
function causalBands(rows: number, shift: number, window: number): { lo: Int32Array; hi: Int32Array } {
  const lo = Int32Array.from({ length: rows }, (_, r) => Math.max(0, r + shift - window + 1));
  const hi = Int32Array.from({ length: rows }, (_, r) => r + shift + 1);
  return { lo, hi };
}

const packed = (lo: Int32Array, hi: Int32Array): number => lo.reduce((n, a, r) => n + hi[r] - a, 0);

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: CoPE', (_name, be) => {
  it('is hand-checkable: gates, suffix sums clamped at P − 1, interpolation', () => {
    // Raw q·k = [0, ln 3, 100] → z = [0.5, 0.75, 1]; positions [2.25 → 2, 1.75, 1];
    // q·E = [1, 3, 8] → c = [8, 0.25·3 + 0.75·8, 3].
    const x = new Float32Array([0, Math.log(3), 100]);
    const z = new Float32Array(3);
    const lo = new Int32Array([0]);
    const hi = new Int32Array([3]);
    expect(be.copeGatesForward(z, x, lo, hi, 3, 1, 3)).toBe(3);
    expectClose(z, [0.5, 0.75, 1], { atol: 1e-7, rtol: 0 }, 'gates');
    be.copeBiasForward(x, z, new Float32Array([1, 3, 8]), lo, hi, 0.5, 3, 3, 1, 3);
    expectClose(x, [8, 0.5 * Math.log(3) + 6.75, 53], TOL, 'scores');
  });

  it.each([
    // rows, cols, shift, window, positions, scale
    [1, 1, 0, 1, 1, 1], // one key, one position: everything at entry 0
    [5, 9, 4, 9, 4, 0.5], // long bands clamp at P − 1 = 3
    [7, 37, 30, 16, 8, 0.3],
    [6, 6, 0, 1, 3, 0.7], // bands of length 1
    [4, 12, 8, 12, 32, 1.2], // no clamp: width below P
    [6, 47, 38, 47, 5, 0.25], // most keys clamped: 27 to 36 per row, vector loops and their tails
  ])('matches float64 (%i rows × %i cols, shift %i, window %i, P %i, scale %f) and leaves the rest alone', (rows, cols, shift, window, positions, scale) => {
    const { lo, hi } = causalBands(rows, shift, window);
    const x = seededValues(rows + cols, rows * cols, 3);
    const z = new Float32Array(packed(lo, hi)).fill(Number.NaN);
    const width = be.copeGatesForward(z, x, lo, hi, positions, rows, cols);
    const qe = seededValues(7, rows * width, 2);
    const g = seededValues(8, rows * cols);
    const want = cope64(x, qe, g, lo, hi, scale, positions, width, rows, cols);
    expect(width).toBe(want.width);
    // Gates of keys clamped at P − 1 by the keys after them are never read: any finite value.
    expectClose(z.map((v, k) => (want.used[k] ? v : 0)), want.z.map((v, k) => (want.used[k] ? v : 0)), { atol: 1e-6, rtol: 1e-6 }, 'gates');
    expect(z.every(Number.isFinite)).toBe(true);
    const scores = x.slice();
    be.copeBiasForward(scores, z, qe, lo, hi, scale, positions, width, rows, cols);
    const dx = g.slice();
    const dqe = new Float32Array(rows * width).fill(Number.NaN);
    be.copeBiasBackward(dx, dqe, z, qe, lo, hi, scale, positions, width, rows, cols);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const k = r * cols + j;
        if (j >= lo[r] && j < hi[r]) continue;
        want.scores[k] = x[k];
        want.dx[k] = g[k];
      }
    }
    expectClose(scores, want.scores, TOL, 'copeBiasForward');
    expectClose(dx, want.dx, TOL, 'copeBiasBackward dx');
    expectClose(dqe, want.dqe, TOL, 'copeBiasBackward dqe');
  });

  it.each([
    [5, 12, 6, 0.4, 7, 9],
    [7, 45, 4, 0.3, 38, 45], // long clamped stretches
  ])('gives a row the same bits alone as in any block (KV-cache decoding relies on it; %i rows × %i cols, P %i)', (rows, cols, positions, scale, shift, window) => {
    const { lo, hi } = causalBands(rows, shift, window);
    const x = seededValues(21, rows * cols, 3);
    const g = seededValues(22, rows * cols);
    const z = new Float32Array(packed(lo, hi));
    const width = be.copeGatesForward(z, x, lo, hi, positions, rows, cols);
    const qe = seededValues(23, rows * width, 2);
    const scores = x.slice();
    be.copeBiasForward(scores, z, qe, lo, hi, scale, positions, width, rows, cols);
    const dx = g.slice();
    const dqe = new Float32Array(rows * width);
    be.copeBiasBackward(dx, dqe, z, qe, lo, hi, scale, positions, width, rows, cols);
    let at = 0;
    for (let r = 0; r < rows; r++) {
      const band = [r * cols + lo[r], r * cols + hi[r]] as const;
      const one = { lo: new Int32Array([lo[r]]), hi: new Int32Array([hi[r]]) };
      const zr = new Float32Array(hi[r] - lo[r]);
      be.copeGatesForward(zr, x.subarray(r * cols), one.lo, one.hi, positions, 1, cols);
      expect(Array.from(zr)).toEqual(Array.from(z.subarray(at, at + zr.length)));
      const sr = x.slice(r * cols, (r + 1) * cols);
      const qr = qe.subarray(r * width, (r + 1) * width);
      be.copeBiasForward(sr, zr, qr, one.lo, one.hi, scale, positions, width, 1, cols);
      expect(Array.from(sr)).toEqual(Array.from(scores.subarray(r * cols, (r + 1) * cols)));
      const dr = g.slice(r * cols, (r + 1) * cols);
      const dqr = new Float32Array(width);
      be.copeBiasBackward(dr, dqr, zr, qr, one.lo, one.hi, scale, positions, width, 1, cols);
      expect(Array.from(dr.subarray(lo[r], hi[r]))).toEqual(Array.from(dx.subarray(...band)));
      expect(Array.from(dqr)).toEqual(Array.from(dqe.subarray(r * width, (r + 1) * width)));
      at += zr.length;
    }
  });

  it('handles empty bands and empty blocks', () => {
    const lo = new Int32Array([2, 0, 0]);
    const hi = new Int32Array([2, 0, 2]);
    const x = new Float32Array([9, 9, 9, 9, 0, 0]);
    const z = new Float32Array(2);
    expect(be.copeGatesForward(z, x, lo, hi, 4, 3, 2)).toBe(2); // row 2: z = [.5, .5], p = 1
    expect(be.copeGatesForward(new Float32Array(0), new Float32Array(0), lo, lo, 4, 0, 0)).toBe(1);
    expect(be.copeGatesForward(new Float32Array(0), x, lo, lo, 4, 3, 2)).toBe(1);
    const qe = new Float32Array([5, 5, 5, 5, 1, 3]);
    const scores = x.slice();
    be.copeBiasForward(scores, z, qe, lo, hi, 1, 4, 2, 3, 2);
    expectClose(scores, [9, 9, 9, 9, 3, 2], TOL, 'row 2 at positions 1 and 0.5');
    const dqe = new Float32Array(6).fill(Number.NaN);
    const dx = new Float32Array(6).fill(1);
    be.copeBiasBackward(dx, dqe, z, qe, lo, hi, 1, 4, 2, 3, 2);
    expectClose(dqe, [0, 0, 0, 0, 0.5, 1.5], TOL, 'dqe, zero for empty rows');
    expect(Array.from(dx.subarray(0, 4))).toEqual([1, 1, 1, 1]);
    be.copeBiasBackward(new Float32Array(0), new Float32Array(0), z, qe, lo, hi, 1, 4, 2, 0, 0);
  });

  it('turns a NaN score into NaN outputs on its row only', () => {
    const x = new Float32Array([0.5, Number.NaN, 1, 0.2, -0.3, 0.7]);
    const lo = new Int32Array([0, 0]);
    const hi = new Int32Array([3, 3]);
    const z = new Float32Array(6);
    const qe = seededValues(31, 8, 1);
    be.copeGatesForward(z, x, lo, hi, 4, 2, 3);
    const scores = x.slice();
    be.copeBiasForward(scores, z, qe, lo, hi, 1, 4, 4, 2, 3);
    expect(Number.isNaN(scores[0]) && Number.isNaN(scores[1])).toBe(true);
    expect(Array.from(scores.subarray(3)).every(Number.isFinite)).toBe(true);
    const dx = new Float32Array(6).fill(1);
    const dqe = new Float32Array(8);
    be.copeBiasBackward(dx, dqe, z, qe, lo, hi, 1, 4, 4, 2, 3);
    expect(Array.from(dx.subarray(3)).every(Number.isFinite)).toBe(true);
    expect(Array.from(dqe.subarray(4)).every(Number.isFinite)).toBe(true);
  });

  it('sees a NaN gate in any row, clamped rows before it or not, and keeps its keys NaN', () => {
    // Row 0 clamps (40 keys, P = 4) before row 1, a short unclamped band, meets its NaN.
    const [cols, positions] = [40, 4];
    const lo = new Int32Array([0, 0]);
    const hi = new Int32Array([cols, 2]);
    const x = seededValues(45, 2 * cols, 2);
    x[cols + 1] = Number.NaN;
    const z = new Float32Array(cols + 2);
    const width = be.copeGatesForward(z, x, lo, hi, positions, 2, cols);
    // The reference's maximum is NaN itself (NaN + 1); the fast kernels return 1.
    if (be.name === 'fast') expect(width).toBe(1);
    const scores = x.slice();
    be.copeBiasForward(scores, z, seededValues(46, 2 * positions, 1), lo, hi, 1, positions, positions, 2, cols);
    expect(Number.isNaN(scores[cols]) && Number.isNaN(scores[cols + 1])).toBe(true);
    expect(Array.from(scores.subarray(0, cols)).every(Number.isFinite)).toBe(true);
  });

  it('keeps an infinite gradient on its own key when the last keys\' gates are exactly 0 (P = 1)', () => {
    // σ(−200) = 0: the last 8 keys sum to exactly P − 1 = 0, the keys below do not.
    const cols = 20;
    const lo = new Int32Array([0]);
    const hi = new Int32Array([cols]);
    const x = Float32Array.from({ length: cols }, (_, j) => (j >= cols - 8 ? -200 : 0));
    const z = new Float32Array(cols);
    be.copeGatesForward(z, x, lo, hi, 1, 1, cols);
    const dx = seededValues(47, cols, 1);
    dx[2] = Number.POSITIVE_INFINITY;
    be.copeBiasBackward(dx, new Float32Array(1), z, new Float32Array([0.5]), lo, hi, 0.5, 1, 1, 1, cols);
    expect(dx[2]).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(dx).filter((_, j) => j !== 2).every(Number.isFinite)).toBe(true);
  });

  it('keeps NaN gates and non-finite gradients on their own keys where positions clamp', () => {
    // One row of 24 keys, P = 3: the suffix sums pass 2 a few keys from the end.
    const [cols, positions] = [24, 3];
    const lo = new Int32Array([0]);
    const hi = new Int32Array([cols]);
    const x = seededValues(41, cols, 2);
    x[5] = Number.NaN; // far below the clamp: keys 0 … 5 get NaN positions
    const z = new Float32Array(cols);
    be.copeGatesForward(z, x, lo, hi, positions, 1, cols);
    const qe = seededValues(42, positions, 1);
    const scores = x.slice();
    be.copeBiasForward(scores, z, qe, lo, hi, 1, positions, positions, 1, cols);
    expect(Array.from(scores.subarray(0, 6)).every(Number.isNaN)).toBe(true);
    expect(Array.from(scores.subarray(6)).every(Number.isFinite)).toBe(true);
    // Finite gates now; an infinite gradient on a clamped key makes its own score gradient
    // infinite and the last entry's gradient NaN (∞ + ∞·0), nothing else.
    const x2 = seededValues(43, cols, 2);
    be.copeGatesForward(z, x2, lo, hi, positions, 1, cols);
    const dx = seededValues(44, cols, 1);
    dx[3] = Number.POSITIVE_INFINITY;
    const dqe = new Float32Array(positions);
    be.copeBiasBackward(dx, dqe, z, qe, lo, hi, 0.5, positions, positions, 1, cols);
    expect(dx[3]).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(dx).filter((_, j) => j !== 3).every(Number.isFinite)).toBe(true);
    expect(Number.isNaN(dqe[positions - 1])).toBe(true);
    expect(Array.from(dqe.subarray(0, positions - 1)).every(Number.isFinite)).toBe(true);
  });

  it('rejects bands outside the row and table widths outside 1 … P', () => {
    const x = new Float32Array(6);
    const z = new Float32Array(6);
    const qe = new Float32Array(8);
    const lo = new Int32Array([0, 0]);
    expect(() => be.copeGatesForward(z, x, lo, new Int32Array([3, 4]), 4, 2, 3)).toThrow(RangeError);
    expect(() => be.copeGatesForward(z, x, lo, new Int32Array([3, 3]), 0, 2, 3)).toThrow(RangeError);
    expect(() => be.copeBiasForward(x, z, qe, lo, new Int32Array([3, 3]), 1, 4, 5, 2, 3)).toThrow(RangeError);
    expect(() => be.copeBiasForward(x, z, qe, lo, new Int32Array([3, 3]), 1, 4, 0, 2, 3)).toThrow(RangeError);
    expect(() => be.copeBiasBackward(x, qe, z, qe, new Int32Array([2, 0]), new Int32Array([1, 3]), 1, 4, 4, 2, 3)).toThrow(RangeError);
  });

  it('passes gradcheck through gates, positions and interpolation, clamped keys included', () => {
    const [rows, cols, positions, scale] = [5, 10, 4, 0.6];
    const { lo, hi } = causalBands(rows, 5, 8);
    const inputs = { x: seededValues(11, rows * cols, 2), qe: seededValues(12, rows * positions, 1.5) };
    const w = seededValues(13, rows * cols);
    const z = new Float32Array(packed(lo, hi));
    const out = new Float32Array(rows * cols);
    // Width P throughout: the gradient must not depend on how many entries a perturbation reaches.
    const loss = ({ x, qe }: typeof inputs): number => {
      be.copeGatesForward(z, x, lo, hi, positions, rows, cols);
      out.set(x);
      be.copeBiasForward(out, z, qe, lo, hi, scale, positions, positions, rows, cols);
      return dot(w, out);
    };
    loss(inputs);
    const dx = w.slice();
    const dqe = new Float32Array(rows * positions);
    be.copeBiasBackward(dx, dqe, z, inputs.qe, lo, hi, scale, positions, positions, rows, cols);
    gradcheck(loss, inputs, { x: dx, qe: dqe }, FLOAT32_GRADCHECK);
  });
});
