import { madd } from './math';

// Register-tiled micro-kernels of the f32 matrix product. Each computes a tile of
// `C (+)= A·B` over the whole inner dimension `k`, holding the tile in SIMD registers.
//
// A's five values of step p sit at `a + p·aStep + 4r`: packed by gemm.ts (five rows
// interleaved, aStep = 20 bytes), or read in place where A's rows are adjacent at every p
// (Aᵀ·B), so every broadcast is an immediate offset from one pointer. B is read in place, row-major with `bStep`
// bytes per row. The five C rows are separate pointers, which lets gathered products
// scatter their rows and lets a partial block point its missing rows at a dummy row.
//
// Where the build enables relaxed SIMD (the `fma` variants), each multiply-add is one
// fused instruction: the same arithmetic peak on x86, but half the instructions, and
// instruction issue is what limits the loop below. Fused products round once, so the
// two variants differ in the last bits; within one variant every path sums the same way.
//
// Why 5×8: V8 gives wasm 15 vector registers on x86. Ten accumulators, two B vectors,
// one broadcast and one product temporary fit without spilling, and the loop is short
// enough that instruction issue, not arithmetic, is what limits it: larger tiles spill
// and unrolling k makes Binaryen interleave the steps until they spill too.

/** Scalar {@link madd}: column tails must round exactly as the lanes of a tile do. */
// @ts-ignore: decorator
@inline function maddScalar(a: f32, b: f32, c: f32): f32 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0) : c + a * b;
}

/** Accumulates a 5×8 tile. */
export function tile5x8(
  c0: usize, c1: usize, c2: usize, c3: usize, c4: usize,
  a: usize, aStep: usize, b: usize, bStep: usize, k: i32, accumulate: bool,
): void {
  let x00 = f32x4.splat(0), x01 = x00, x10 = x00, x11 = x00, x20 = x00;
  let x21 = x00, x30 = x00, x31 = x00, x40 = x00, x41 = x00;
  if (accumulate) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16);
    x10 = v128.load(c1); x11 = v128.load(c1, 16);
    x20 = v128.load(c2); x21 = v128.load(c2, 16);
    x30 = v128.load(c3); x31 = v128.load(c3, 16);
    x40 = v128.load(c4); x41 = v128.load(c4, 16);
  }
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    const s0 = v128.load32_splat(a);
    x00 = madd(s0, b0, x00); x01 = madd(s0, b1, x01);
    const s1 = v128.load32_splat(a, 4);
    x10 = madd(s1, b0, x10); x11 = madd(s1, b1, x11);
    const s2 = v128.load32_splat(a, 8);
    x20 = madd(s2, b0, x20); x21 = madd(s2, b1, x21);
    const s3 = v128.load32_splat(a, 12);
    x30 = madd(s3, b0, x30); x31 = madd(s3, b1, x31);
    const s4 = v128.load32_splat(a, 16);
    x40 = madd(s4, b0, x40); x41 = madd(s4, b1, x41);
    a += aStep; b += bStep;
  }
  v128.store(c0, x00); v128.store(c0, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
  v128.store(c4, x40); v128.store(c4, x41, 16);
}

/**
 * Accumulates a 2×16 tile whose two A rows are read in place (`a0`, `a1`, elements
 * `aStep` bytes apart): a gathered product 16 columns wide (one head's queries) packs
 * its rows for only two 5×8 tiles each, and that packing cost a fifth of the product.
 * The attention products use it for their last rows too. Each element's chain of
 * multiply-adds over p is the 5×8 tile's, so the bits are too.
 */
export function tile2x16(
  c0: usize, c1: usize, a0: usize, a1: usize, aStep: usize, b: usize, bStep: usize, k: i32, accumulate: bool,
): void {
  let x00 = f32x4.splat(0), x01 = x00, x02 = x00, x03 = x00;
  let x10 = x00, x11 = x00, x12 = x00, x13 = x00;
  if (accumulate) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16); x02 = v128.load(c0, 32); x03 = v128.load(c0, 48);
    x10 = v128.load(c1); x11 = v128.load(c1, 16); x12 = v128.load(c1, 32); x13 = v128.load(c1, 48);
  }
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    const s0 = v128.load32_splat(a0);
    x00 = madd(s0, b0, x00); x01 = madd(s0, b1, x01); x02 = madd(s0, b2, x02); x03 = madd(s0, b3, x03);
    const s1 = v128.load32_splat(a1);
    x10 = madd(s1, b0, x10); x11 = madd(s1, b1, x11); x12 = madd(s1, b2, x12); x13 = madd(s1, b3, x13);
    a0 += aStep; a1 += aStep; b += bStep;
  }
  v128.store(c0, x00); v128.store(c0, x01, 16); v128.store(c0, x02, 32); v128.store(c0, x03, 48);
  v128.store(c1, x10); v128.store(c1, x11, 16); v128.store(c1, x12, 32); v128.store(c1, x13, 48);
}

/** Accumulates a 5×4 tile (a column tail of 4 to 7). */
export function tile5x4(
  c0: usize, c1: usize, c2: usize, c3: usize, c4: usize,
  a: usize, aStep: usize, b: usize, bStep: usize, k: i32, accumulate: bool,
): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0, x4 = x0;
  if (accumulate) {
    x0 = v128.load(c0); x1 = v128.load(c1); x2 = v128.load(c2); x3 = v128.load(c3); x4 = v128.load(c4);
  }
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    x0 = madd(v128.load32_splat(a), b0, x0);
    x1 = madd(v128.load32_splat(a, 4), b0, x1);
    x2 = madd(v128.load32_splat(a, 8), b0, x2);
    x3 = madd(v128.load32_splat(a, 12), b0, x3);
    x4 = madd(v128.load32_splat(a, 16), b0, x4);
    a += aStep; b += bStep;
  }
  v128.store(c0, x0); v128.store(c1, x1); v128.store(c2, x2); v128.store(c3, x3); v128.store(c4, x4);
}

/** Accumulates a 5×1 tile (a column tail of 1 to 3): five dot products down one B column. */
export function tile5x1(
  c0: usize, c1: usize, c2: usize, c3: usize, c4: usize,
  a: usize, aStep: usize, b: usize, bStep: usize, k: i32, accumulate: bool,
): void {
  // Lane r of the accumulator is row r; the fifth row runs as a scalar beside it. Both
  // start from C, so the sum runs in the order of p from C like every other tile.
  let x = f32x4.splat(0);
  let x4: f32 = 0;
  if (accumulate) {
    x = f32x4.replace_lane(x, 0, load<f32>(c0));
    x = f32x4.replace_lane(x, 1, load<f32>(c1));
    x = f32x4.replace_lane(x, 2, load<f32>(c2));
    x = f32x4.replace_lane(x, 3, load<f32>(c3));
    x4 = load<f32>(c4);
  }
  for (let p = 0; p < k; p++) {
    const bv = load<f32>(b);
    x = madd(v128.load(a), f32x4.splat(bv), x);
    x4 = maddScalar(load<f32>(a, 16), bv, x4);
    a += aStep; b += bStep;
  }
  store<f32>(c0, f32x4.extract_lane(x, 0));
  store<f32>(c1, f32x4.extract_lane(x, 1));
  store<f32>(c2, f32x4.extract_lane(x, 2));
  store<f32>(c3, f32x4.extract_lane(x, 3));
  store<f32>(c4, x4);
}

/**
 * `c[j] (+)= Σ_p a(p) · b[p, j]` for one row (`a(p)` at `a + p·aStep`): a block of a
 * single row, where packing and a five-row tile would waste four fifths of the work.
 */
export function rowTimesMatrix(c: usize, a: usize, aStep: usize, b: usize, bStep: usize, k: i32, n: i32, accumulate: bool): void {
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const cj = c + (<usize>j << 2);
    let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
    if (accumulate) {
      x0 = v128.load(cj); x1 = v128.load(cj, 16); x2 = v128.load(cj, 32); x3 = v128.load(cj, 48);
    }
    let ap = a, bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++, ap += aStep, bp += bStep) {
      const s = v128.load32_splat(ap);
      x0 = madd(s, v128.load(bp), x0);
      x1 = madd(s, v128.load(bp, 16), x1);
      x2 = madd(s, v128.load(bp, 32), x2);
      x3 = madd(s, v128.load(bp, 48), x3);
    }
    v128.store(cj, x0); v128.store(cj, x1, 16); v128.store(cj, x2, 32); v128.store(cj, x3, 48);
  }
  for (; j + 4 <= n; j += 4) {
    const cj = c + (<usize>j << 2);
    let x0 = accumulate ? v128.load(cj) : f32x4.splat(0);
    let ap = a, bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++, ap += aStep, bp += bStep) {
      x0 = madd(v128.load32_splat(ap), v128.load(bp), x0);
    }
    v128.store(cj, x0);
  }
  for (; j < n; j++) {
    const cj = c + (<usize>j << 2);
    let x: f32 = accumulate ? load<f32>(cj) : 0;
    let ap = a, bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++, ap += aStep, bp += bStep) x = maddScalar(load<f32>(ap), load<f32>(bp), x);
    store<f32>(cj, x);
  }
}

/**
 * Four `madd` steps, columns `o/4 … o/4 + 3` of rows `a0 … a3` (read as four vectors and
 * transposed in registers: one row per lane) times `b(p) … b(p+3)`, in the order of p.
 */
// @ts-ignore: decorator
@inline function madd4x4(acc: v128, a0: usize, a1: usize, a2: usize, a3: usize, o: usize, b: usize, bStep: usize): v128 {
  const r0 = v128.load(a0 + o), r1 = v128.load(a1 + o), r2 = v128.load(a2 + o), r3 = v128.load(a3 + o);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  acc = madd(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.load32_splat(b), acc);
  acc = madd(v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), v128.load32_splat(b + bStep), acc);
  acc = madd(v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), v128.load32_splat(b + 2 * bStep), acc);
  return madd(v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), v128.load32_splat(b + 3 * bStep), acc);
}

/** Column `o/4` of rows `a0 … a3` as one vector. */
// @ts-ignore: decorator
@inline function column4(a0: usize, a1: usize, a2: usize, a3: usize, o: usize): v128 {
  return v128.load32_lane(a3 + o, v128.load32_lane(a2 + o, v128.load32_lane(a1 + o, v128.load32_zero(a0 + o), 1), 2), 3);
}

/** Row `min(i, m − 1)` of A: the rows past the last of a group repeat it (computed, never stored). */
// @ts-ignore: decorator
@inline function clampedRow(a: usize, aRow: usize, i: i32, m: i32): usize {
  return a + <usize>min(i, m - 1) * aRow;
}

/** `c` of `n` (at most 4) consecutive output rows as the lanes of a vector, 0 past them. */
// @ts-ignore: decorator
@inline function loadLanes(c: usize, cRow: usize, n: i32): v128 {
  let x = f32x4.splat(0);
  if (n > 0) x = f32x4.replace_lane(x, 0, load<f32>(c));
  if (n > 1) x = f32x4.replace_lane(x, 1, load<f32>(c + cRow));
  if (n > 2) x = f32x4.replace_lane(x, 2, load<f32>(c + 2 * cRow));
  if (n > 3) x = f32x4.replace_lane(x, 3, load<f32>(c + 3 * cRow));
  return x;
}

/** Stores the first `n` (at most 4) lanes of `x` to consecutive output rows. */
// @ts-ignore: decorator
@inline function storeLanes(c: usize, cRow: usize, n: i32, x: v128): void {
  if (n > 0) store<f32>(c, f32x4.extract_lane(x, 0));
  if (n > 1) store<f32>(c + cRow, f32x4.extract_lane(x, 1));
  if (n > 2) store<f32>(c + 2 * cRow, f32x4.extract_lane(x, 2));
  if (n > 3) store<f32>(c + 3 * cRow, f32x4.extract_lane(x, 3));
}

/**
 * `c[i] (+)= Σ_p a[i, p] · b(p)` for `m` rows of A (`aRow` bytes apart, each contiguous)
 * and one column of B (`b(p)` at `b + p·bStep`): a product with a single column (a
 * router's logits for one token), where packing A into blocks for five-row tiles of one
 * column costs several times the arithmetic. Four rows share a vector, one per lane,
 * read in place and transposed in registers; twelve rows run at once so that their
 * chains overlap. Each lane is the chain `madd` from C over p in order, as in every
 * tile: the same bits.
 */
export function rowsTimesColumn(c: usize, cRow: usize, a: usize, aRow: usize, b: usize, bStep: usize, m: i32, k: i32, accumulate: bool): void {
  for (let i0 = 0; i0 < m; i0 += 12) {
    const a0 = clampedRow(a, aRow, i0, m), a1 = clampedRow(a, aRow, i0 + 1, m);
    const a2 = clampedRow(a, aRow, i0 + 2, m), a3 = clampedRow(a, aRow, i0 + 3, m);
    const a4 = clampedRow(a, aRow, i0 + 4, m), a5 = clampedRow(a, aRow, i0 + 5, m);
    const a6 = clampedRow(a, aRow, i0 + 6, m), a7 = clampedRow(a, aRow, i0 + 7, m);
    const a8 = clampedRow(a, aRow, i0 + 8, m), a9 = clampedRow(a, aRow, i0 + 9, m);
    const a10 = clampedRow(a, aRow, i0 + 10, m), a11 = clampedRow(a, aRow, i0 + 11, m);
    const h = min(12, m - i0);
    const c0 = c + <usize>i0 * cRow, c4 = c0 + 4 * cRow, c8 = c0 + 8 * cRow;
    let x0 = f32x4.splat(0), x1 = x0, x2 = x0;
    if (accumulate) {
      x0 = loadLanes(c0, cRow, h);
      x1 = loadLanes(c4, cRow, h - 4);
      x2 = loadLanes(c8, cRow, h - 8);
    }
    let p = 0;
    let bp = b;
    for (; p + 4 <= k; p += 4, bp += 4 * bStep) {
      const o = <usize>p << 2;
      x0 = madd4x4(x0, a0, a1, a2, a3, o, bp, bStep);
      x1 = madd4x4(x1, a4, a5, a6, a7, o, bp, bStep);
      x2 = madd4x4(x2, a8, a9, a10, a11, o, bp, bStep);
    }
    for (; p < k; p++, bp += bStep) {
      const o = <usize>p << 2;
      const s = v128.load32_splat(bp);
      x0 = madd(column4(a0, a1, a2, a3, o), s, x0);
      x1 = madd(column4(a4, a5, a6, a7, o), s, x1);
      x2 = madd(column4(a8, a9, a10, a11, o), s, x2);
    }
    storeLanes(c0, cRow, h, x0);
    storeLanes(c4, cRow, h - 4, x1);
    storeLanes(c8, cRow, h - 8, x2);
  }
}
