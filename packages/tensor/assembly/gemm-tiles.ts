// Register-tiled micro-kernels of the f32 matrix product: each computes a small tile of
// `C += A·B` (or `C = A·B`) over the whole inner dimension `k`, keeping the tile in
// SIMD registers. The drivers in gemm.ts cover a matrix with these tiles.
//
// One tile shape serves every layout: A is addressed through one pointer per tile row
// plus `aStep`, the byte distance between consecutive inner-dimension elements (4 for a
// row-major A, the row stride for a transposed A). Rows may come from an index list,
// which is how the gathered products reuse these kernels. B is always row-major
// (`bStep` bytes per row) and C rows are given by pointer.
//
// Why 4×16: sixteen f32x4 accumulators plus four B vectors and one broadcast A value
// is the largest tile that fits the x86 register file V8 gives wasm, and it needs only
// 8 loads per 32 vector multiply-adds, so the loop is bound by arithmetic, not loads.

/** Accumulates a 4×16 tile: 4 rows of A against 16 columns of B. */
export function tile4x16(
  c0: usize, c1: usize, c2: usize, c3: usize,
  a0: usize, a1: usize, a2: usize, a3: usize, aStep: usize,
  b: usize, bStep: usize, k: i32, accumulate: bool,
): void {
  let x00 = f32x4.splat(0), x01 = x00, x02 = x00, x03 = x00;
  let x10 = x00, x11 = x00, x12 = x00, x13 = x00;
  let x20 = x00, x21 = x00, x22 = x00, x23 = x00;
  let x30 = x00, x31 = x00, x32 = x00, x33 = x00;
  if (accumulate) {
    x00 = v128.load(c0); x01 = v128.load(c0, 16); x02 = v128.load(c0, 32); x03 = v128.load(c0, 48);
    x10 = v128.load(c1); x11 = v128.load(c1, 16); x12 = v128.load(c1, 32); x13 = v128.load(c1, 48);
    x20 = v128.load(c2); x21 = v128.load(c2, 16); x22 = v128.load(c2, 32); x23 = v128.load(c2, 48);
    x30 = v128.load(c3); x31 = v128.load(c3, 16); x32 = v128.load(c3, 32); x33 = v128.load(c3, 48);
  }
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    let s = v128.load32_splat(a0);
    x00 = f32x4.add(x00, f32x4.mul(s, b0)); x01 = f32x4.add(x01, f32x4.mul(s, b1));
    x02 = f32x4.add(x02, f32x4.mul(s, b2)); x03 = f32x4.add(x03, f32x4.mul(s, b3));
    s = v128.load32_splat(a1);
    x10 = f32x4.add(x10, f32x4.mul(s, b0)); x11 = f32x4.add(x11, f32x4.mul(s, b1));
    x12 = f32x4.add(x12, f32x4.mul(s, b2)); x13 = f32x4.add(x13, f32x4.mul(s, b3));
    s = v128.load32_splat(a2);
    x20 = f32x4.add(x20, f32x4.mul(s, b0)); x21 = f32x4.add(x21, f32x4.mul(s, b1));
    x22 = f32x4.add(x22, f32x4.mul(s, b2)); x23 = f32x4.add(x23, f32x4.mul(s, b3));
    s = v128.load32_splat(a3);
    x30 = f32x4.add(x30, f32x4.mul(s, b0)); x31 = f32x4.add(x31, f32x4.mul(s, b1));
    x32 = f32x4.add(x32, f32x4.mul(s, b2)); x33 = f32x4.add(x33, f32x4.mul(s, b3));
    a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep; b += bStep;
  }
  v128.store(c0, x00); v128.store(c0, x01, 16); v128.store(c0, x02, 32); v128.store(c0, x03, 48);
  v128.store(c1, x10); v128.store(c1, x11, 16); v128.store(c1, x12, 32); v128.store(c1, x13, 48);
  v128.store(c2, x20); v128.store(c2, x21, 16); v128.store(c2, x22, 32); v128.store(c2, x23, 48);
  v128.store(c3, x30); v128.store(c3, x31, 16); v128.store(c3, x32, 32); v128.store(c3, x33, 48);
}

/** Accumulates a 4×4 tile (column tails of 4 to 15). */
export function tile4x4(
  c0: usize, c1: usize, c2: usize, c3: usize,
  a0: usize, a1: usize, a2: usize, a3: usize, aStep: usize,
  b: usize, bStep: usize, k: i32, accumulate: bool,
): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
  if (accumulate) {
    x0 = v128.load(c0); x1 = v128.load(c1); x2 = v128.load(c2); x3 = v128.load(c3);
  }
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(a0), b0));
    x1 = f32x4.add(x1, f32x4.mul(v128.load32_splat(a1), b0));
    x2 = f32x4.add(x2, f32x4.mul(v128.load32_splat(a2), b0));
    x3 = f32x4.add(x3, f32x4.mul(v128.load32_splat(a3), b0));
    a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep; b += bStep;
  }
  v128.store(c0, x0); v128.store(c1, x1); v128.store(c2, x2); v128.store(c3, x3);
}

/** Accumulates a 1×16 tile (row tails). */
export function tile1x16(c0: usize, a0: usize, aStep: usize, b: usize, bStep: usize, k: i32, accumulate: bool): void {
  let x0 = f32x4.splat(0), x1 = x0, x2 = x0, x3 = x0;
  if (accumulate) {
    x0 = v128.load(c0); x1 = v128.load(c0, 16); x2 = v128.load(c0, 32); x3 = v128.load(c0, 48);
  }
  for (let p = 0; p < k; p++) {
    const s = v128.load32_splat(a0);
    x0 = f32x4.add(x0, f32x4.mul(s, v128.load(b)));
    x1 = f32x4.add(x1, f32x4.mul(s, v128.load(b, 16)));
    x2 = f32x4.add(x2, f32x4.mul(s, v128.load(b, 32)));
    x3 = f32x4.add(x3, f32x4.mul(s, v128.load(b, 48)));
    a0 += aStep; b += bStep;
  }
  v128.store(c0, x0); v128.store(c0, x1, 16); v128.store(c0, x2, 32); v128.store(c0, x3, 48);
}

/** Accumulates a 1×4 tile. */
export function tile1x4(c0: usize, a0: usize, aStep: usize, b: usize, bStep: usize, k: i32, accumulate: bool): void {
  let x0 = accumulate ? v128.load(c0) : f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(a0), v128.load(b)));
    a0 += aStep; b += bStep;
  }
  v128.store(c0, x0);
}

/** One output element (column tails of 1 to 3): a scalar dot product. */
export function tile1x1(c0: usize, a0: usize, aStep: usize, b: usize, bStep: usize, k: i32, accumulate: bool): void {
  let x: f32 = accumulate ? load<f32>(c0) : 0;
  for (let p = 0; p < k; p++) {
    x += load<f32>(a0) * load<f32>(b);
    a0 += aStep; b += bStep;
  }
  store<f32>(c0, x);
}
