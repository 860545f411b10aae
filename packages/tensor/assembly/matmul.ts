// Exported matrix products. Pointers are byte offsets; sizes and leading dimensions
// (`lda`, `ldb`, `ldc`) are in elements, as in the TypeScript `Kernels` interface.
// Every layout is reduced to the one tile shape of gemm-tiles.ts:
// - A·B and Aᵀ·B differ only in how A is stepped, so they need no copy;
// - A·Bᵀ transposes B a panel at a time into scratch (so the tile reads B rows), which
//   costs k·n moves against 2·m·k·n flops; single rows skip it for dot products;
// - the gathered Aᵀ·B packs the listed rows of A and B densely, a chunk at a time.

import { gatherPacked, gemm, transpose } from './gemm';

/** Columns of B transposed per panel by the A·Bᵀ products. */
const NT_PANEL: i32 = 64;
/** Listed rows packed per chunk by the gathered Aᵀ·B. */
const TN_CHUNK: i32 = 256;

/** Scratch bytes {@link matmulNT} and {@link matmulNTRows} need for inner size `k`. */
export function matmulNTScratchBytes(k: i32): usize {
  return <usize>k * NT_PANEL * 4;
}

/** Scratch bytes {@link matmulTNRows} needs for `m` and `n` columns. */
export function matmulTNRowsScratchBytes(m: i32, n: i32): usize {
  return <usize>TN_CHUNK * <usize>(m + n) * 4;
}

/** `out(m,n) (+)= a(m,k) · b(k,n)`. */
export function matmul(
  out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, lda: i32, ldb: i32, ldc: i32,
): void {
  gemm(out, a, b, 0, m, k, n, <usize>lda << 2, 4, <usize>ldb << 2, <usize>ldc << 2, accumulate);
}

/** `out(m,n) (+)= aᵀ · b` with `a` stored `(k,m)`. */
export function matmulTN(
  out: usize, a: usize, b: usize, m: i32, k: i32, n: i32, accumulate: bool, lda: i32, ldb: i32, ldc: i32,
): void {
  gemm(out, a, b, 0, m, k, n, 4, <usize>lda << 2, <usize>ldb << 2, <usize>ldc << 2, accumulate);
}

/** Gathered `A·B`: `out[rows[r]] (+)= a[rows[r]] · b`. */
export function matmulRows(
  out: usize, a: usize, b: usize, rows: usize, count: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32,
): void {
  if (count == 0) return;
  gemm(out, a, b, rows, count, k, n, <usize>lda << 2, 4, <usize>ldb << 2, <usize>ldc << 2, accumulate);
}

/**
 * `out[row(i)] (+)= a[row(i)] · bᵀ` with `b` stored `(n,k)`; `row(i)` is `i`, or
 * `rows[i]` when `rows` is non-zero. `scratch` holds {@link matmulNTScratchBytes}.
 */
function gemmNT(
  out: usize, a: usize, b: usize, rows: usize, m: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  const aRow = <usize>lda << 2, bRow = <usize>ldb << 2, cRow = <usize>ldc << 2;
  if (m == 1) {
    // One row: n dot products beat transposing the whole of B for a single use.
    dotRows(out + (rows == 0 ? 0 : <usize>load<i32>(rows)) * cRow, a + (rows == 0 ? 0 : <usize>load<i32>(rows)) * aRow, b, bRow, k, n, accumulate);
    return;
  }
  for (let j0 = 0; j0 < n; j0 += NT_PANEL) {
    const w = min(NT_PANEL, n - j0);
    transpose(scratch, <usize>NT_PANEL << 2, b + <usize>j0 * bRow, bRow, w, k);
    gemm(out + (<usize>j0 << 2), a, scratch, rows, m, k, w, aRow, 4, <usize>NT_PANEL << 2, cRow, accumulate);
  }
}

/** `out[j] (+)= a · b[j]` for `j < n`: one row of A against the rows of B, along k. */
function dotRows(out: usize, a: usize, b: usize, bRow: usize, k: i32, n: i32, accumulate: bool): void {
  const k4 = k & ~3;
  for (let j = 0; j < n; j++) {
    const bj = b + <usize>j * bRow;
    let acc0 = f32x4.splat(0), acc1 = acc0;
    let p = 0;
    for (; p + 8 <= k; p += 8) {
      const o = <usize>p << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(bj + o)));
      acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o, 16), v128.load(bj + o, 16)));
    }
    for (; p < k4; p += 4) {
      const o = <usize>p << 2;
      acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(bj + o)));
    }
    acc0 = f32x4.add(acc0, acc1);
    let s = f32x4.extract_lane(acc0, 0) + f32x4.extract_lane(acc0, 1) +
      (f32x4.extract_lane(acc0, 2) + f32x4.extract_lane(acc0, 3));
    for (; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(bj + (<usize>p << 2));
    const o = out + (<usize>j << 2);
    store<f32>(o, accumulate ? load<f32>(o) + s : s);
  }
}

/** `out(m,n) (+)= a · bᵀ` with `b` stored `(n,k)`. */
export function matmulNT(
  out: usize, a: usize, b: usize, m: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  gemmNT(out, a, b, 0, m, k, n, accumulate, lda, ldb, ldc, scratch);
}

/** Gathered `A·Bᵀ`: `out[rows[r]] (+)= a[rows[r]] · bᵀ`. */
export function matmulNTRows(
  out: usize, a: usize, b: usize, rows: usize, count: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  if (count == 0) return;
  gemmNT(out, a, b, rows, count, k, n, accumulate, lda, ldb, ldc, scratch);
}

/**
 * Gathered `Aᵀ·B`: `out(m,n) (+)= Σ_r a[rows[r]]ᵀ ⊗ b[rows[r]]`. `scratch` holds
 * {@link matmulTNRowsScratchBytes}.
 */
export function matmulTNRows(
  out: usize, a: usize, b: usize, rows: usize, count: i32, m: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  const packedB = scratch + <usize>TN_CHUNK * (<usize>m << 2);
  const cRow = <usize>ldc << 2;
  if (count == 0 && !accumulate) {
    for (let i = 0; i < m; i++) memory.fill(out + <usize>i * cRow, 0, <usize>n << 2);
    return;
  }
  for (let r0 = 0; r0 < count; r0 += TN_CHUNK) {
    const rows0 = rows + (<usize>r0 << 2);
    const len = min(TN_CHUNK, count - r0);
    gatherPacked(scratch, a, <usize>lda << 2, rows0, len, m);
    gatherPacked(packedB, b, <usize>ldb << 2, rows0, len, n);
    gemm(out, scratch, packedB, 0, m, len, n, 4, <usize>m << 2, <usize>n << 2, cRow, accumulate || r0 > 0);
  }
}
