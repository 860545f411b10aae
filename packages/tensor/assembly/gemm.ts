// Drivers that cover a whole product with the micro-kernels of gemm-tiles.ts, plus the
// packing routines that turn the other layouts into the one the tiles read.
//
// All pointers are byte offsets into the module's (imported) memory; sizes are element
// counts; strides passed here are already in bytes.

import { tile1x1, tile1x16, tile1x4, tile4x16, tile4x4 } from './gemm-tiles';

/** Row `i` of the product: itself, or `rows[i]` when an index list is given. */
// @ts-ignore: decorator
@inline function rowAt(rows: usize, i: i32): usize {
  return rows == 0 ? <usize>i : <usize>load<i32>(rows + (<usize>i << 2));
}

/**
 * `C[row(i), j] (+)= Σ_p A(row(i), p) · B[p, j]` for `i < m`, `j < n`, `p < k`, where
 * `A(r, p)` lives at `a + r·aRow + p·aStep` and `row(i)` is `i` or `rows[i]`.
 * Column blocks are the outer loop so a `k × 16` strip of B stays in L1 while every
 * row block streams past it.
 */
export function gemm(
  c: usize, a: usize, b: usize, rows: usize, m: i32, k: i32, n: i32,
  aRow: usize, aStep: usize, bStep: usize, cRow: usize, accumulate: bool,
): void {
  const m4 = m & ~3;
  const n16 = n & ~15;
  const n4 = n & ~3;
  let j = 0;
  for (; j < n16; j += 16) {
    const bj = b + (<usize>j << 2);
    const cj = c + (<usize>j << 2);
    let i = 0;
    for (; i < m4; i += 4) {
      const r0 = rowAt(rows, i), r1 = rowAt(rows, i + 1), r2 = rowAt(rows, i + 2), r3 = rowAt(rows, i + 3);
      tile4x16(
        cj + r0 * cRow, cj + r1 * cRow, cj + r2 * cRow, cj + r3 * cRow,
        a + r0 * aRow, a + r1 * aRow, a + r2 * aRow, a + r3 * aRow, aStep,
        bj, bStep, k, accumulate,
      );
    }
    for (; i < m; i++) {
      const r = rowAt(rows, i);
      tile1x16(cj + r * cRow, a + r * aRow, aStep, bj, bStep, k, accumulate);
    }
  }
  for (; j < n4; j += 4) {
    const bj = b + (<usize>j << 2);
    const cj = c + (<usize>j << 2);
    let i = 0;
    for (; i < m4; i += 4) {
      const r0 = rowAt(rows, i), r1 = rowAt(rows, i + 1), r2 = rowAt(rows, i + 2), r3 = rowAt(rows, i + 3);
      tile4x4(
        cj + r0 * cRow, cj + r1 * cRow, cj + r2 * cRow, cj + r3 * cRow,
        a + r0 * aRow, a + r1 * aRow, a + r2 * aRow, a + r3 * aRow, aStep,
        bj, bStep, k, accumulate,
      );
    }
    for (; i < m; i++) {
      const r = rowAt(rows, i);
      tile1x4(cj + r * cRow, a + r * aRow, aStep, bj, bStep, k, accumulate);
    }
  }
  for (; j < n; j++) {
    const bj = b + (<usize>j << 2);
    const cj = c + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      const r = rowAt(rows, i);
      tile1x1(cj + r * cRow, a + r * aRow, aStep, bj, bStep, k, accumulate);
    }
  }
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
