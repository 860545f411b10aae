/**
 * Spec for the elementwise kernels, the row gathers and the backend allocators.
 * Shapes: flat `(n)`; gathers move `count` rows of `cols` from a `(V, cols)` table.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';

const EXACT = { atol: 0, rtol: 0 };

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: elementwise', (_name, be) => {
  const n = 13; // not a multiple of the SIMD width
  const a = seededValues(1, n, 3);
  const b = seededValues(2, n, 3);
  /** The float32 result of a float64 expression, which IEEE float32 ops produce exactly. */
  const f32 = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => Math.fround(f(i)));

  it('add, mul, scale and axpy match exact float32 arithmetic', () => {
    const out = new Float32Array(n);
    be.add(out, a, b, n);
    expectClose(out, f32((i) => a[i] + b[i]), EXACT, 'add');
    be.mul(out, a, b, n);
    expectClose(out, f32((i) => a[i] * b[i]), EXACT, 'mul');
    be.scale(out, a, -2.5, n);
    expectClose(out, f32((i) => -2.5 * a[i]), EXACT, 'scale');
    const y = b.slice();
    be.axpy(y, -0.75, a, n);
    expectClose(y, f32((i) => b[i] + Math.fround(-0.75 * a[i])), { atol: 1e-6, rtol: 1e-6 }, 'axpy');
  });

  it('allows out to alias an input and touches only n elements', () => {
    const x = new Float32Array([1, -2, 3, 9]);
    be.add(x, x, x, 3);
    expect(Array.from(x)).toEqual([2, -4, 6, 9]);
    be.mul(x, new Float32Array([2, 2, -1, 0]), x, 3);
    expect(Array.from(x)).toEqual([4, -8, -6, 9]);
    be.scale(x, x, 0.5, 3);
    expect(Array.from(x)).toEqual([2, -4, -3, 9]);
  });

  it('propagates NaN and Infinity, and does nothing for n = 0', () => {
    const out = new Float32Array(3);
    be.add(out, new Float32Array([NaN, Infinity, 1]), new Float32Array([1, -Infinity, 1]), 3);
    expect(Array.from(out)).toEqual([NaN, NaN, 2]);
    be.mul(out, new Float32Array([NaN, 0, 1]), new Float32Array([1, Infinity, -1]), 3);
    expect(Array.from(out)).toEqual([NaN, NaN, -1]);
    const empty = new Float32Array([4]);
    be.add(empty, a, b, 0);
    be.mul(empty, a, b, 0);
    be.scale(empty, a, 2, 0);
    be.axpy(empty, 2, a, 0);
    expect(empty[0]).toBe(4);
  });

  describe('gatherRows / scatterAddRows', () => {
    const V = 5;
    const cols = 3;
    const table = Float32Array.from({ length: V * cols }, (_, i) => i - 4);

    it('gathers rows by id, repeats included', () => {
      const out = new Float32Array(4 * cols).fill(99);
      be.gatherRows(out, table, new Int32Array([4, 0, 4]), 3, cols);
      expect(Array.from(out)).toEqual([8, 9, 10, -4, -3, -2, 8, 9, 10, 99, 99, 99]);
    });

    it.each([4, 16, 64, 68])('gathers rows of %i floats (vector moves up to 64) exactly, the row after untouched', (width) => {
      const rows = Float32Array.from({ length: 6 * width }, (_, i) => (i % 7 === 0 ? -0 : i * 0.5 - 3));
      const ids = new Int32Array([5, 2, 2, 0]);
      const out = new Float32Array(5 * width).fill(99);
      be.gatherRows(out, rows, ids, ids.length, width);
      const want = new Float32Array(5 * width).fill(99);
      ids.forEach((id, r) => want.set(rows.subarray(id * width, (id + 1) * width), r * width));
      // toEqual tells −0 from +0: every seventh value is −0, and it must come through.
      expect(Array.from(out)).toEqual(Array.from(want));
    });

    it('scatter-adds into the table, summing repeated ids and keeping the rest', () => {
      const dTable = new Float32Array(V * cols).fill(1);
      const dOut = new Float32Array([1, 2, 3, 10, 20, 30, -1, -2, -3]);
      be.scatterAddRows(dTable, dOut, new Int32Array([2, 0, 2]), 3, cols);
      expect(Array.from(dTable)).toEqual([11, 21, 31, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
      be.scatterAddRows(dTable, dOut, new Int32Array(0), 0, cols);
      expect(dTable[3]).toBe(1);
    });

    it('scatterAddRows is the gradient of gatherRows (gradcheck)', () => {
      const ids = new Int32Array([3, 1, 3, 0, 3]);
      const w = seededValues(7, ids.length * cols);
      const out = new Float32Array(ids.length * cols);
      const inputs = { table: seededValues(8, V * cols) };
      const dTable = new Float32Array(V * cols);
      be.scatterAddRows(dTable, w, ids, ids.length, cols);
      gradcheck(
        ({ table: t }) => {
          be.gatherRows(out, t, ids, ids.length, cols);
          return dot(w, out);
        },
        inputs,
        { table: dTable },
        { ...FLOAT32_GRADCHECK, label: 'gatherRows' },
      );
    });
  });

  describe('allocation', () => {
    it.each([0, 1, 5, 1000])('allocFloat32(%i) and allocInt32 are zeroed, of the right length, and writable', (len) => {
      const f = be.allocFloat32(len);
      const i = be.allocInt32(len);
      expect(f.length).toBe(len);
      expect(i.length).toBe(len);
      expect(f.data).toBeInstanceOf(Float32Array);
      expect(i.data).toBeInstanceOf(Int32Array);
      expect(f.data.length).toBe(len);
      expect(i.data.length).toBe(len);
      expect(f.data.every((v) => v === 0)).toBe(true);
      expect(i.data.every((v) => v === 0)).toBe(true);
      if (len > 0) {
        f.data[len - 1] = 2.5;
        i.data[0] = -7;
        expect(f.data[len - 1]).toBe(2.5);
        expect(i.data[0]).toBe(-7);
      }
      f.free();
      i.free();
    });

    it('gives zeroed memory again after a free, and kernels run on allocated storage', () => {
      const first = be.allocFloat32(64);
      first.data.fill(3);
      first.free();
      const again = be.allocFloat32(64);
      expect(again.data.every((v) => v === 0)).toBe(true);
      const x = be.allocFloat32(4);
      x.data.set([1, 2, 3, 4]);
      be.scale(x.data, x.data, 2, 4);
      expect(Array.from(x.data)).toEqual([2, 4, 6, 8]);
      again.free();
      x.free();
    });
  });
});
