import { describe, expect, it } from 'vitest';
import type { Backend } from '../../backend.js';
import { createFastBackend } from './index.js';

/** Deterministic values in [−1, 1). */
function random(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}

/** Copies `x` into fresh storage of `be` (resident: passed by pointer). */
function resident(be: Backend, x: Float32Array): Float32Array {
  const s = be.allocFloat32(x.length);
  s.data.set(x);
  return s.data;
}

type Layout = 'NN' | 'TN' | 'NT';

/** float64 `out(i,j) (+)= Σ_p A(i,p) B(p,j)` with strides, for the listed rows. */
function reference(
  layout: Layout, out: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number,
  accumulate: boolean, lda: number, ldb: number, ldc: number,
): Float64Array {
  const r = Float64Array.from(out);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = accumulate ? out[i * ldc + j] : 0;
      for (let p = 0; p < k; p++) {
        const av = layout === 'TN' ? a[p * lda + i] : a[i * lda + p];
        const bv = layout === 'NT' ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
      }
      r[i * ldc + j] = s;
    }
  }
  return r;
}

function expectClose(actual: Float32Array, expected: Float64Array, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
      throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (tolerance ${tol})`);
    }
  }
}

const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [7, 9, 13], [6, 16, 24], [11, 33, 37], [5, 70, 65]];

describe('fast backend marshalling', () => {
  const be = createFastBackend();

  describe.each(['NN', 'TN', 'NT'] as const)('matmul %s', (layout) => {
    const call = (out: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number,
      acc: boolean, lda: number, ldb: number, ldc: number): void => {
      if (layout === 'NN') be.matmul(out, a, b, m, k, n, acc, lda, ldb, ldc);
      else if (layout === 'TN') be.matmulTN(out, a, b, m, k, n, acc, lda, ldb, ldc);
      else be.matmulNT(out, a, b, m, k, n, acc, lda, ldb, ldc);
    };

    it.each(SHAPES)('%i×%i×%i: resident and foreign arrays agree exactly, and match float64 (rel. 1e-5)', (m, k, n) => {
      // Padded strides leave gaps that must stay untouched; accumulate must add.
      const [aRows, aCols] = layout === 'TN' ? [k, m] : [m, k];
      const [bRows, bCols] = layout === 'NT' ? [n, k] : [k, n];
      const lda = aCols + 3, ldb = bCols + 2, ldc = n + 5;
      const a = random(aRows * lda, 1), b = random(bRows * ldb, 2), c0 = random(m * ldc, 3);
      for (const acc of [false, true]) {
        const foreign = c0.slice();
        call(foreign, a, b, m, k, n, acc, lda, ldb, ldc);
        const out = resident(be, c0);
        call(out, resident(be, a), resident(be, b), m, k, n, acc, lda, ldb, ldc);
        expect(Array.from(out)).toEqual(Array.from(foreign));
        expectClose(foreign, reference(layout, c0, a, b, m, k, n, acc, lda, ldb, ldc), 1e-5);
      }
    });
  });

  it('gathered products match their dense equivalents on the listed rows only (rel. 1e-5)', () => {
    const total = 23, k = 19, n = 21;
    const rows = Int32Array.from([0, 3, 4, 9, 10, 11, 17, 22]);
    const a = random(total * k, 4), b = random(k * n, 5), bt = random(n * k, 6), c0 = random(total * n, 7);
    const dense = reference('NN', c0, a, b, total, k, n, true, k, n, n);
    const denseNT = reference('NT', c0, a, bt, total, k, n, true, k, k, n);
    const out = resident(be, c0);
    be.matmulRows(out, resident(be, a), resident(be, b), rows, rows.length, k, n, true);
    const outNT = c0.slice();
    be.matmulNTRows(outNT, a, bt, rows, rows.length, k, n, true);
    for (let i = 0; i < total; i++) {
      const listed = rows.includes(i);
      for (let j = 0; j < n; j++) {
        const at = i * n + j;
        expect(Math.abs(out[at] - (listed ? dense[at] : c0[at]))).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(dense[at])));
        expect(Math.abs(outNT[at] - (listed ? denseNT[at] : c0[at]))).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(denseNT[at])));
      }
    }
    // Aᵀ·B over the listed rows equals a dense Aᵀ·B of the packed rows.
    const m = 9;
    const a2 = random(total * m, 8), b2 = random(total * n, 9);
    const pa = new Float32Array(rows.length * m), pb = new Float32Array(rows.length * n);
    rows.forEach((r, q) => {
      pa.set(a2.subarray(r * m, r * m + m), q * m);
      pb.set(b2.subarray(r * n, r * n + n), q * n);
    });
    const w = new Float32Array(m * n);
    be.matmulTNRows(w, a2, b2, rows, rows.length, m, n);
    expectClose(w, reference('TN', w, pa, pb, m, rows.length, n, false, m, n, n), 1e-5);
  });

  it('handles empty sizes without touching memory, and k = 0 as a zero product', () => {
    const out = Float32Array.from([1, 2, 3, 4]);
    be.matmul(out, new Float32Array(0), new Float32Array(0), 0, 3, 4);
    be.matmul(out, new Float32Array(0), new Float32Array(0), 4, 3, 0);
    be.matmulRows(out, new Float32Array(0), new Float32Array(0), new Int32Array(0), 0, 3, 4);
    be.add(out, new Float32Array(0), new Float32Array(0), 0);
    be.softmaxForward(out, new Float32Array(0), 0, 4);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    expect(be.sum(new Float32Array(0), 0)).toBe(0);
    expect(be.max(new Float32Array(0), 0)).toBe(-Infinity);
    expect(be.mean(new Float32Array(0), 0)).toBeNaN();
    be.matmul(out, new Float32Array(0), new Float32Array(0), 2, 0, 2, true);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    be.matmul(out, new Float32Array(0), new Float32Array(0), 2, 0, 2);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });

  it('shares one copy when a foreign array is passed as both input and output', () => {
    const x = Float32Array.from([1, 2, 3, 1000, 0, -1]);
    const expected = new Float32Array(6);
    be.softmaxForward(expected, resident(be, x), 2, 3);
    be.softmaxForward(x, x, 2, 3);
    expect(Array.from(x)).toEqual(Array.from(expected));
  });

  it('reads resident pointers before a call grows the memory', () => {
    const small = createFastBackend({ sharedMemory: false });
    const m = 6, k = 300, n = 70;
    const a = random(m * k, 10), b = random(n * k, 11);
    const sa = small.allocFloat32(m * k), sb = small.allocFloat32(n * k), so = small.allocFloat32(m * n);
    sa.data.set(a);
    sb.data.set(b);
    // Fill the memory so the call's scratch (a transposed panel of B) must grow it.
    const filler = small.allocFloat32((small.allocFloat32(0).data.buffer.byteLength - sa.data.byteOffset) / 4 - 30000);
    const buffer = so.data.buffer;
    small.matmulNT(so.data, sa.data, sb.data, m, k, n);
    expect(so.data.buffer).not.toBe(buffer);
    expectClose(so.data, reference('NT', new Float32Array(m * n), a, b, m, k, n, false, k, k, n), 1e-5);
    filler.free();
  });

  it('rejects arrays too short for their sizes and out-of-range indices', () => {
    expect(() => be.matmul(new Float32Array(3), new Float32Array(4), new Float32Array(4), 2, 2, 2)).toThrow(RangeError);
    expect(() => be.add(new Float32Array(4), new Float32Array(4), new Float32Array(3), 4)).toThrow(RangeError);
    const table = new Float32Array(12);
    expect(() => be.gatherRows(new Float32Array(4), table, Int32Array.from([3]), 1, 4)).toThrow(RangeError);
    expect(() => be.gatherRows(new Float32Array(4), table, Int32Array.from([-1]), 1, 4)).toThrow(RangeError);
    expect(() => be.crossEntropyForward(new Float32Array(4), new Float32Array(4), Int32Array.from([4]), 1, 4)).toThrow(
      RangeError,
    );
    // The frame recovers: the next call works.
    const out = new Float32Array(1);
    be.add(out, Float32Array.from([1]), Float32Array.from([2]), 1);
    expect(out[0]).toBe(3);
  });
});
