// Backward of the CoPE position bias and of the gates' sigmoid (see cope.ts for the
// scheme: float64 like the reference, clamped keys in vectors, the rest two at a time in
// float64 lanes). The unclamped keys take two passes: the per-key terms, with nothing
// chaining from key to key, two consecutive keys per vector; then the prefix sums, a
// chain per row, a row pair per vector. One fused pass held so many dependent operations
// per key that the core could not overlap enough keys to hide them. Pointers are byte
// offsets; `pos` and `dqeRow` are float64 scratch from the caller.

import { pairF32 } from './cope';
import { zeroFloats } from './math';

/** Rounds both float64 lanes to float32 and back, like `<f64>(<f32>x)`. */
// @ts-ignore: decorator
@inline function roundF32(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/**
 * The first half of the backward of key `j` of a row: adds its `q·E` gradient terms to
 * its pair in `dqeRow` (see copeBiasBackward) and replaces its position in `pos` by its
 * position-gradient term, float32-rounded as in the reference.
 */
// @ts-ignore: decorator
@inline function backKey(row: usize, e: usize, pos: usize, dqeRow: usize, j: i32, last: f64): void {
  const u = load<f64>(pos + (<usize>j << 3));
  const p = select<f64>(last, u, u >= last);
  const low = <i32>p;
  const phi = p - <f64>low;
  const step = <usize>(phi > 0);
  const g = <f64>load<f32>(row + (<usize>j << 2));
  const lp = dqeRow + (<usize>low << 4);
  // At φ = 0 both terms are entry ⌊p⌋'s (the second a zero but for a non-finite g).
  const wh = g * phi;
  store<f64>(lp, load<f64>(lp) + (g * (1 - phi) + (step ? 0 : wh)));
  store<f64>(lp, load<f64>(lp, 8) + (step ? wh : 0), 8);
  const at = e + (<usize>low << 2);
  // Past the clamp the position no longer moves with the gates.
  store<f64>(pos + (<usize>j << 3), u > last ? 0 : <f64>(<f32>(g * (<f64>load<f32>(at + (step << 2)) - <f64>load<f32>(at)))));
}

/**
 * {@link backKey} on keys `j … n − 1` of a row. Nothing chains from key to key here (but
 * the `q·E` gradient, through memory), so two consecutive keys share each float64
 * vector, the very operations of backKey lane by lane (`pmin(u, P − 1)` is its select,
 * NaN included), and their positions, gradients and terms move as one load or store.
 */
function backTerms(row: usize, e: usize, pos: usize, dqeRow: usize, j: i32, n: i32, last: f64): void {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const lastv = f64x2.splat(last);
  for (; j + 2 <= n; j += 2) {
    const pj = pos + (<usize>j << 3);
    const u = v128.load(pj);
    const p = f64x2.pmin(u, lastv);
    const low = i32x4.trunc_sat_f64x2_s_zero(p);
    const phi = f64x2.sub(p, f64x2.convert_low_i32x4_s(low));
    const step = f64x2.gt(phi, zero);
    const low0 = <usize>i32x4.extract_lane(low, 0);
    const low1 = <usize>i32x4.extract_lane(low, 1);
    const g = f64x2.promote_low_f32x4(v128.load64_zero(row + (<usize>j << 2)));
    const wl = f64x2.mul(g, f64x2.sub(one, phi));
    const wh = f64x2.mul(g, phi);
    // backKey's terms: at φ = 0 both go to the lower entry.
    const wlo = f64x2.add(wl, v128.andnot(wh, step));
    const whi = v128.and(wh, step);
    const lp0 = dqeRow + (low0 << 4);
    v128.store(lp0, f64x2.add(v128.load(lp0), v128.shuffle<f64>(wlo, whi, 0, 2)));
    const lp1 = dqeRow + (low1 << 4);
    v128.store(lp1, f64x2.add(v128.load(lp1), v128.shuffle<f64>(wlo, whi, 1, 3)));
    const at0 = e + (low0 << 2);
    const at1 = e + (low1 << 2);
    const hi0 = at0 + (<usize>(i32x4.extract_lane(step, 0) & 1) << 2);
    const hi1 = at1 + (<usize>(i32x4.extract_lane(step, 2) & 1) << 2);
    const slope = f64x2.sub(pairF32(hi0, hi1), pairF32(at0, at1));
    // Past the clamp the position no longer moves with the gates.
    v128.store(pj, v128.bitselect(zero, roundF32(f64x2.mul(g, slope)), f64x2.gt(u, lastv)));
  }
  if (j < n) backKey(row, e, pos, dqeRow, j, last);
}

/** The second half of the backward of key `j` of a row: the prefix sum `acc` of the terms left in `pos`, and `dS`. */
// @ts-ignore: decorator
@inline function backGate(row: usize, z: usize, pos: usize, j: i32, acc: f64, sc: f64): f64 {
  acc += load<f64>(pos + (<usize>j << 3));
  const o = row + (<usize>j << 2);
  const g = <f64>load<f32>(o);
  const s = <f64>load<f32>(z + (<usize>j << 2));
  store<f32>(o, <f32>(g * sc + <f64>(<f32>(<f64>(<f32>acc) * s * (1 - s)))));
  return acc;
}

/**
 * {@link backGate} on key `j0` of row 0 and key `j1` of row 1 at once, one row per
 * float64 lane with the same operations: the prefix sums are chains of dependent adds,
 * two rows' in one vector. Returns both.
 */
// @ts-ignore: decorator
@inline function backGatePair(
  row0: usize, row1: usize, z0: usize, z1: usize, pos0: usize, pos1: usize, j0: i32, j1: i32, acc: v128, scv: v128,
): v128 {
  const one = f64x2.splat(1);
  acc = f64x2.add(acc, v128.load64_lane(pos1 + (<usize>j1 << 3), v128.load64_zero(pos0 + (<usize>j0 << 3)), 1));
  const o0 = row0 + (<usize>j0 << 2);
  const o1 = row1 + (<usize>j1 << 2);
  const g = pairF32(o0, o1);
  const s = pairF32(z0 + (<usize>j0 << 2), z1 + (<usize>j1 << 2));
  const gate = roundF32(f64x2.mul(f64x2.mul(roundF32(acc), s), f64x2.sub(one, s)));
  const out = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(g, scv), gate));
  v128.store32_lane(o0, out, 0);
  v128.store32_lane(o1, out, 1);
  return acc;
}

/**
 * Continues a row's suffix sums `acc` into `pos` from key `j` down until they reach
 * `P − 1`, and returns how many keys are left below, all clamped there (gates are
 * never negative): {@link backClamped} takes them, adding their gradients' sum into
 * `*lp`. It is 0 (and every position stored) where that shortcut would not give the same
 * bits: a NaN or infinite gate below, a non-finite gradient `row` there or a non-finite
 * last table entry `*qLast`.
 */
function clampedKeys(pos: usize, z: usize, j: i32, acc: f64, last: f64, row: usize, qLast: usize, lp: usize): i32 {
  for (; j >= 0 && !(acc >= last); j--) {
    acc += <f64>load<f32>(z + (<usize>j << 2));
    store<f64>(pos + (<usize>j << 3), acc);
  }
  if (j < 0) return 0;
  const sum = clampedSum(row, z, j + 1);
  if (abs(sum) < Infinity && abs(load<f32>(qLast)) < Infinity) {
    store<f64>(lp, load<f64>(lp) + sum);
    return j + 1;
  }
  for (; j >= 0; j--) {
    acc += <f64>load<f32>(z + (<usize>j << 2));
    store<f64>(pos + (<usize>j << 3), acc);
  }
  return 0;
}

/**
 * The float64 sum of the `n` gradients at `row`, each plus `0·z` (nothing for a finite
 * gate): finite exactly when all gradients and gates are (float32 values cannot overflow
 * a float64 sum of this length). Four independent accumulators rather than one chain of
 * dependent adds: this sum only feeds the `q·E` gradient, whose order is free.
 */
function clampedSum(row: usize, z: usize, n: i32): f64 {
  const zero = f32x4.splat(0);
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  let c = f64x2.splat(0);
  let d = f64x2.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const o = <usize>j << 2;
    const t = f32x4.add(v128.load(row + o), f32x4.mul(v128.load(z + o), zero));
    const u = f32x4.add(v128.load(row + o, 16), f32x4.mul(v128.load(z + o, 16), zero));
    a = f64x2.add(a, f64x2.promote_low_f32x4(t));
    b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(t, t, 2, 3, 0, 1)));
    c = f64x2.add(c, f64x2.promote_low_f32x4(u));
    d = f64x2.add(d, f64x2.promote_low_f32x4(v128.shuffle<f32>(u, u, 2, 3, 0, 1)));
  }
  const v = f64x2.add(f64x2.add(a, b), f64x2.add(c, d));
  let s = f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    s += <f64>(load<f32>(row + o) + load<f32>(z + o) * 0);
  }
  return s;
}

/**
 * {@link backGate}'s `dS` on a row's first `n` keys, all at position `P − 1` (see
 * {@link clampedKeys}, which has added their `q·E` gradients): φ = 0 and the prefix sum
 * stays +0, so `dS = g·scale + t` in float64 with `t = 0·s·(1 − s)`, a signed zero. The
 * float64 product is exact, so where it is not zero adding `t` changes nothing and the
 * rounding gives the float32 product; where it is (a zero `g` or scale) the sum of two
 * zeros is the same in float32. One float32 vector per four keys.
 */
function backClamped(row: usize, z: usize, n: i32, scale: f32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const sv = f32x4.splat(scale);
  // Lanes whose exact product is zero: a zero gradient, or every lane for a zero scale.
  const all = scale == 0 ? i32x4.splat(-1) : i32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = row + (<usize>j << 2);
    const g = v128.load(o);
    const s = v128.load(z + (<usize>j << 2));
    const p = f32x4.mul(g, sv);
    const t = f32x4.mul(f32x4.mul(zero, s), f32x4.sub(one, s));
    v128.store(o, v128.bitselect(f32x4.add(p, t), p, v128.or(f32x4.eq(g, zero), all)));
  }
  const sc = <f64>scale;
  for (; j < n; j++) {
    const o = row + (<usize>j << 2);
    const s = <f64>load<f32>(z + (<usize>j << 2));
    store<f32>(o, <f32>(<f64>load<f32>(o) * sc + 0 * s * (1 - s)));
  }
}

/**
 * Writes a row's `q·E` gradient as float32 from its pairs (see copeBiasBackward): entry
 * `k` is the first of pair `k` plus the second of pair `k − 1`. Zeroes the pairs as it
 * reads them, ready for the next row.
 */
// @ts-ignore: decorator
@inline function storeDqe(d: usize, dqeRow: usize, width: i32): void {
  const zero = f64x2.splat(0);
  let below = zero; // pair k − 1 (none before entry 0)
  let k = 0;
  for (; k + 2 <= width; k += 2) {
    const q = dqeRow + (<usize>k << 4);
    const a = v128.load(q);
    const b = v128.load(q, 16);
    v128.store(q, zero);
    v128.store(q, zero, 16);
    const sum = f64x2.add(v128.shuffle<f64>(a, b, 0, 2), v128.shuffle<f64>(below, a, 1, 3));
    v128.store64_lane(d + (<usize>k << 2), f32x4.demote_f64x2_zero(sum), 0);
    below = b;
  }
  if (k < width) {
    const q = dqeRow + (<usize>k << 4);
    store<f32>(d + (<usize>k << 2), <f32>(load<f64>(q) + f64x2.extract_lane(below, 1)));
    v128.store(q, zero);
  }
}

/**
 * Backward of {@link copeBiasForward} and the gates' sigmoid; `dScores` in place, `dqe`
 * overwritten. Scratch: `pos` holds two rows' positions (`2·cols` float64), then their
 * position-gradient terms; `dqeRow` two rows' `q·E` gradients (`4·width` float64) as
 * `width` pairs per row: pair `k` sums the terms `g·(1 − φ)` bound for entry `k` and
 * `g·φ` bound for entry `k + 1` of the keys at ⌊p⌋ = k, so a key adds both with one
 * float64 vector read-modify-write, which the next key, mostly at the same pair, reads
 * back whole (overlapping halves would not forward from the store). Rows go in pairs,
 * interleaved as in the forward; each row's arithmetic is its own. A row's clamped keys
 * come first in the ascending order (see clampedKeys, backClamped); only the rest need
 * stored positions.
 */
export function copeBiasBackward(
  dScores: usize, dqe: usize, z: usize, qe: usize, lo: usize, hi: usize, scale: f32, positions: i32, width: i32,
  rows: i32, cols: i32, pos: usize, dqeRow: usize,
): void {
  const last = <f64>(positions - 1);
  const sc = <f64>scale;
  const pos1 = pos + (<usize>cols << 3);
  const dqeRow1 = dqeRow + (<usize>width << 4);
  const lastv = f64x2.splat(last);
  const scv = f64x2.splat(sc);
  zeroFloats(dqeRow, width << 3); // two rows of `width` float64 pairs; storeDqe re-zeroes them
  for (let r = 0; r < rows; r += 2) {
    const pair = r + 1 < rows;
    const a0 = load<i32>(lo + (<usize>r << 2));
    const n0 = load<i32>(hi + (<usize>r << 2)) - a0;
    const a1 = pair ? load<i32>(lo + (<usize>(r + 1) << 2)) : 0;
    const n1 = pair ? load<i32>(hi + (<usize>(r + 1) << 2)) - a1 : 0;
    const z1 = z + (<usize>n0 << 2);
    const row0 = dScores + ((<usize>r * <usize>cols + <usize>a0) << 2);
    const row1 = dScores + ((<usize>(r + 1) * <usize>cols + <usize>a1) << 2);
    const e0 = qe + ((<usize>r * <usize>width) << 2);
    const e1 = e0 + (<usize>width << 2);
    // Suffix sums, the two rows' chains as the lanes of `u`, each down to where it clamps
    // (the first P − 1 keys untested, as in the forward).
    let u = f64x2.splat(0);
    let i0 = n0 - 1;
    let i1 = n1 - 1;
    for (const stop = n0 - min(min(n0, n1), positions - 1); i0 >= stop; i0--, i1--) {
      u = f64x2.add(u, pairF32(z + (<usize>i0 << 2), z1 + (<usize>i1 << 2)));
      v128.store64_lane(pos + (<usize>i0 << 3), u, 0);
      v128.store64_lane(pos1 + (<usize>i1 << 3), u, 1);
    }
    for (; i0 >= 0 && i1 >= 0 && !v128.any_true(f64x2.ge(u, lastv)); i0--, i1--) {
      u = f64x2.add(u, pairF32(z + (<usize>i0 << 2), z1 + (<usize>i1 << 2)));
      v128.store64_lane(pos + (<usize>i0 << 3), u, 0);
      v128.store64_lane(pos1 + (<usize>i1 << 3), u, 1);
    }
    const u0 = f64x2.extract_lane(u, 0);
    const u1 = f64x2.extract_lane(u, 1);
    const at = <usize>(positions - 1) << 4;
    const k0 = clampedKeys(pos, z, i0, u0, last, row0, e0 + (<usize>(positions - 1) << 2), dqeRow + at);
    const k1 = clampedKeys(pos1, z1, i1, u1, last, row1, e1 + (<usize>(positions - 1) << 2), dqeRow1 + at);
    if (k0 > 0) backClamped(row0, z, k0, scale);
    if (k1 > 0) backClamped(row1, z1, k1, scale);
    // The position-gradient terms first (backTerms), then their prefix sums: z_m collects
    // those of every key j ≤ m (p_j sums z_m for m ≥ j). float32 roundings as in the reference.
    backTerms(row0, e0, pos, dqeRow, k0, n0, last);
    backTerms(row1, e1, pos1, dqeRow1, k1, n1, last);
    const both = min(n0 - k0, n1 - k1);
    let acc = f64x2.splat(0);
    for (let i = 0; i < both; i++) acc = backGatePair(row0, row1, z, z1, pos, pos1, k0 + i, k1 + i, acc, scv);
    let acc0 = f64x2.extract_lane(acc, 0);
    let acc1 = f64x2.extract_lane(acc, 1);
    for (let j = k0 + both; j < n0; j++) acc0 = backGate(row0, z, pos, j, acc0, sc);
    for (let j = k1 + both; j < n1; j++) acc1 = backGate(row1, z1, pos1, j, acc1, sc);
    const d0 = dqe + ((<usize>r * <usize>width) << 2);
    storeDqe(d0, dqeRow, width);
    if (pair) storeDqe(d0 + (<usize>width << 2), dqeRow1, width);
    z = z1 + (<usize>n1 << 2);
  }
}
