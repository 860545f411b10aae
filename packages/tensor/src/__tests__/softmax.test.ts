/**
 * Spec for softmax, log-softmax and masked cross-entropy, forward and backward.
 * Shapes: `x`, `probs`, `logits` `(rows, cols)`; `targets` `(rows)`, negative = masked.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededInts, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';
import { crossEntropy64, logSoftmax64, softmax64 } from './float64.js';

/** exp-based float32 kernels: a few float32 ulps. */
const TOL = { atol: 1e-6, rtol: 1e-5 };
const SHAPES: [number, number][] = [
  [1, 1],
  // Rows of 2–4 take the one-vector path (a router's scores).
  [7, 2],
  [5, 3],
  [6, 4],
  [3, 5],
  [2, 13],
  [4, 64],
];

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: softmax family', (_name, be) => {
  describe('softmax', () => {
    it.each(SHAPES)('matches float64 at %ix%i and rows sum to 1', (rows, cols) => {
      const x = seededValues(rows * cols, rows * cols, 4);
      const out = new Float32Array(rows * cols);
      be.softmaxForward(out, x, rows, cols);
      expectClose(out, softmax64(x, rows, cols), TOL, 'softmax');
      for (let r = 0; r < rows; r++) expect(dot(out.subarray(r * cols, (r + 1) * cols), new Array(cols).fill(1))).toBeCloseTo(1, 5);
    });

    it('is hand-checkable and order-preserving (catches a reversed or negated row)', () => {
      const out = new Float32Array(3);
      be.softmaxForward(out, new Float32Array([0, Math.log(2), Math.log(5)]), 1, 3);
      expectClose(out, [0.125, 0.25, 0.625], TOL, 'softmax [1,2,5]/8');
    });

    it('stays finite for ±1e4 and ±88 and underflows cleanly to 0', () => {
      const x = new Float32Array([1e4, -1e4, 1e4 - 1, 88, -88, 0, -1e4, -1e4 + 2, -1e4]);
      const out = new Float32Array(9);
      be.softmaxForward(out, x, 3, 3);
      expectClose(out, softmax64(x, 3, 3), TOL, 'softmax extremes');
      expect(out[1]).toBe(0);
      expect(out.every(Number.isFinite)).toBe(true);
    });

    it('gives NaN for a row containing NaN and leaves other rows intact; 0 rows is a no-op', () => {
      const x = new Float32Array([1, NaN, 2, 0, 1, 2]);
      const out = new Float32Array(6);
      be.softmaxForward(out, x, 2, 3);
      expect(out.subarray(0, 3).every(Number.isNaN)).toBe(true);
      expectClose(out.subarray(3), softmax64([0, 1, 2], 1, 3), TOL, 'clean row');
      const untouched = new Float32Array([5]);
      be.softmaxForward(untouched, new Float32Array(0), 0, 4);
      expect(untouched[0]).toBe(5);
    });

    it('allows out === x', () => {
      const x = seededValues(3, 2 * 7, 3);
      const want = softmax64(x, 2, 7);
      be.softmaxForward(x, x, 2, 7);
      expectClose(x, want, TOL, 'softmax in place');
    });

    it('backward matches y ⊙ (dy − Σ y dy), allows dx === dy, and passes gradcheck', () => {
      const [rows, cols] = [3, 7];
      const inputs = { x: seededValues(5, rows * cols, 2) };
      const w = seededValues(6, rows * cols);
      const y = new Float32Array(rows * cols);
      be.softmaxForward(y, inputs.x, rows, cols);
      const dx = new Float32Array(rows * cols);
      be.softmaxBackward(dx, y, w, rows, cols);
      const want = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        const s = dot(y.subarray(o, o + cols), w.subarray(o, o + cols));
        for (let j = 0; j < cols; j++) want[o + j] = y[o + j] * (w[o + j] - s);
      }
      expectClose(dx, want, TOL, 'softmaxBackward');
      const dyAlias = w.slice();
      be.softmaxBackward(dyAlias, y, dyAlias, rows, cols);
      expectClose(dyAlias, dx, TOL, 'softmaxBackward dx === dy');
      const out = new Float32Array(rows * cols);
      gradcheck(({ x }) => (be.softmaxForward(out, x, rows, cols), dot(w, out)), inputs, { x: dx }, FLOAT32_GRADCHECK);
    });
  });

  describe('logSoftmax', () => {
    it.each(SHAPES)('matches float64 at %ix%i', (rows, cols) => {
      const x = seededValues(rows + cols, rows * cols, 4);
      const out = new Float32Array(rows * cols);
      be.logSoftmaxForward(out, x, rows, cols);
      expectClose(out, logSoftmax64(x, rows, cols), TOL, 'logSoftmax');
    });

    it('is exact where softmax underflows: log p of a 2e4 gap is −2e4, not −∞', () => {
      const out = new Float32Array(2);
      be.logSoftmaxForward(out, new Float32Array([1e4, -1e4]), 1, 2);
      expectClose(out, [0, -2e4], { atol: 1e-6, rtol: 1e-6 }, 'logSoftmax extremes');
      be.logSoftmaxForward(out, new Float32Array([NaN, 1]), 1, 2);
      expect(Number.isNaN(out[1])).toBe(true);
    });

    it('allows out === x, and the backward allows dx === dy and passes gradcheck', () => {
      const [rows, cols] = [2, 9];
      const x = seededValues(8, rows * cols, 3);
      const want = logSoftmax64(x, rows, cols);
      const y = x.slice();
      be.logSoftmaxForward(y, y, rows, cols);
      expectClose(y, want, TOL, 'logSoftmax in place');
      const w = seededValues(9, rows * cols);
      const dx = new Float32Array(rows * cols);
      be.logSoftmaxBackward(dx, y, w, rows, cols);
      const dyAlias = w.slice();
      be.logSoftmaxBackward(dyAlias, y, dyAlias, rows, cols);
      expectClose(dyAlias, dx, TOL, 'logSoftmaxBackward dx === dy');
      const out = new Float32Array(rows * cols);
      gradcheck(
        ({ x: xx }) => (be.logSoftmaxForward(out, xx, rows, cols), dot(w, out)),
        { x },
        { x: dx },
        FLOAT32_GRADCHECK,
      );
    });
  });

  describe('crossEntropy', () => {
    it('matches a hand-computed loss and gradient', () => {
      const probs = new Float32Array(3);
      // −log softmax([1,2,3])[2] = log(e + e² + e³) − 3.
      const loss = be.crossEntropyForward(probs, new Float32Array([1, 2, 3]), new Int32Array([2]), 1, 3);
      expect(loss).toBeCloseTo(Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3, 6);
      const d = new Float32Array(3);
      be.crossEntropyBackward(d, probs, new Int32Array([2]), 2, 1, 3);
      // 2·(p − onehot): the target entry is negative, the others positive.
      expectClose(d, [2 * probs[0], 2 * probs[1], 2 * (probs[2] - 1)], TOL, 'CE grad');
      expect(d[2]).toBeLessThan(0);
      expect(d[0]).toBeGreaterThan(0);
    });

    it('averages over unmasked rows only, zeroes masked rows in the gradient, and writes probs for every row', () => {
      const [rows, cols] = [6, 11];
      const logits = seededValues(11, rows * cols, 5);
      const targets = Int32Array.from([3, -1, 10, 0, -5, 7]);
      const probs = new Float32Array(rows * cols);
      const loss = be.crossEntropyForward(probs, logits, targets, rows, cols);
      expect(loss).toBeCloseTo(crossEntropy64(logits, targets, rows, cols), 5);
      expectClose(probs, softmax64(logits, rows, cols), TOL, 'CE probs');
      const d = new Float32Array(rows * cols).fill(42);
      be.crossEntropyBackward(d, probs, targets, 1, rows, cols);
      expect(Array.from(d.subarray(cols, 2 * cols))).toEqual(new Array(cols).fill(0));
      expect(Array.from(d.subarray(4 * cols, 5 * cols))).toEqual(new Array(cols).fill(0));
    });

    it('returns 0 and a zero gradient when every row is masked, and handles 0 rows', () => {
      const probs = new Float32Array(6);
      const targets = new Int32Array([-1, -1]);
      expect(be.crossEntropyForward(probs, seededValues(1, 6), targets, 2, 3)).toBe(0);
      const d = new Float32Array(6).fill(3);
      be.crossEntropyBackward(d, probs, targets, 1, 2, 3);
      expect(Array.from(d)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(be.crossEntropyForward(new Float32Array(0), new Float32Array(0), new Int32Array(0), 0, 5)).toBe(0);
    });

    it('stays finite for logits of ±1e4', () => {
      const probs = new Float32Array(4);
      const loss = be.crossEntropyForward(probs, new Float32Array([1e4, -1e4, -1e4, 1e4]), new Int32Array([1, 0]), 2, 2);
      expect(loss).toBeCloseTo(2e4, 0);
    });

    it('backward is the gradient of dLoss · forward (gradcheck, with masked rows)', () => {
      const [rows, cols] = [5, 7];
      const targets = seededInts(12, rows, -1, cols); // some rows masked
      targets[0] = 2;
      const inputs = { logits: seededValues(13, rows * cols, 2) };
      const probs = new Float32Array(rows * cols);
      const dLoss = -1.7; // a sign error in dLoss handling would flip every entry
      be.crossEntropyForward(probs, inputs.logits, targets, rows, cols);
      const d = new Float32Array(rows * cols);
      be.crossEntropyBackward(d, probs, targets, dLoss, rows, cols);
      const scratch = new Float32Array(rows * cols);
      gradcheck(
        ({ logits }) => dLoss * be.crossEntropyForward(scratch, logits, targets, rows, cols),
        inputs,
        { logits: d },
        FLOAT32_GRADCHECK,
      );
    });
  });
});
