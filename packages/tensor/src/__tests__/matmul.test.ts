/**
 * Spec for the dense products `matmul`, `matmulTN`, `matmulNT` on every available backend.
 * Shapes: `out(m,n) = A(m,k)·B(k,n)`; TN stores `A` as `(k,m)`, NT stores `B` as `(n,k)`.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import type { Backend } from '../backend.js';
import { availableBackends } from '../backends.js';
import { gemm64 } from './float64.js';

/** float32 products with float32 or float64 accumulation; k ≤ 65 and |values| ≤ 1. */
const TOL = { atol: 2e-5, rtol: 1e-5 };

type Layout = 'NN' | 'TN' | 'NT';
const LAYOUTS: Layout[] = ['NN', 'TN', 'NT'];

/** Default row strides of `a`, `b`, `out` for a layout. */
function contiguous(layout: Layout, m: number, k: number, n: number) {
  return { lda: layout === 'TN' ? m : k, ldb: layout === 'NT' ? k : n, ldc: n };
}

/** Stored shapes `[rows, cols]` of `a` and `b`. */
function storedShapes(layout: Layout, m: number, k: number, n: number) {
  return { a: layout === 'TN' ? [k, m] : [m, k], b: layout === 'NT' ? [n, k] : [k, n] };
}

function run(be: Backend, layout: Layout, ...args: Parameters<Backend['matmul']>): void {
  if (layout === 'NN') be.matmul(...args);
  else if (layout === 'TN') be.matmulTN(...args);
  else be.matmulNT(...args);
}

/** The float64 product for a layout, reading `a`, `b` through their row strides. */
function expected(layout: Layout, a: Float32Array, b: Float32Array, m: number, k: number, n: number, lda: number, ldb: number) {
  const aAt = layout === 'TN' ? (i: number, p: number) => a[p * lda + i] : (i: number, p: number) => a[i * lda + p];
  const bAt = layout === 'NT' ? (p: number, j: number) => b[j * ldb + p] : (p: number, j: number) => b[p * ldb + j];
  return gemm64(m, k, n, aAt, bAt);
}

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [2, 3, 4],
  [5, 7, 3],
  [4, 8, 4],
  [13, 17, 19],
  [33, 65, 47],
  // Narrow (n ≤ 16): Aᵀ·B reads its full blocks in place; k = 600 spans two k-panels.
  [12, 600, 16],
  // 16 to 96 columns in strips of 16: pairs of A rows are read in place (7 rows: a lone last row).
  [7, 600, 48],
  [6, 20, 96],
  // One column (a router's logits for one token): rows read in place, twelve at a time (13: a partial group).
  [10, 128, 1],
  [13, 17, 1],
];

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: dense matmul', (_name, be) => {
  // A = [[1,2,3],[4,5,6]] (2×3), B = [[7,8],[9,10],[11,12]] (3×2): A·B = [[58,64],[139,154]].
  it('matches a hand-computed non-square product in every layout (catches transposes)', () => {
    const want = [58, 64, 139, 154];
    const out = new Float32Array(4);
    be.matmul(out, new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([7, 8, 9, 10, 11, 12]), 2, 3, 2);
    expectClose(out, want, { atol: 0, rtol: 0 }, 'matmul');
    be.matmulTN(out, new Float32Array([1, 4, 2, 5, 3, 6]), new Float32Array([7, 8, 9, 10, 11, 12]), 2, 3, 2);
    expectClose(out, want, { atol: 0, rtol: 0 }, 'matmulTN');
    be.matmulNT(out, new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([7, 9, 11, 8, 10, 12]), 2, 3, 2);
    expectClose(out, want, { atol: 0, rtol: 0 }, 'matmulNT');
    // Negative entries: a wrongly signed or swapped-operand result cannot match.
    be.matmul(out, new Float32Array([1, -2, 0, 3, 0, -1]), new Float32Array([2, 0, 1, -1, 4, 5]), 2, 3, 2);
    expectClose(out, [0, 2, 2, -5], { atol: 0, rtol: 0 }, 'matmul signs');
  });

  describe.each(LAYOUTS)('%s', (layout) => {
    it.each(SIZES)('matches float64 at m=%i k=%i n=%i', (m, k, n) => {
      const sh = storedShapes(layout, m, k, n);
      const a = seededValues(m * 1000 + k, sh.a[0] * sh.a[1]);
      const b = seededValues(n * 1000 + k + 7, sh.b[0] * sh.b[1]);
      const { lda, ldb } = contiguous(layout, m, k, n);
      const out = new Float32Array(m * n).fill(123); // overwritten, not accumulated
      run(be, layout, out, a, b, m, k, n);
      expectClose(out, expected(layout, a, b, m, k, n, lda, ldb), TOL, `${layout} ${m}x${k}x${n}`);
    });

    it('handles empty shapes: m = 0 or n = 0 writes nothing, k = 0 gives zeros', () => {
      const out = new Float32Array(12).fill(5);
      run(be, layout, out, new Float32Array(0), new Float32Array(12), 0, 3, 4);
      run(be, layout, out, new Float32Array(12), new Float32Array(0), 4, 3, 0);
      expect(Array.from(out)).toEqual(new Array(12).fill(5));
      run(be, layout, out, new Float32Array(0), new Float32Array(0), 3, 0, 4);
      expect(Array.from(out)).toEqual(new Array(12).fill(0));
      out.fill(5);
      run(be, layout, out, new Float32Array(0), new Float32Array(0), 3, 0, 4, true);
      expect(Array.from(out)).toEqual(new Array(12).fill(5));
    });

    it.each([false, true])('runs a long inner dimension (k = 600, two k-panels) like float64 (accumulate %s)', (accumulate) => {
      const [m, k, n] = [13, 600, 19];
      const sh = storedShapes(layout, m, k, n);
      const a = seededValues(21, sh.a[0] * sh.a[1]);
      const b = seededValues(22, sh.b[0] * sh.b[1]);
      const c0 = seededValues(23, m * n);
      const out = c0.slice();
      const { lda, ldb } = contiguous(layout, m, k, n);
      run(be, layout, out, a, b, m, k, n, accumulate);
      const want = expected(layout, a, b, m, k, n, lda, ldb);
      if (accumulate) for (let i = 0; i < want.length; i++) want[i] += c0[i];
      // Sums of 600 products of values in [-1, 1]: float32 rounding stays far below 1e-4.
      expectClose(out, want, { atol: 1e-4, rtol: 1e-5 }, `${layout} k=600`);
    });

    // KV-cache decoding computes one row where the full forward computed many: each
    // element must get the same arithmetic whatever rows share the call, through column
    // tails (n = 19) and inner dimensions past one panel (k = 600).
    it.each([
      [17, false],
      [600, false],
      [600, true],
    ])('gives every output row the same bits alone as among others (k=%i, accumulate %s)', (k, accumulate) => {
      const [m, n] = [13, 19];
      const sh = storedShapes(layout, m, k, n);
      const a = seededValues(31, sh.a[0] * sh.a[1]);
      const b = seededValues(32, sh.b[0] * sh.b[1]);
      const c0 = seededValues(33, m * n);
      const { lda, ldb } = contiguous(layout, m, k, n);
      const all = c0.slice();
      run(be, layout, all, a, b, m, k, n, accumulate, lda, ldb, n);
      for (let i = 0; i < m; i++) {
        const row = c0.slice(i * n, (i + 1) * n);
        // Row i of op(A): row i of A, or (TN) column i of the (k, m) storage.
        const ai = layout === 'TN' ? a.subarray(i) : a.subarray(i * lda);
        run(be, layout, row, ai, b, 1, k, n, accumulate, lda, ldb, n);
        for (let j = 0; j < n; j++) {
          if (!Object.is(row[j], all[i * n + j])) throw new Error(`${layout} row ${i} column ${j}: ${row[j]} alone, ${all[i * n + j]} among others`);
        }
      }
    });

    // A one-token router product is a single column of what a batch computes: each
    // element must be the same chain over k whichever path the column count picks.
    it.each([false, true])('gives every output column the same bits alone as among others (accumulate %s)', (accumulate) => {
      const [m, k, n] = [13, 17, 19];
      const sh = storedShapes(layout, m, k, n);
      const a = seededValues(41, sh.a[0] * sh.a[1]);
      const b = seededValues(42, sh.b[0] * sh.b[1]);
      const c0 = seededValues(43, m * n);
      const { lda, ldb } = contiguous(layout, m, k, n);
      const all = c0.slice();
      run(be, layout, all, a, b, m, k, n, accumulate, lda, ldb, n);
      for (let j = 0; j < n; j++) {
        // Column j alone, written into a strided output: B's column j, or (NT) its row j.
        const col = c0.slice();
        run(be, layout, col.subarray(j), a, layout === 'NT' ? b.subarray(j * ldb) : b.subarray(j), m, k, 1, accumulate, lda, ldb, n);
        for (let i = 0; i < m * n; i++) {
          const want = i % n === j ? all[i] : c0[i];
          if (!Object.is(col[i], want)) throw new Error(`${layout} column ${j}, element ${i}: ${col[i]} alone, ${want} expected`);
        }
      }
    });

    // k·n past 131,072: A·Bᵀ transposes B a panel of 64 columns at a time (a partial last
    // one here), where smaller B are transposed whole; each element's chain is the same.
    it('runs a B too large to transpose whole like float64, with the bits of one column at a time', () => {
      const [m, k, n] = [7, 600, 230];
      const sh = storedShapes(layout, m, k, n);
      const a = seededValues(51, sh.a[0] * sh.a[1]);
      const b = seededValues(52, sh.b[0] * sh.b[1]);
      const { lda, ldb } = contiguous(layout, m, k, n);
      const out = new Float32Array(m * n);
      run(be, layout, out, a, b, m, k, n, false, lda, ldb, n);
      expectClose(out, expected(layout, a, b, m, k, n, lda, ldb), { atol: 1e-4, rtol: 1e-5 }, `${layout} large B`);
      for (const j of [0, 63, 64, 229]) {
        const col = new Float32Array(m * n);
        run(be, layout, col.subarray(j), a, layout === 'NT' ? b.subarray(j * ldb) : b.subarray(j), m, k, 1, false, lda, ldb, n);
        for (let i = 0; i < m; i++) {
          if (!Object.is(col[i * n + j], out[i * n + j])) throw new Error(`${layout} column ${j} row ${i}: ${col[i * n + j]} alone, ${out[i * n + j]} in the product`);
        }
      }
    });

    it.each([
      [5, 7, 3],
      [13, 17, 19],
    ])('accumulates into a strided output from strided inputs at m=%i k=%i n=%i', (m, k, n) => {
      const sh = storedShapes(layout, m, k, n);
      const lda = sh.a[1] + 3;
      const ldb = sh.b[1] + 2;
      const ldc = n + 5;
      const a = seededValues(1, sh.a[0] * lda);
      const b = seededValues(2, sh.b[0] * ldb);
      const c0 = seededValues(3, m * ldc);
      const out = c0.slice();
      run(be, layout, out, a, b, m, k, n, true, lda, ldb, ldc);
      const prod = expected(layout, a, b, m, k, n, lda, ldb);
      const want = Float64Array.from(c0);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[i * ldc + j] += prod[i * n + j];
      // Checks the window and the padding columns (which must keep c0) at once.
      expectClose(out, want, TOL, `${layout} accumulate strided`);
      // Overwrite mode with the same strides leaves the padding alone too.
      run(be, layout, out, a, b, m, k, n, false, lda, ldb, ldc);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[i * ldc + j] = prod[i * n + j];
      expectClose(out, want, TOL, `${layout} overwrite strided`);
    });
  });

  // L = Σ W ⊙ out. NN: dA = W·Bᵀ, dB = Aᵀ·W. TN (A stored (k,m)): dA = B·Wᵀ, dB = A·W.
  // NT (B stored (n,k)): dA = W·B, dB = Wᵀ·A. Each backward is itself a backend product.
  it.each(LAYOUTS)('%s backward (built from the other layouts) passes a finite-difference gradcheck', (layout) => {
    const [m, k, n] = [5, 7, 3];
    const sh = storedShapes(layout, m, k, n);
    const inputs = { a: seededValues(11, sh.a[0] * sh.a[1]), b: seededValues(12, sh.b[0] * sh.b[1]) };
    const w = seededValues(13, m * n);
    const out = new Float32Array(m * n);
    const loss = ({ a, b }: typeof inputs) => {
      run(be, layout, out, a, b, m, k, n);
      return dot(w, out);
    };
    const dA = new Float32Array(inputs.a.length);
    const dB = new Float32Array(inputs.b.length);
    const { a, b } = inputs;
    if (layout === 'NN') {
      be.matmulNT(dA, w, b, m, n, k);
      be.matmulTN(dB, a, w, k, m, n);
    } else if (layout === 'TN') {
      be.matmulNT(dA, b, w, k, n, m);
      be.matmul(dB, a, w, k, m, n);
    } else {
      be.matmul(dA, w, b, m, n, k);
      be.matmulTN(dB, w, a, n, m, k);
    }
    gradcheck(loss, inputs, { a: dA, b: dB }, { ...FLOAT32_GRADCHECK, label: `matmul ${layout}` });
  });
});
