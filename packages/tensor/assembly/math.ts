// Vector math shared by the kernels: multiply-add, the one exp of the fast backend, and
// horizontal reductions of a vector's four lanes.

/**
 * `a·b + c` per lane: one fused instruction where the build enables relaxed SIMD (the
 * `fma` variants), else a product then a sum. Fused, it rounds once, so the variants
 * differ in the last bits; within one variant every kernel rounds the same way.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_madd(a, b, c) : f32x4.add(c, f32x4.mul(a, b));
}

/** `c − a·b` per lane, fused like {@link madd}. */
// @ts-ignore: decorator
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  return ASC_FEATURE_RELAXED_SIMD ? f32x4.relaxed_nmadd(a, b, c) : f32x4.sub(c, f32x4.mul(a, b));
}

// Cody–Waite split of ln 2: `n·LN2_HI` is exact for the |n| ≤ 150 used here.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const LOG2E: f32 = 1.44269504088896341;
// Minimax coefficients of (eʳ − 1 − r) / r² on |r| ≤ ln2/2 (the classic single-precision
// set): about 1 ulp relative error overall.
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

/**
 * `eˣ` of each lane. Inputs are clamped to [−104, 89], past which the result is 0 or
 * +∞ anyway. The clamp uses pmin/pmax (one instruction each, unlike min/max), which
 * keep a NaN lane as it is, so NaN gives NaN. `n = round(x·log2 e)` comes from the
 * 1.5·2²³ trick, which also leaves n as an integer in the low bits. `2ⁿ` is built from
 * exponent bits in two halves so that n = 128 (results just under FLT_MAX) and
 * n < −126 (subnormal results) both come out right.
 */
// @ts-ignore: decorator
@inline export function expv(x: v128): v128 {
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(89)), f32x4.splat(-104));
  const magic = f32x4.splat(12582912);
  const t = madd(x, f32x4.splat(LOG2E), magic);
  const n = f32x4.sub(t, magic);
  const r = nmadd(n, f32x4.splat(LN2_LO), nmadd(n, f32x4.splat(LN2_HI), x));
  let p = madd(f32x4.splat(P0), r, f32x4.splat(P1));
  p = madd(p, r, f32x4.splat(P2));
  p = madd(p, r, f32x4.splat(P3));
  p = madd(p, r, f32x4.splat(P4));
  p = madd(p, r, f32x4.splat(P5));
  const e = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  const ni = i32x4.sub(t, magic);
  const half = i32x4.shr_s(ni, 1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(half, bias), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, half), bias), 23);
  return f32x4.mul(f32x4.mul(e, s1), s2);
}

/** Scalar `eˣ` through lane 0 of {@link expv}, for row tails: one definition of exp. */
// @ts-ignore: decorator
@inline export function exps(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

/** `1 / (1 + e⁻ˣ)` of each lane: 0 for large negative x (e⁻ˣ = ∞), 1 for large positive. */
// @ts-ignore: decorator
@inline export function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

/**
 * Zeroes the `n` floats at `x` with vector stores: banded rows zero many short stretches,
 * often empty, for which memory.fill's call into the runtime costs more than the stores.
 */
export function zeroFloats(x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(x + (<usize>j << 2), zero);
  for (; j < n; j++) store<f32>(x + (<usize>j << 2), 0);
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Max of the four lanes; NaN if any lane is NaN. */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

/** Sum of the four lanes of `v`, widened to f64 first. */
// @ts-ignore: decorator
@inline export function hsum64(v: v128): f64 {
  const s = f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * Max of `n` floats at `x` for shifting a softmax row: −∞ for n = 0. It may skip NaNs
 * (pmax is one instruction, max about six), which is harmless there: a NaN element
 * still makes its row's sum, and so the whole row, NaN.
 */
export function shiftMax(x: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) m = f32x4.pmax(m, v128.load(x + (<usize>j << 2)));
  let s = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v > s) s = v;
  }
  return s;
}

/** Max of `n` floats at `x`: −∞ for n = 0, NaN if any is NaN. */
export function rowMax(x: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) m = f32x4.max(m, v128.load(x + (<usize>j << 2)));
  let s = hmax(m);
  for (; j < n; j++) s = max(s, load<f32>(x + (<usize>j << 2)));
  return s;
}
