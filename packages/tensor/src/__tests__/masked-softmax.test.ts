/**
 * Spec for the banded (masked) softmax, the attention softmax, forward and backward.
 * Shapes: `x`, `out` `(rows, cols)`; `lo`, `hi` `(rows)`, row `r`'s band `[lo[r], hi[r])`.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';
import { softmax64 } from './float64.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };

/** float64 banded softmax of `scale·x`: each band's softmax, 0 elsewhere. */
function maskedSoftmax64(x: ArrayLike<number>, lo: Int32Array, hi: Int32Array, scale: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const n = hi[r] - lo[r];
    if (n === 0) continue;
    const band = Array.from({ length: n }, (_, j) => scale * x[r * cols + lo[r] + j]);
    out.set(softmax64(band, 1, n), r * cols + lo[r]);
  }
  return out;
}

/** A causal band with a window: row r sees columns max(0, r + shift − w + 1) … r + shift. */
function causalBands(rows: number, shift: number, window: number): { lo: Int32Array; hi: Int32Array } {
  const lo = Int32Array.from({ length: rows }, (_, r) => Math.max(0, r + shift - window + 1));
  const hi = Int32Array.from({ length: rows }, (_, r) => r + shift + 1);
  return { lo, hi };
}

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: masked softmax', (_name, be) => {
  it.each([
    [1, 1, 0, 1, 1],
    [5, 9, 4, 9, 0.25],
    [7, 37, 30, 16, 0.5],
    [4, 70, 66, 70, 1.7],
  ])('matches float64 on causal bands (%i rows × %i cols, shift %i, window %i, scale %f), 0 outside', (rows, cols, shift, window, scale) => {
    const x = seededValues(rows * cols, rows * cols, 4);
    const { lo, hi } = causalBands(rows, shift, window);
    const out = new Float32Array(rows * cols).fill(Number.NaN);
    be.maskedSoftmaxForward(out, x, lo, hi, scale, rows, cols);
    expectClose(out, maskedSoftmax64(x, lo, hi, scale, rows, cols), TOL, 'maskedSoftmax');
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) if (j < lo[r] || j >= hi[r]) expect(out[r * cols + j]).toBe(0);
    }
  });

  it('is hand-checkable, honours the scale, never reads outside the band and gives empty bands a zero row', () => {
    // Row 0 sees columns 1–2: 0.5·[0, 2 ln 3] = [0, ln 3] gives [1/4, 3/4]; NaN and ∞ sit outside its band.
    // Row 1's band [2, 2) is empty.
    const x = new Float32Array([Number.NaN, 0, 2 * Math.log(3), Number.POSITIVE_INFINITY, 7, 8, 9, 10]);
    const out = new Float32Array(8);
    be.maskedSoftmaxForward(out, x, new Int32Array([1, 2]), new Int32Array([3, 2]), 0.5, 2, 4);
    expectClose(out, [0, 0.25, 0.75, 0, 0, 0, 0, 0], TOL, 'softmax of [0, ln 3] over columns 1–2');
  });

  it('stays finite for ±1e4 inside a band and gives NaN to a band holding NaN', () => {
    const x = new Float32Array([1e4, -1e4, 1e4 - 1, 5, Number.NaN, 1]);
    const out = new Float32Array(6);
    be.maskedSoftmaxForward(out, x, new Int32Array([0, 0]), new Int32Array([3, 3]), 1, 2, 3);
    expectClose(out.subarray(0, 3), softmax64([1e4, -1e4, 1e4 - 1], 1, 3), TOL, 'extremes');
    expect(out[1]).toBe(0);
    expect(Array.from(out.subarray(3)).every(Number.isNaN)).toBe(true);
  });

  it('shifts by the band maximum wherever it sits in a long band (and back), and a NaN anywhere makes the band NaN', () => {
    // Bands of 14 … 53 keys cover every lane, unrolled block and tail of the vector max; a
    // peak of 200 that the shift missed would overflow the exponentials.
    const [rows, cols] = [40, 53];
    const lo = new Int32Array(rows);
    const hi = Int32Array.from({ length: rows }, (_, r) => r + 14);
    const x = seededValues(61, rows * cols, 2);
    for (let r = 0; r < rows; r++) x[r * cols + ((r * 7) % hi[r])] = 200;
    const out = new Float32Array(rows * cols);
    be.maskedSoftmaxForward(out, x, lo, hi, 1, rows, cols);
    expectClose(out, maskedSoftmax64(x, lo, hi, 1, rows, cols), TOL, 'peaked bands');
    // The backward's band sums go two rows at a time: an odd count leaves one alone.
    const odd = rows - 1;
    const w = seededValues(62, odd * cols);
    const dx = new Float32Array(odd * cols);
    be.maskedSoftmaxBackward(dx, out, w, lo, hi, 0.5, odd, cols);
    const expected = new Float64Array(odd * cols);
    for (let r = 0; r < odd; r++) {
      let s = 0;
      for (let j = 0; j < hi[r]; j++) s += out[r * cols + j] * w[r * cols + j];
      for (let j = 0; j < hi[r]; j++) expected[r * cols + j] = 0.5 * out[r * cols + j] * (w[r * cols + j] - s);
    }
    expectClose(dx, expected, TOL, 'backward');
    be.maskedSoftmaxBackward(w, out, w, lo, hi, 0.5, odd, cols);
    expect(Array.from(w)).toEqual(Array.from(dx));
    for (let r = 0; r < rows; r++) x[r * cols + ((r * 11) % hi[r])] = Number.NaN;
    be.maskedSoftmaxForward(out, x, lo, hi, 1, rows, cols);
    for (let r = 0; r < rows; r++) expect(Array.from(out.subarray(r * cols, r * cols + hi[r])).every(Number.isNaN)).toBe(true);
  });

  it('rejects bands outside the row, reversed bands and a non-positive scale', () => {
    const x = new Float32Array(6);
    const out = new Float32Array(6);
    expect(() => be.maskedSoftmaxForward(out, x, new Int32Array([0, 0]), new Int32Array([3, 4]), 1, 2, 3)).toThrow(RangeError);
    expect(() => be.maskedSoftmaxForward(out, x, new Int32Array([2, 0]), new Int32Array([1, 3]), 1, 2, 3)).toThrow(RangeError);
    expect(() => be.maskedSoftmaxForward(out, x, new Int32Array([-1, 0]), new Int32Array([1, 3]), 1, 2, 3)).toThrow(RangeError);
    expect(() => be.maskedSoftmaxForward(out, x, new Int32Array([0, 0]), new Int32Array([3, 3]), 0, 2, 3)).toThrow(RangeError);
    expect(() => be.maskedSoftmaxBackward(out, x, x, new Int32Array([0]), new Int32Array([3]), 1, 2, 3)).toThrow(RangeError);
  });

  it('allows out === x, and the backward allows dx === dy, is 0 outside the band and passes gradcheck', () => {
    const [rows, cols, scale] = [6, 11, 0.7];
    const { lo, hi } = causalBands(rows, 5, 4);
    const inputs = { x: seededValues(5, rows * cols, 2) };
    const want = maskedSoftmax64(inputs.x, lo, hi, scale, rows, cols);
    const y = inputs.x.slice();
    be.maskedSoftmaxForward(y, y, lo, hi, scale, rows, cols);
    expectClose(y, want, TOL, 'in place');
    const w = seededValues(6, rows * cols);
    const dx = new Float32Array(rows * cols).fill(Number.NaN);
    be.maskedSoftmaxBackward(dx, y, w, lo, hi, scale, rows, cols);
    const expected = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = lo[r]; j < hi[r]; j++) s += y[r * cols + j] * w[r * cols + j];
      for (let j = lo[r]; j < hi[r]; j++) expected[r * cols + j] = scale * y[r * cols + j] * (w[r * cols + j] - s);
    }
    expectClose(dx, expected, TOL, 'maskedSoftmaxBackward');
    const alias = w.slice();
    be.maskedSoftmaxBackward(alias, y, alias, lo, hi, scale, rows, cols);
    expectClose(alias, dx, TOL, 'dx === dy');
    const out = new Float32Array(rows * cols);
    gradcheck(
      ({ x }) => (be.maskedSoftmaxForward(out, x, lo, hi, scale, rows, cols), dot(w, out)),
      inputs,
      { x: dx },
      FLOAT32_GRADCHECK,
    );
  });
});
