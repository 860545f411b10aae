/**
 * Spec for top-k and the reductions `sum`, `mean`, `max`, `sumRows`.
 * Shapes: `x` `(rows, cols)` for `topK`/`sumRows`, flat `(n)` otherwise; `indices`,
 * `values` `(rows, k)`.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';

/** Reference ranking: descending value, NaN last, ties and NaNs by ascending index. */
function topK64(x: ArrayLike<number>, k: number, rows: number, cols: number) {
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: cols }, (_, j) => j).sort((i, j) => {
      const a = x[r * cols + i];
      const b = x[r * cols + j];
      if (Number.isNaN(a) !== Number.isNaN(b)) return Number.isNaN(a) ? 1 : -1;
      if (a !== b && !Number.isNaN(a)) return b - a;
      return i - j;
    });
    indices.push(...order.slice(0, k));
  }
  return indices;
}

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: selection and reductions', (_name, be) => {
  describe('topK', () => {
    function run(x: ArrayLike<number>, k: number, rows: number, cols: number) {
      const indices = new Int32Array(rows * k).fill(-9);
      const values = new Float32Array(rows * k).fill(-9);
      be.topK(indices, values, Float32Array.from(x), k, rows, cols);
      return { indices: Array.from(indices), values: Array.from(values) };
    }

    it('returns descending values, ties to the lower index', () => {
      expect(run([1, 3, 3, -5, 2, 3], 4, 1, 6)).toEqual({ indices: [1, 2, 5, 4], values: [3, 3, 3, 2] });
      // Descending, not ascending: a reversed comparison would pick index 3 first.
      expect(run([0.5, 0.25, 0.75, -1], 2, 1, 4)).toEqual({ indices: [2, 0], values: [0.75, 0.5] });
    });

    it('ranks NaN below every number, −∞ included, NaNs in index order', () => {
      const r = run([NaN, -Infinity, 2, NaN, 2], 5, 1, 5);
      expect(r.indices).toEqual([2, 4, 1, 0, 3]);
      expect(r.values.slice(0, 3)).toEqual([2, 2, -Infinity]);
      expect(r.values.slice(3).every(Number.isNaN)).toBe(true);
      expect(run([NaN, NaN, 1], 1, 1, 3).indices).toEqual([2]);
    });

    it('handles k = 0, k = cols, 1×1 and 0 rows', () => {
      expect(run([1, 2, 3], 0, 1, 3)).toEqual({ indices: [], values: [] });
      expect(run([1, 2, 3, 6, 5, 4], 3, 2, 3).indices).toEqual([2, 1, 0, 0, 1, 2]);
      expect(run([-7], 1, 1, 1)).toEqual({ indices: [0], values: [-7] });
      expect(run([], 2, 0, 3)).toEqual({ indices: [], values: [] });
    });

    it.each([1, 2, 3, 13])('matches a sort-based ranking on 7×13 rows with repeated values, k=%i', (k) => {
      const [rows, cols] = [7, 13];
      // Quantised values make ties common.
      const x = Array.from(seededValues(k + 40, rows * cols), (v) => Math.round(v * 4) / 4);
      x[5] = NaN;
      const r = run(x, k, rows, cols);
      const want = topK64(x, k, rows, cols);
      expect(r.indices).toEqual(want);
      expect(r.values).toEqual(want.map((j, i) => x[Math.floor(i / k) * cols + j]));
    });

    it.each([[2, 21], [5, 6]])('matches the sort-based ranking with ±0 ties, k=%i, %i columns (wide rows sort by insertion, short ones rank)', (k, cols) => {
      const rows = 5;
      const x = Array.from(seededValues(k + cols, rows * cols), (v) => Math.round(v * 3) / 3);
      x[1] = -0;
      x[2] = 0;
      x[cols + 3] = NaN;
      const r = run(x, k, rows, cols);
      const want = topK64(x, k, rows, cols);
      expect(r.indices).toEqual(want);
    });
  });

  describe('reductions', () => {
    const x = seededValues(3, 37, 10);
    const ref = Array.from(x);

    it('sum, mean and max match float64', () => {
      const s = ref.reduce((a, v) => a + v, 0);
      expectClose(be.sum(x, 37), s, { atol: 1e-4, rtol: 1e-6 }, 'sum');
      expectClose(be.mean(x, 37), s / 37, { atol: 1e-5, rtol: 1e-6 }, 'mean');
      expect(be.max(x, 37)).toBe(Math.max(...ref));
      expect(be.max(new Float32Array([-3, -1, -2]), 3)).toBe(-1); // not the min, not |x|
      expect(be.sum(new Float32Array([5, -2, 9]), 2)).toBe(3); // only n elements
    });

    it('handles n = 0, NaN and infinities', () => {
      expect(be.sum(x, 0)).toBe(0);
      expect(be.mean(x, 0)).toBeNaN();
      expect(be.max(x, 0)).toBe(-Infinity);
      expect(be.max(new Float32Array([1, NaN, 3]), 3)).toBeNaN();
      expect(be.max(new Float32Array([1, 3, NaN]), 3)).toBeNaN();
      expect(be.sum(new Float32Array([1, NaN]), 2)).toBeNaN();
      expect(be.max(new Float32Array([-Infinity, -Infinity]), 2)).toBe(-Infinity);
    });

    it('sum accumulates in float64 (1e8 + 1 − 1e8 = 1)', () => {
      expect(be.sum(new Float32Array([1e8, 1, -1e8]), 3)).toBe(1);
    });

    it.each([
      [3, 5],
      [13, 7],
      [1, 1],
    ])('sumRows matches float64 at %ix%i, overwriting or accumulating', (rows, cols) => {
      const m = seededValues(rows * cols, rows * cols, 2);
      const want = new Float64Array(cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) want[j] += m[i * cols + j];
      const out = new Float32Array(cols).fill(100);
      be.sumRows(out, m, rows, cols);
      expectClose(out, want, { atol: 1e-5, rtol: 1e-6 }, 'sumRows');
      be.sumRows(out, m, rows, cols, true);
      expectClose(out, want.map((v) => 2 * v), { atol: 2e-5, rtol: 1e-6 }, 'sumRows accumulate');
    });

    it('sumRows sums columns, not rows, and 0 rows gives zeros (or no change when accumulating)', () => {
      const out = new Float32Array(3);
      be.sumRows(out, new Float32Array([1, 2, 3, 10, 20, 30]), 2, 3);
      expect(Array.from(out)).toEqual([11, 22, 33]);
      be.sumRows(out, new Float32Array(0), 0, 3, true);
      expect(Array.from(out)).toEqual([11, 22, 33]);
      be.sumRows(out, new Float32Array(0), 0, 3);
      expect(Array.from(out)).toEqual([0, 0, 0]);
    });
  });
});
