// Backward of the CoPE position bias and of the gates' sigmoid (see cope.ts for the
// scheme: float64 like the reference, clamped keys in vectors, the rest a row pair at a
// time in float64 lanes). Pointers are byte offsets; `pos` and `dqeRow` are float64
// scratch from the caller.

import { pairF32 } from './cope';
import { zeroFloats } from './math';

/** Rounds both float64 lanes to float32 and back, like `<f64>(<f32>x)`. */
// @ts-ignore: decorator
@inline function roundF32(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/**
 * Backward of one key `j` of a row: adds its `q·E` gradient into `dqeRow` (two float64
 * copies, `half` bytes apart, alternating by key), continues the prefix sum `acc` of the
 * position gradients and turns `dS` into the raw-score gradient. Returns the new `acc`.
 */
// @ts-ignore: decorator
@inline function backKey(
  row: usize, e: usize, z: usize, pos: usize, dqeRow: usize, half: usize, j: i32, acc: f64, last: f64, sc: f64,
): f64 {
  const u = load<f64>(pos + (<usize>j << 3));
  const p = select<f64>(last, u, u >= last);
  const low = <i32>p;
  const phi = p - <f64>low;
  const step = <usize>(phi > 0);
  const o = row + (<usize>j << 2);
  const g = <f64>load<f32>(o);
  const lp = dqeRow + (<usize>(j & 1) * half) + (<usize>low << 3);
  const hp = lp + (step << 3);
  store<f64>(lp, load<f64>(lp) + g * (1 - phi));
  store<f64>(hp, load<f64>(hp) + g * phi);
  const at = e + (<usize>low << 2);
  // Past the clamp the position no longer moves with the gates.
  acc += u > last ? 0 : <f64>(<f32>(g * (<f64>load<f32>(at + (step << 2)) - <f64>load<f32>(at))));
  const s = <f64>load<f32>(z + (<usize>j << 2));
  store<f32>(o, <f32>(g * sc + <f64>(<f32>(<f64>(<f32>acc) * s * (1 - s)))));
  return acc;
}

/**
 * {@link backKey} on key `j0` of row 0 and key `j1` of row 1 at once, one row per
 * float64 lane: the very operations of backKey lane by lane (`pmin(u, P − 1)` is its
 * select, NaN included), so each row keeps its own bits, in about half the
 * instructions. The `q·E` gradients stay scalar read-modify-writes, in backKey's order
 * within each row; the rows write apart. Returns both prefix sums.
 */
// @ts-ignore: decorator
@inline function backPair(
  row0: usize, row1: usize, e0: usize, e1: usize, z0: usize, z1: usize, pos0: usize, pos1: usize, d0: usize, d1: usize,
  half: usize, j0: i32, j1: i32, acc: v128, lastv: v128, scv: v128,
): v128 {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const u = v128.load64_lane(pos1 + (<usize>j1 << 3), v128.load64_zero(pos0 + (<usize>j0 << 3)), 1);
  const p = f64x2.pmin(u, lastv);
  const low = i32x4.trunc_sat_f64x2_s_zero(p);
  const phi = f64x2.sub(p, f64x2.convert_low_i32x4_s(low));
  const step = f64x2.gt(phi, zero);
  const low0 = <usize>i32x4.extract_lane(low, 0);
  const low1 = <usize>i32x4.extract_lane(low, 1);
  const step0 = <usize>(i32x4.extract_lane(step, 0) & 1);
  const step1 = <usize>(i32x4.extract_lane(step, 2) & 1);
  const o0 = row0 + (<usize>j0 << 2);
  const o1 = row1 + (<usize>j1 << 2);
  const g = pairF32(o0, o1);
  const wl = f64x2.mul(g, f64x2.sub(one, phi));
  const wh = f64x2.mul(g, phi);
  const lp0 = d0 + (<usize>(j0 & 1) * half) + (low0 << 3);
  const hp0 = lp0 + (step0 << 3);
  store<f64>(lp0, load<f64>(lp0) + f64x2.extract_lane(wl, 0));
  store<f64>(hp0, load<f64>(hp0) + f64x2.extract_lane(wh, 0));
  const lp1 = d1 + (<usize>(j1 & 1) * half) + (low1 << 3);
  const hp1 = lp1 + (step1 << 3);
  store<f64>(lp1, load<f64>(lp1) + f64x2.extract_lane(wl, 1));
  store<f64>(hp1, load<f64>(hp1) + f64x2.extract_lane(wh, 1));
  const at0 = e0 + (low0 << 2);
  const at1 = e1 + (low1 << 2);
  const slope = f64x2.sub(pairF32(at0 + (step0 << 2), at1 + (step1 << 2)), pairF32(at0, at1));
  // Past the clamp the position no longer moves with the gates.
  acc = f64x2.add(acc, v128.bitselect(zero, roundF32(f64x2.mul(g, slope)), f64x2.gt(u, lastv)));
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
 * {@link backKey}'s `dS` on a row's first `n` keys, all at position `P − 1` (see
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

/** Writes a row's `q·E` gradient, the sum of its two float64 copies, as float32. */
// @ts-ignore: decorator
@inline function storeDqe(d: usize, dqeRow: usize, half: usize, width: i32): void {
  let p = 0;
  for (; p + 2 <= width; p += 2) {
    const q = dqeRow + (<usize>p << 3);
    v128.store64_lane(d + (<usize>p << 2), f32x4.demote_f64x2_zero(f64x2.add(v128.load(q), v128.load(q + half))), 0);
  }
  if (p < width) {
    const q = dqeRow + (<usize>p << 3);
    store<f32>(d + (<usize>p << 2), <f32>(load<f64>(q) + load<f64>(q + half)));
  }
}

/**
 * Backward of {@link copeBiasForward} and the gates' sigmoid; `dScores` in place, `dqe`
 * overwritten. Scratch: `pos` holds two rows' positions (`2·cols` float64), `dqeRow` two
 * rows' `q·E` gradients in two copies each (`4·width` float64): neighbouring keys mostly
 * hit the same entries, and alternating copies halves the chain of dependent
 * read-modify-writes through memory. Rows go in pairs, interleaved as in the forward;
 * each row's arithmetic is its own. A row's clamped keys come first in the ascending
 * pass (see clampedKeys, backClamped); only the rest need stored positions.
 */
export function copeBiasBackward(
  dScores: usize, dqe: usize, z: usize, qe: usize, lo: usize, hi: usize, scale: f32, positions: i32, width: i32,
  rows: i32, cols: i32, pos: usize, dqeRow: usize,
): void {
  const last = <f64>(positions - 1);
  const sc = <f64>scale;
  const half = <usize>width << 3;
  const pos1 = pos + (<usize>cols << 3);
  const dqeRow1 = dqeRow + (half << 1);
  const lastv = f64x2.splat(last);
  const scv = f64x2.splat(sc);
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
    zeroFloats(dqeRow, width << 3); // four float64 copies of `width` entries
    const at = <usize>(positions - 1) << 3;
    const k0 = clampedKeys(pos, z, i0, u0, last, row0, e0 + (<usize>(positions - 1) << 2), dqeRow + at);
    const k1 = clampedKeys(pos1, z1, i1, u1, last, row1, e1 + (<usize>(positions - 1) << 2), dqeRow1 + at);
    if (k0 > 0) backClamped(row0, z, k0, scale);
    if (k1 > 0) backClamped(row1, z1, k1, scale);
    // z_m collects the position gradients of every key j ≤ m (p_j sums z_m for m ≥ j):
    // a running prefix sum in the same ascending pass. float32 roundings as in the reference.
    const both = min(n0 - k0, n1 - k1);
    let acc = f64x2.splat(0);
    for (let i = 0; i < both; i++) {
      acc = backPair(row0, row1, e0, e1, z, z1, pos, pos1, dqeRow, dqeRow1, half, k0 + i, k1 + i, acc, lastv, scv);
    }
    let acc0 = f64x2.extract_lane(acc, 0);
    let acc1 = f64x2.extract_lane(acc, 1);
    for (let j = k0 + both; j < n0; j++) acc0 = backKey(row0, e0, z, pos, dqeRow, half, j, acc0, last, sc);
    for (let j = k1 + both; j < n1; j++) acc1 = backKey(row1, e1, z1, pos1, dqeRow1, half, j, acc1, last, sc);
    const d0 = dqe + ((<usize>r * <usize>width) << 2);
    storeDqe(d0, dqeRow, half, width);
    if (pair) storeDqe(d0 + (<usize>width << 2), dqeRow1, half, width);
    z = z1 + (<usize>n1 << 2);
  }
}
