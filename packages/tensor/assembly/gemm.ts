// Drivers that cover a whole product with the micro-kernels of gemm-tiles.ts, plus the
// packing routines that turn the other layouts into the one the tiles read.
//
// All pointers are byte offsets into the module's (imported) memory; sizes are element
// counts; strides passed here are already in bytes.

import { rowsTimesColumn, rowTimesMatrix, tile2x16, tile5x1, tile5x4, tile5x8 } from './gemm-tiles';

/** Row `i` of the product: itself, or `rows[i]` when an index list is given. */
// @ts-ignore: decorator
@inline function rowAt(rows: usize, i: i32): usize {
  return rows == 0 ? <usize>i : <usize>load<i32>(rows + (<usize>i << 2));
}

/** Widest product (columns) that reads Aᵀ·B blocks in place instead of packing them. */
const NARROW: i32 = 16;

/** Rows per block: the height of the tiles. */
const BLOCK: i32 = 5;

/**
 * Widest product (a multiple of 16 columns) whose A rows {@link panel16} reads in place
 * with 2×16 tiles: at 128 columns and thousands of rows streaming B once per row pair
 * instead of once per five rows costs more than packing saves (measured 5 % slower).
 */
const PANEL16_MAX: i32 = 96;

/**
 * Inner-dimension panel of {@link gemm}: 512 rows of a 256-wide B take 512 KiB of L2.
 * Against 256: 4 % faster on `(8192, 512)·(512, 128)`, even on the weight gradients
 * (k = 8192), and a T = 512 training step 0.7 % faster; the bits do not depend on it.
 */
const K_PANEL: i32 = 512;

/** Scratch bytes {@link gemm} needs: one packed A block and a dummy 8-float output tile. */
export function gemmScratchBytes(k: i32): usize {
  return (<usize>BLOCK * <usize>min(k, K_PANEL) + 12) << 2;
}

/**
 * Packs rows `row(i0) … row(i0 + h − 1)` of A, `k` elements each, interleaved as
 * `dst[p·5 + r]`; rows `h … 4` of a partial block become zeroes. Packing costs about
 * 1/n of the block's arithmetic, so the two common layouts get SIMD paths.
 */
function packBlock(dst: usize, a: usize, rows: usize, i0: i32, h: i32, k: i32, aRow: usize, aStep: usize): void {
  if (h == BLOCK && aRow == 4 && rows == 0) {
    // Aᵀ·B: the five rows are adjacent at every p.
    let s = a + (<usize>i0 << 2);
    for (let p = 0; p < k; p++, dst += 20, s += aStep) {
      v128.store(dst, v128.load(s));
      store<f32>(dst, load<f32>(s, 16), 16);
    }
    return;
  }
  if (h == BLOCK && aStep == 4) {
    // A·B: each row is contiguous; transpose 4×4 blocks of rows 0–3, row 4 beside them.
    const s0 = a + rowAt(rows, i0) * aRow, s1 = a + rowAt(rows, i0 + 1) * aRow;
    const s2 = a + rowAt(rows, i0 + 2) * aRow, s3 = a + rowAt(rows, i0 + 3) * aRow;
    const s4 = a + rowAt(rows, i0 + 4) * aRow;
    const k4 = k & ~3;
    let p = 0;
    for (; p < k4; p += 4, dst += 80) {
      const o = <usize>p << 2;
      const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 20);
      v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 40);
      v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 60);
      store<f32>(dst, load<f32>(s4 + o), 16);
      store<f32>(dst, load<f32>(s4 + o, 4), 36);
      store<f32>(dst, load<f32>(s4 + o, 8), 56);
      store<f32>(dst, load<f32>(s4 + o, 12), 76);
    }
    for (; p < k; p++, dst += 20) {
      const o = <usize>p << 2;
      store<f32>(dst, load<f32>(s0 + o));
      store<f32>(dst, load<f32>(s1 + o), 4);
      store<f32>(dst, load<f32>(s2 + o), 8);
      store<f32>(dst, load<f32>(s3 + o), 12);
      store<f32>(dst, load<f32>(s4 + o), 16);
    }
    return;
  }
  for (let r = 0; r < BLOCK; r++) {
    let d = dst + (<usize>r << 2);
    if (r >= h) {
      for (let p = 0; p < k; p++, d += 20) store<f32>(d, 0);
      continue;
    }
    let s = a + rowAt(rows, i0 + r) * aRow;
    for (let p = 0; p < k; p++, d += 20, s += aStep) store<f32>(d, load<f32>(s));
  }
}

/**
 * `C[row(i), j] (+)= Σ_p A(row(i), p) · B[p, j]` for `i < m`, `j < n`, `p < k`, where
 * `A(r, p)` lives at `a + r·aRow + p·aStep` and `row(i)` is `i` or `rows[i]`; strides are
 * in bytes, `scratch` holds {@link gemmScratchBytes}.
 *
 * The inner dimension runs in panels of {@link K_PANEL}, each accumulating into C: a
 * panel of B (`K_PANEL × n`) then stays in the L2 cache while every block of A sweeps
 * it, where a whole long B (a weight gradient's `B·T × n`) would be re-read from memory
 * by each block. Every tile continues from the C it loads, so the panels sum each
 * element in the order of p exactly as one pass would: the split changes no bit.
 */
export function gemm(
  c: usize, a: usize, b: usize, rows: usize, m: i32, k: i32, n: i32,
  aRow: usize, aStep: usize, bStep: usize, cRow: usize, accumulate: bool, scratch: usize, cRows: usize = rows,
): void {
  if (k <= K_PANEL) {
    gemmPanel(c, a, b, rows, cRows, m, k, n, aRow, aStep, bStep, cRow, accumulate, scratch);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += K_PANEL) {
    const kc = min(K_PANEL, k - p0);
    gemmPanel(c, a + <usize>p0 * aStep, b + <usize>p0 * bStep, rows, cRows, m, kc, n, aRow, aStep, bStep, cRow, accumulate || p0 > 0, scratch);
  }
}

/**
 * One k-panel of {@link gemm}: `C[cRow(i), j] (+)= Σ_p A(row(i), p) · B[p, j]` for `i < m`, `j < n`, `p < k`, where
 * `A(r, p)` lives at `a + r·aRow + p·aStep`, `row(i)` is `i` or `rows[i]` and `cRow(i)`
 * is `i` or `cRows[i]` (the same list as A's, or none: compact output rows). Blocks of
 * five rows are packed into `scratch` ({@link gemmScratchBytes}) and swept across B,
 * whose rows are `bStep` bytes apart. Strides are in bytes. Full and partial blocks call
 * the tile from separate sites, which also keeps Binaryen from inlining it: inlined into
 * this loop nest it spills accumulators and runs 40% slower. One column with contiguous
 * A rows goes to {@link rowsTimesColumn}, 16 to 96 columns to {@link panel16}.
 */
function gemmPanel(
  c: usize, a: usize, b: usize, rows: usize, cRows: usize, m: i32, k: i32, n: i32,
  aRow: usize, aStep: usize, bStep: usize, cRow: usize, accumulate: bool, scratch: usize,
): void {
  if (n == 1 && aStep == 4 && rows == 0 && cRows == 0) {
    rowsTimesColumn(c, cRow, a, aRow, b, bStep, m, k, accumulate);
    return;
  }
  if ((n & 15) == 0 && n <= PANEL16_MAX && aStep == 4) {
    panel16(c, a, b, rows, cRows, m, k, n, aRow, bStep, cRow, accumulate);
    return;
  }
  const packed = scratch;
  // Missing rows of a partial block write (and, accumulating, read) this tile.
  const dummy = (scratch + (<usize>BLOCK * <usize>k << 2) + 15) & ~15;
  const n8 = n & ~7;
  const n4 = n & ~3;
  for (let i0 = 0; i0 < m; i0 += BLOCK) {
    const h = min(BLOCK, m - i0);
    if (h == 1) {
      rowTimesMatrix(c + rowAt(cRows, i0) * cRow, a + rowAt(rows, i0) * aRow, aStep, b, bStep, k, n, accumulate);
      continue;
    }
    // A narrow product (one or two tiles per block) reads a full block of Aᵀ·B in place:
    // packing would cost as much as the tiles. Wider ones pack once for many tiles.
    const direct = h == BLOCK && rows == 0 && aRow == 4 && n <= NARROW;
    const ap = direct ? a + (<usize>i0 << 2) : packed;
    const ps: usize = direct ? aStep : 20;
    if (!direct) packBlock(packed, a, rows, i0, h, k, aRow, aStep);
    const c0 = c + rowAt(cRows, i0) * cRow;
    const c1 = c + rowAt(cRows, i0 + 1) * cRow;
    const c2 = h > 2 ? c + rowAt(cRows, i0 + 2) * cRow : 0;
    const c3 = h > 3 ? c + rowAt(cRows, i0 + 3) * cRow : 0;
    const c4 = h > 4 ? c + rowAt(cRows, i0 + 4) * cRow : 0;
    let j = 0;
    if (h == BLOCK) {
      for (; j < n8; j += 8) {
        const o = <usize>j << 2;
        tile5x8(c0 + o, c1 + o, c2 + o, c3 + o, c4 + o, ap, ps, b + o, bStep, k, accumulate);
      }
    } else {
      for (; j < n8; j += 8) {
        const o = <usize>j << 2;
        tile5x8(c0 + o, c1 + o, h > 2 ? c2 + o : dummy, h > 3 ? c3 + o : dummy, dummy,
          ap, ps, b + o, bStep, k, accumulate);
      }
    }
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      tile5x4(c0 + o, c1 + o, h > 2 ? c2 + o : dummy, h > 3 ? c3 + o : dummy, h > 4 ? c4 + o : dummy,
        ap, ps, b + o, bStep, k, accumulate);
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      tile5x1(c0 + o, c1 + o, h > 2 ? c2 + o : dummy, h > 3 ? c3 + o : dummy, h > 4 ? c4 + o : dummy,
        ap, ps, b + o, bStep, k, accumulate);
    }
  }
}

/**
 * {@link gemmPanel} of a product of 16 to {@link PANEL16_MAX} columns (a multiple of 16)
 * with contiguous A rows: one head's queries (gathered or not), a few heads', the K/V
 * projection. Pairs of rows are read in place by {@link tile2x16}, 16 columns at a time:
 * packing A costs about 1/n of the arithmetic, a fifth of a 16-wide product. Measured
 * (d = 128, against packing, same process): 16 columns 16 % faster, 32 and 64 about
 * 7–15 %, 96 about 9 %.
 */
function panel16(
  c: usize, a: usize, b: usize, rows: usize, cRows: usize, m: i32, k: i32, n: i32, aRow: usize, bStep: usize, cRow: usize,
  accumulate: bool,
): void {
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const a0 = a + rowAt(rows, i) * aRow, a1 = a + rowAt(rows, i + 1) * aRow;
    const c0 = c + rowAt(cRows, i) * cRow, c1 = c + rowAt(cRows, i + 1) * cRow;
    for (let j = 0; j < n; j += 16) {
      const o = <usize>j << 2;
      tile2x16(c0 + o, c1 + o, a0, a1, 4, b + o, bStep, k, accumulate);
    }
  }
  if (i < m) rowTimesMatrix(c + rowAt(cRows, i) * cRow, a + rowAt(rows, i) * aRow, 4, b, bStep, k, n, accumulate);
}

/**
 * Transposes `src(rows, cols)` (row stride `srcRow` bytes) into `dst(cols, rows)` (row
 * stride `dstRow` bytes), 4×4 blocks at a time through lane shuffles.
 */
export function transpose(dst: usize, dstRow: usize, src: usize, srcRow: usize, rows: i32, cols: i32): void {
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  for (let i = 0; i < rows4; i += 4) {
    const s0 = src + <usize>i * srcRow;
    const s1 = s0 + srcRow, s2 = s1 + srcRow, s3 = s2 + srcRow;
    const d = dst + (<usize>i << 2);
    for (let j = 0; j < cols4; j += 4) {
      const o = <usize>j << 2;
      const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const dj = d + <usize>j * dstRow;
      v128.store(dj, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(dj + dstRow, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(dj + 2 * dstRow, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(dj + 3 * dstRow, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    }
    for (let j = cols4; j < cols; j++) {
      const o = <usize>j << 2;
      const dj = d + <usize>j * dstRow;
      store<f32>(dj, load<f32>(s0 + o));
      store<f32>(dj, load<f32>(s1 + o), 4);
      store<f32>(dj, load<f32>(s2 + o), 8);
      store<f32>(dj, load<f32>(s3 + o), 12);
    }
  }
  for (let i = rows4; i < rows; i++) {
    const s = src + <usize>i * srcRow;
    const d = dst + (<usize>i << 2);
    for (let j = 0; j < cols; j++) store<f32>(d + <usize>j * dstRow, load<f32>(s + (<usize>j << 2)));
  }
}

/** Copies `count` rows of `cols` floats: `dst[r] = src[rows[r]]`, packed densely. */
export function gatherPacked(dst: usize, src: usize, srcRow: usize, rows: usize, count: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    memory.copy(dst + <usize>r * bytes, src + rowAt(rows, r) * srcRow, bytes);
  }
}
