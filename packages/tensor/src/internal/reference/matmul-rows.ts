/**
 * Reference row-gathered products, for sparse head execution: only the rows listed in
 * `rows[0..count)` take part, and output rows not listed are left untouched.
 *
 * Shapes: `a` has `k` columns (`m` for `matmulTNRows`), `b` is `(k,n)` or `(n,k)`,
 * `out` has `n` columns (`(m,n)` for `matmulTNRows`).
 *
 * `matmulRows` and `matmulNTRows` reuse the dense strided core with a row map;
 * `matmulTNRows` gathers along the contraction instead, so it has its own 4×4 tile.
 *
 * @packageDocumentation
 */
import { gemmStrided, storeRow } from './matmul.js';

/** `out[rows[r]] = a[rows[r]] · b(k,n)` for `r < count` (`out[r]` when `compact`), or `+=` when `accumulate`. */
export function matmulRows(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  rows: Int32Array,
  count: number,
  k: number,
  n: number,
  accumulate = false,
  lda = k,
  ldb = n,
  ldc = n,
  compact = false,
): void {
  gemmStrided(out, a, b, count, k, n, accumulate, lda, 1, ldb, 1, ldc, rows, compact ? null : rows);
}

/**
 * Block `j < count` of `out` (`width` columns from `j·width`) is `a(m,k)` times the
 * `width` columns of `b` from `blocks[j]·width`: each block is `matmul` on its columns.
 * `ldb` defaults to the columns up to the end of the last block `b` must hold.
 */
export function matmulColumnBlocks(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  blocks: Int32Array,
  count: number,
  m: number,
  k: number,
  width: number,
  accumulate = false,
  lda = k,
  ldb = columnBlocksExtent(blocks, count) * width,
  ldc = count * width,
): void {
  for (let j = 0; j < count; j++) {
    gemmStrided(out.subarray(j * width), a, b.subarray(blocks[j] * width), m, k, width, accumulate, lda, 1, ldb, 1, ldc, null);
  }
}

/** One more than the largest of the first `count` block indices (0 for none): the blocks `b` must hold. */
export function columnBlocksExtent(blocks: Int32Array, count: number): number {
  let max = -1;
  for (let j = 0; j < count; j++) max = Math.max(max, blocks[j]);
  return max + 1;
}

/**
 * `out[rows[r]] = a[rows[r]] · bᵀ` (`a[r]` when `compact`) with `b` stored `(n,k)`: the
 * input gradient of `matmulRows`.
 */
export function matmulNTRows(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  rows: Int32Array,
  count: number,
  k: number,
  n: number,
  accumulate = false,
  lda = k,
  ldb = k,
  ldc = n,
  compact = false,
): void {
  gemmStrided(out, a, b, count, k, n, accumulate, lda, 1, 1, ldb, ldc, compact ? null : rows, rows);
}

/**
 * `out(m,n) = Σ_r a[rows[r]]ᵀ ⊗ b[rows[r]]` (`b[r]` when `compact`): the weight gradient
 * of `matmulRows`, where only the listed rows contribute. `a` has `m` columns, `b` has `n`.
 */
export function matmulTNRows(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  rows: Int32Array,
  count: number,
  m: number,
  n: number,
  accumulate = false,
  lda = m,
  ldb = n,
  ldc = n,
  compact = false,
): void {
  if (m <= 0 || n <= 0) return;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let r = 0; r < count; r++) {
        const row = rows[r];
        const pa = row * lda + i;
        const pb = (compact ? r : row) * ldb + j;
        const x0 = a[pa];
        const x1 = a[pa + 1];
        const x2 = a[pa + 2];
        const x3 = a[pa + 3];
        const y0 = b[pb];
        const y1 = b[pb + 1];
        const y2 = b[pb + 2];
        const y3 = b[pb + 3];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      storeRow(out, i * ldc + j, c00, c01, c02, c03, accumulate);
      storeRow(out, (i + 1) * ldc + j, c10, c11, c12, c13, accumulate);
      storeRow(out, (i + 2) * ldc + j, c20, c21, c22, c23, accumulate);
      storeRow(out, (i + 3) * ldc + j, c30, c31, c32, c33, accumulate);
    }
  }
  // Remainders: the last n % 4 columns of the tiled rows, then the last m % 4 rows.
  for (let i = 0; i < m; i++) {
    const jStart = i < m4 ? n4 : 0;
    for (let j = jStart; j < n; j++) {
      let acc = 0;
      for (let r = 0; r < count; r++) {
        const row = rows[r];
        acc += a[row * lda + i] * b[(compact ? r : row) * ldb + j];
      }
      const o = i * ldc + j;
      out[o] = accumulate ? out[o] + acc : acc;
    }
  }
}
