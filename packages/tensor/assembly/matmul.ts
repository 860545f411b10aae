// Exported matrix products. Pointers are byte offsets; sizes and leading dimensions
// (`lda`, `ldb`, `ldc`) are in elements, as in the TypeScript `Kernels` interface.
// Every layout reduces to gemm.ts, which packs A blocks itself and reads B rows:
// - A·B, Aᵀ·B and the gathered A·B differ only in how A is addressed;
// - A·Bᵀ transposes B into scratch, whole when it is small enough (else a panel at a
//   time), costing k·n moves against 2·m·k·n flops. A single row goes the same way rather than through a lane-split dot
//   product: every layout then sums each output element in the order of k, whatever
//   the number of rows, which is what makes KV-cache decoding reproduce a full forward;
// - the gathered Aᵀ·B packs the listed rows of A and B densely, a chunk at a time.
// `scratch` always holds the bytes the matching `…ScratchBytes` function asks for.

import { gatherPacked, gemm, gemmScratchBytes, transpose } from './gemm';

/** Columns of B transposed per panel by the A·Bᵀ products, when B is too big to transpose whole. */
const NT_PANEL: i32 = 64;
/**
 * Elements of B (512 KiB, half the L2 cache) up to which A·Bᵀ transposes B whole: A is
 * then packed once rather than once per panel, which matters when A is tall (`dY·Wᵀ`
 * over a batch). Against 256 KiB: the LM head's `(8192, 605)·(605, 128)` 10–12 % faster.
 */
const NT_WHOLE: i32 = 131072;

/** Columns per transposed panel of an A·Bᵀ product with inner size k and n columns. */
// @ts-ignore: decorator
@inline function ntPanel(k: i32, n: i32): i32 {
  return <i64>k * <i64>n <= <i64>NT_WHOLE ? max(n, 1) : NT_PANEL;
}
/** Listed rows packed per chunk by the gathered Aᵀ·B. */
const TN_CHUNK: i32 = 256;

/** Scratch bytes for {@link matmul}, {@link matmulTN} and {@link matmulRows}. */
export function matmulScratchBytes(k: i32): usize {
  return gemmScratchBytes(k);
}

/** Scratch bytes for {@link matmulNT} and {@link matmulNTRows}. */
export function matmulNTScratchBytes(k: i32, n: i32): usize {
  return (<usize>k * <usize>ntPanel(k, n) << 2) + gemmScratchBytes(k);
}

/** Scratch bytes for {@link matmulTNRows}. */
export function matmulTNRowsScratchBytes(m: i32, n: i32): usize {
  return (<usize>TN_CHUNK * <usize>(m + n) << 2) + gemmScratchBytes(TN_CHUNK) + 16;
}

/** `out(m,n) (+)= a(m,k) · b(k,n)`. */
export function matmul(
  out: usize, a: usize, b: usize, m: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  gemm(out, a, b, 0, m, k, n, <usize>lda << 2, 4, <usize>ldb << 2, <usize>ldc << 2, accumulate, scratch);
}

/** `out(m,n) (+)= aᵀ · b` with `a` stored `(k,m)`. */
export function matmulTN(
  out: usize, a: usize, b: usize, m: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  gemm(out, a, b, 0, m, k, n, 4, <usize>lda << 2, <usize>ldb << 2, <usize>ldc << 2, accumulate, scratch);
}

/** Gathered `A·B`: `out[rows[r]] (+)= a[rows[r]] · b`. */
export function matmulRows(
  out: usize, a: usize, b: usize, rows: usize, count: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize, compact: bool,
): void {
  gemm(out, a, b, rows, count, k, n, <usize>lda << 2, 4, <usize>ldb << 2, <usize>ldc << 2, accumulate, scratch, compact ? 0 : rows);
}

/**
 * Column-block-gathered `A·B`: columns `j·width …` of `out` (+)= `a` · columns
 * `blocks[j]·width …` of `b`. A run of blocks adjacent in `b` is one product: each
 * element still sums over k in order, so every block has the bits it has alone.
 */
export function matmulColumnBlocks(
  out: usize, a: usize, b: usize, blocks: usize, count: i32, m: i32, k: i32, width: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  const bytes = <usize>width << 2;
  for (let j = 0; j < count; ) {
    const first = load<i32>(blocks + (<usize>j << 2));
    let end = j + 1;
    while (end < count && load<i32>(blocks + (<usize>end << 2)) == first + (end - j)) end++;
    gemm(out + <usize>j * bytes, a, b + <usize>first * bytes, 0, m, k, (end - j) * width, <usize>lda << 2, 4, <usize>ldb << 2, <usize>ldc << 2, accumulate, scratch);
    j = end;
  }
}

/** `out[row(i)] (+)= a[row(i)] · bᵀ` with `b` stored `(n,k)`; `row(i)` is `i` or `rows[i]`. */
function gemmNT(
  out: usize, a: usize, b: usize, rows: usize, m: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize, cRows: usize = rows,
): void {
  const aRow = <usize>lda << 2, bRow = <usize>ldb << 2, cRow = <usize>ldc << 2;
  if (n == 1) {
    // One row of B is already its transpose, a column of contiguous elements: read in place.
    gemm(out, a, b, rows, m, k, 1, aRow, 4, 4, cRow, accumulate, scratch, cRows);
    return;
  }
  const panel = scratch + gemmScratchBytes(k);
  const width = ntPanel(k, n);
  for (let j0 = 0; j0 < n; j0 += width) {
    const w = min(width, n - j0);
    transpose(panel, <usize>width << 2, b + <usize>j0 * bRow, bRow, w, k);
    gemm(out + (<usize>j0 << 2), a, panel, rows, m, k, w, aRow, 4, <usize>width << 2, cRow, accumulate, scratch, cRows);
  }
}

/** `out(m,n) (+)= a · bᵀ` with `b` stored `(n,k)`. */
export function matmulNT(
  out: usize, a: usize, b: usize, m: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize,
): void {
  gemmNT(out, a, b, 0, m, k, n, accumulate, lda, ldb, ldc, scratch);
}

/** Gathered `A·Bᵀ`: `out[rows[r]] (+)= a[rows[r]] · bᵀ`, or `a[r]` when `compact`. */
export function matmulNTRows(
  out: usize, a: usize, b: usize, rows: usize, count: i32, k: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize, compact: bool,
): void {
  if (count == 0) return;
  gemmNT(out, a, b, compact ? 0 : rows, count, k, n, accumulate, lda, ldb, ldc, scratch, rows);
}

/** Gathered `Aᵀ·B`: `out(m,n) (+)= Σ_r a[rows[r]]ᵀ ⊗ b[rows[r]]`, or `b[r]` when `compact` (read in place). */
export function matmulTNRows(
  out: usize, a: usize, b: usize, rows: usize, count: i32, m: i32, n: i32,
  accumulate: bool, lda: i32, ldb: i32, ldc: i32, scratch: usize, compact: bool,
): void {
  const cRow = <usize>ldc << 2;
  if (count == 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(out + <usize>i * cRow, 0, <usize>n << 2);
    return;
  }
  const packedA = (scratch + gemmScratchBytes(TN_CHUNK) + 15) & ~15;
  const packedB = packedA + (<usize>TN_CHUNK * <usize>m << 2);
  for (let r0 = 0; r0 < count; r0 += TN_CHUNK) {
    const rows0 = rows + (<usize>r0 << 2);
    const len = min(TN_CHUNK, count - r0);
    gatherPacked(packedA, a, <usize>lda << 2, rows0, len, m);
    if (compact) {
      gemm(out, packedA, b + <usize>r0 * (<usize>ldb << 2), 0, m, len, n, 4, <usize>m << 2, <usize>ldb << 2, cRow, accumulate || r0 > 0, scratch);
      continue;
    }
    gatherPacked(packedB, b, <usize>ldb << 2, rows0, len, n);
    gemm(out, packedA, packedB, 0, m, len, n, 4, <usize>m << 2, <usize>n << 2, cRow, accumulate || r0 > 0, scratch);
  }
}
