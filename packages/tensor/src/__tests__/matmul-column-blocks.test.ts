/**
 * Spec for `matmulColumnBlocks`: block `j` of `out` (`width` columns from `j·width`) is
 * `a` times the `width` columns of `b` from `blocks[j]·width`.
 * Shapes: `a` `(m,k)`, `b` `(k, ≥ (max block + 1)·width)`, `out` `(m, count·width)`.
 */
import { describe, expect, it } from 'vitest';
import { expectClose, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';
import { gemm64 } from './float64.js';

const TOL = { atol: 2e-5, rtol: 1e-5 };

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: matmulColumnBlocks', (_name, be) => {
  it('gathers column blocks in the listed order (hand-computed)', () => {
    // a (2×2) = [[1,2],[3,-1]]; b (2×6), three blocks of two columns:
    // block 0 = [[1,0],[0,1]], block 1 = [[2,0],[0,0]], block 2 = [[0,1],[1,0]].
    const a = new Float32Array([1, 2, 3, -1]);
    const b = new Float32Array([1, 0, 2, 0, 0, 1, 0, 1, 0, 0, 1, 0]);
    const out = new Float32Array(8);
    // Blocks 2 then 0: a·swap, then a itself. Reading the blocks in order, or b
    // transposed, gives other numbers.
    be.matmulColumnBlocks(out, a, b, new Int32Array([2, 0, 1]), 2, 2, 2, 2);
    expect(Array.from(out)).toEqual([2, 1, 1, 2, -1, 3, 3, -1]);
    // Accumulating block 1 (2·first column of a) onto a strided output.
    const acc = new Float32Array([10, 10, 7, 10, 10, 7]);
    be.matmulColumnBlocks(acc, a, b, new Int32Array([1]), 1, 2, 2, 2, true, 2, 6, 3);
    expect(Array.from(acc)).toEqual([12, 10, 7, 16, 10, 7]);
  });

  const CASES: [number, number, number, number[]][] = [
    // A decode step: one row, D = 16, a token's heads with runs and gaps.
    [1, 128, 16, [0, 1, 2, 4, 5, 7]],
    // Every head of eight: one run of 128 columns, which takes another path than 16.
    [1, 128, 16, [0, 1, 2, 3, 4, 5, 6, 7]],
    // Out of order, repeated, k over two k-panels.
    [7, 600, 16, [6, 3, 4, 5, 0, 6]],
    // Narrow blocks and a full row block plus a partial one.
    [13, 40, 3, [2, 1, 0, 4]],
  ];

  describe.each(CASES)('m=%i k=%i width=%i blocks=%j', (m, k, width, list) => {
    const blocks = Int32Array.from(list);
    const count = blocks.length;
    const ldb = (Math.max(...list) + 2) * width; // one spare block of columns
    const lda = k + 3;
    const ldc = count * width + 5;

    it.each([false, true])('matches float64 (strided, accumulate=%s)', (accumulate) => {
      const A = seededValues(m + k, m * lda);
      const B = seededValues(k + width, k * ldb);
      const c0 = seededValues(11, m * ldc);
      const out = c0.slice();
      be.matmulColumnBlocks(out, A, B, blocks, count, m, k, width, accumulate, lda, ldb, ldc);
      const n = count * width;
      const prod = gemm64(m, k, n, (i, p) => A[i * lda + p], (p, j) => B[p * ldb + blocks[Math.floor(j / width)] * width + (j % width)]);
      const want = Float64Array.from(c0); // padding columns keep c0
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) want[i * ldc + j] = (accumulate ? c0[i * ldc + j] : 0) + prod[i * n + j];
      }
      expectClose(out, want, TOL, `accumulate=${accumulate}`);
    });

    it('gives each block the bits matmul gives it alone', () => {
      const A = seededValues(m * 7 + k, m * lda);
      const B = seededValues(k * 5 + width, k * ldb);
      const out = new Float32Array(m * ldc);
      be.matmulColumnBlocks(out, A, B, blocks, count, m, k, width, false, lda, ldb, ldc);
      const alone = new Float32Array(m * ldc);
      for (let j = 0; j < count; j++) {
        be.matmul(alone.subarray(j * width), A, B.subarray(blocks[j] * width), m, k, width, false, lda, ldb, ldc);
      }
      expect(Array.from(out)).toEqual(Array.from(alone));
    });
  });

  it('defaults the strides to dense operands', () => {
    const A = seededValues(3, 2 * 5);
    const B = seededValues(4, 5 * 3 * 4); // three blocks of four columns
    const blocks = new Int32Array([2, 0]);
    const dense = new Float32Array(2 * 8);
    be.matmulColumnBlocks(dense, A, B, blocks, 2, 2, 5, 4);
    const strided = new Float32Array(2 * 8);
    be.matmulColumnBlocks(strided, A, B, blocks, 2, 2, 5, 4, false, 5, 12, 8);
    expect(Array.from(dense)).toEqual(Array.from(strided));
  });

  it('does nothing without blocks', () => {
    const out = new Float32Array([1, 2]);
    be.matmulColumnBlocks(out, new Float32Array(4), new Float32Array(4), new Int32Array(0), 0, 1, 4, 2);
    expect(Array.from(out)).toEqual([1, 2]);
  });

  if (be.name === 'fast') {
    it('rejects a negative block and a b too short for the blocks', () => {
      const out = new Float32Array(4);
      const a = new Float32Array(4);
      expect(() => be.matmulColumnBlocks(out, a, new Float32Array(8), new Int32Array([-1]), 1, 2, 2, 2)).toThrow(/negative/);
      // Block 3 of width 2 needs 8 columns per row of b: 2 rows span 16 elements.
      expect(() => be.matmulColumnBlocks(out, a, new Float32Array(12), new Int32Array([3]), 1, 2, 2, 2)).toThrow(RangeError);
    });
  }
});
