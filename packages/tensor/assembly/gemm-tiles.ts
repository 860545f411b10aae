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
