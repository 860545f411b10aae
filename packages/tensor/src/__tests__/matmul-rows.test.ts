/**
 * Spec for the row-gathered products `matmulRows`, `matmulNTRows`, `matmulTNRows`.
 * Shapes: `a` `(R, k)` (`(R, m)` for TN), `b` `(k,n)` / `(n,k)` / `(R, n)`, `out` `(R, n)`
 * (`(m,n)` for TN); only the `count` listed rows take part.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';
import { gemm64 } from './float64.js';

const TOL = { atol: 2e-5, rtol: 1e-5 };
const SENTINEL = 777;

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: gathered matmul', (_name, be) => {
  // a rows: r0 = [1,2], r1 = [3,4], r2 = [5,-6]; b = [[1,0,2],[0,1,-1]] (2×3).
  const a = new Float32Array([1, 2, 3, 4, 5, -6]);
  const b = new Float32Array([1, 0, 2, 0, 1, -1]);

  it('matmulRows writes only the listed rows (hand-computed)', () => {
    const out = new Float32Array(9).fill(SENTINEL);
    // The third list entry lies beyond `count` and must be ignored.
    be.matmulRows(out, a, b, new Int32Array([2, 0, 1]), 2, 2, 3);
    expect(Array.from(out)).toEqual([1, 2, 0, SENTINEL, SENTINEL, SENTINEL, 5, -6, 16]);
  });

  it('matmulNTRows uses b stored (n,k) and writes only the listed rows (hand-computed)', () => {
    const out = new Float32Array(6).fill(SENTINEL);
    const bT = new Float32Array([1, 2, 0, -1]); // b stored (n=2, k=2), not symmetric
    be.matmulNTRows(out, a, bT, new Int32Array([1]), 1, 2, 2);
    // [3,4]·bᵀ = [3·1 + 4·2, 3·0 + 4·(−1)]; reading b untransposed would give [3, 2].
    expect(Array.from(out)).toEqual([SENTINEL, SENTINEL, 11, -4, SENTINEL, SENTINEL]);
    be.matmulNTRows(out, a, bT, new Int32Array([2]), 1, 2, 2, true);
    expect(Array.from(out)).toEqual([SENTINEL, SENTINEL, 11, -4, SENTINEL - 7, SENTINEL + 6]);
  });

  it('matmulTNRows sums only the listed rows (hand-computed, non-square)', () => {
    const g = new Float32Array([1, -1, 10, 20, 0, 2]); // (3 rows, 2 cols)
    const out = new Float32Array(4).fill(SENTINEL);
    // rows 0 and 2: [1,2]ᵀ⊗[1,-1] + [5,-6]ᵀ⊗[0,2] = [[1,-1],[2,-2]] + [[0,10],[0,-12]].
    be.matmulTNRows(out, a, g, new Int32Array([0, 2]), 2, 2, 2);
    expect(Array.from(out)).toEqual([1, 9, 2, -14]);
  });

  const CASES: [number, number, number][] = [
    [5, 7, 3],
    [13, 17, 19],
    // n = 16: the narrow path reads the listed rows of A in place (7 rows: a full block and a partial one).
    [13, 40, 16],
    // Three strips of 16 columns, k spanning two k-panels: the same in-place path.
    [13, 600, 48],
  ];

  describe.each(CASES)('R=%i k=%i n=%i', (R, k, n) => {
    // Every other row, in a shuffled order; R = 13 gives 7 rows (not a multiple of 4).
    const listed = Array.from({ length: Math.ceil(R / 2) }, (_, i) => 2 * i).reverse();
    const rows = Int32Array.from(listed);
    const count = rows.length;

    it.each([false, true])('matmulRows and matmulNTRows match float64 (strided, accumulate=%s)', (accumulate) => {
      const lda = k + 2;
      const ldc = n + 3;
      for (const nt of [false, true]) {
        const ldb = nt ? k + 1 : n + 1;
        const A = seededValues(R + k, R * lda);
        const B = seededValues(n + k, nt ? n * ldb : k * ldb);
        const c0 = seededValues(5, R * ldc);
        const out = c0.slice();
        if (nt) be.matmulNTRows(out, A, B, rows, count, k, n, accumulate, lda, ldb, ldc);
        else be.matmulRows(out, A, B, rows, count, k, n, accumulate, lda, ldb, ldc);
        const bAt = nt ? (p: number, j: number) => B[j * ldb + p] : (p: number, j: number) => B[p * ldb + j];
        const prod = gemm64(count, k, n, (i, p) => A[rows[i] * lda + p], bAt);
        const want = Float64Array.from(c0); // unlisted rows and padding keep c0
        for (let i = 0; i < count; i++) {
          for (let j = 0; j < n; j++) want[rows[i] * ldc + j] = (accumulate ? c0[rows[i] * ldc + j] : 0) + prod[i * n + j];
        }
        expectClose(out, want, TOL, `${nt ? 'matmulNTRows' : 'matmulRows'} acc=${accumulate}`);
      }
    });

    it.each([false, true])('compact: the listed rows packed, with the bits of the gathered products (accumulate=%s)', (accumulate) => {
      const lda = k + 2;
      const A = seededValues(R + k + 1, R * lda);
      const B = seededValues(n + k + 1, k * n);
      const BT = seededValues(n + k + 2, n * k);
      const G = seededValues(n + 3, R * n); // per-row data of the head (an output gradient)
      const c0 = seededValues(6, R * n);
      // matmulRows: out[r] = a[rows[r]]·b, the bits of out[rows[r]] of the gathered product.
      const wide = c0.slice();
      be.matmulRows(wide, A, B, rows, count, k, n, accumulate, lda, n, n);
      const packed = c0.slice();
      be.matmulRows(packed, A, B, rows, count, k, n, accumulate, lda, n, n, true);
      const want = c0.slice();
      for (let r = 0; r < count; r++) {
        const at = rows[r] * n;
        if (accumulate) {
          // Accumulating compactly adds onto packed row r: compare against the same start.
          const w = c0.slice();
          w.set(c0.subarray(r * n, (r + 1) * n), at);
          be.matmulRows(w, A, B, rows.subarray(r, r + 1), 1, k, n, true, lda, n, n);
          want.set(w.subarray(at, at + n), r * n);
        } else want.set(wide.subarray(at, at + n), r * n);
      }
      expect(Array.from(packed)).toEqual(Array.from(want));
      // matmulNTRows: a[r] read compactly equals a[rows[r]] read from the wide layout.
      const gWide = new Float32Array(R * n);
      for (let r = 0; r < count; r++) gWide.set(G.subarray(r * n, (r + 1) * n), rows[r] * n);
      const dxWide = seededValues(8, R * k);
      const dxPacked = dxWide.slice();
      be.matmulNTRows(dxWide, gWide, BT.subarray(0, k * n), rows, count, n, k, accumulate, n, n, k);
      be.matmulNTRows(dxPacked, G, BT.subarray(0, k * n), rows, count, n, k, accumulate, n, n, k, true);
      expect(Array.from(dxPacked)).toEqual(Array.from(dxWide));
      // matmulTNRows: b[r] read compactly (in place) equals b[rows[r]] gathered.
      const dwWide = seededValues(9, k * n);
      const dwPacked = dwWide.slice();
      be.matmulTNRows(dwWide, A, gWide, rows, count, k, n, accumulate, lda, n, n);
      be.matmulTNRows(dwPacked, A, G, rows, count, k, n, accumulate, lda, n, n, true);
      expect(Array.from(dwPacked)).toEqual(Array.from(dwWide));
      // And against float64, so that a compact path that read the wrong rows would show.
      const prod = gemm64(count, k, n, (i, p) => A[rows[i] * lda + p], (p, j) => B[p * n + j]);
      const exact = Float64Array.from(c0);
      for (let i = 0; i < count; i++) for (let j = 0; j < n; j++) exact[i * n + j] = (accumulate ? c0[i * n + j] : 0) + prod[i * n + j];
      expectClose(packed, exact, TOL, `compact matmulRows acc=${accumulate}`);
    });

    it.each([false, true])('matmulTNRows matches float64 (strided, accumulate=%s)', (accumulate) => {
      const m = k; // a has m columns
      const lda = m + 3;
      const ldb = n + 1;
      const ldc = n + 2;
      const A = seededValues(31, R * lda);
      const B = seededValues(32, R * ldb);
      const c0 = seededValues(33, m * ldc);
      const out = c0.slice();
      be.matmulTNRows(out, A, B, rows, count, m, n, accumulate, lda, ldb, ldc);
      const prod = gemm64(m, count, n, (i, r) => A[rows[r] * lda + i], (r, j) => B[rows[r] * ldb + j]);
      const want = Float64Array.from(c0);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) want[i * ldc + j] = (accumulate ? c0[i * ldc + j] : 0) + prod[i * n + j];
      }
      expectClose(out, want, TOL, `matmulTNRows acc=${accumulate}`);
    });

    // Y[rows] = A[rows]·B, L = Σ_listed W ⊙ Y: dA[rows] = W[rows]·Bᵀ (matmulNTRows),
    // dB = Σ_rows A[r]ᵀ ⊗ W[r] (matmulTNRows); unlisted rows of A get no gradient.
    it('the gathered backward passes a finite-difference gradcheck', () => {
      const inputs = { a: seededValues(41, R * k), b: seededValues(42, k * n) };
      const w = seededValues(43, R * n);
      const y = new Float32Array(R * n);
      const loss = ({ a: A, b: B }: typeof inputs) => {
        be.matmulRows(y, A, B, rows, count, k, n);
        return dot(w, y); // unlisted rows of y stay 0
      };
      const dA = new Float32Array(R * k);
      const dB = new Float32Array(k * n);
      be.matmulNTRows(dA, w, inputs.b, rows, count, n, k);
      be.matmulTNRows(dB, inputs.a, w, rows, count, k, n);
      gradcheck(loss, inputs, { a: dA, b: dB }, { ...FLOAT32_GRADCHECK, label: 'matmulRows' });
    });
  });

  it('handles count = 0 and 1×1 shapes', () => {
    const out = new Float32Array(4).fill(SENTINEL);
    const none = new Int32Array(0);
    be.matmulRows(out, new Float32Array(4), new Float32Array(4), none, 0, 2, 2);
    be.matmulNTRows(out, new Float32Array(4), new Float32Array(4), none, 0, 2, 2);
    expect(Array.from(out)).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
    be.matmulTNRows(out, new Float32Array(4), new Float32Array(4), none, 0, 2, 2, true);
    expect(Array.from(out)).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
    be.matmulTNRows(out, new Float32Array(4), new Float32Array(4), none, 0, 2, 2);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]); // an empty sum, overwritten
    const one = new Float32Array([SENTINEL, SENTINEL]);
    be.matmulRows(one, new Float32Array([0, -3]), new Float32Array([2]), new Int32Array([1]), 1, 1, 1);
    expect(Array.from(one)).toEqual([SENTINEL, -6]);
    const tn = new Float32Array(1);
    be.matmulTNRows(tn, new Float32Array([4, -3]), new Float32Array([5, 2]), new Int32Array([1]), 1, 1, 1);
    expect(tn[0]).toBe(-6);
  });
});
