// CoPE kernels (contextual position encoding, SPEC §3): gates and position bias over a
// block of banded score rows; the backward is in cope-backward.ts. Float64 arithmetic,
// like the reference backend: the positions are running sums whose order matters
// (forward, backward and KV-cache decoding must see the same bits), and the per-key
// table reads are gathers. Two things make it fast without changing a bit:
// - The gates are σ outputs in [0, 1], so a suffix sum only grows towards the band's
//   first key: once it reaches P − 1 every key below is clamped there, reads the one
//   entry P − 1 with φ = 0 and needs no position. At long contexts that is most keys
//   (p ≥ 63 after about 126 keys at gates near ½); they run as float64 vectors with
//   the very same operations, and the gates kernel does not even compute their gates
//   (it writes 0: the readers only check them for NaN). Each shortcut checks the inputs
//   that could make it differ (NaN gates or scores; in the backward non-finite gradients
//   or table entry) and otherwise takes the key-by-key path.
// - Keys whose position still moves go a row pair at a time, one row per float64 lane:
//   the same operations lane by lane, so each row keeps its own bits, in about half the
//   instructions of two scalar keys.
// Pointers are byte offsets. Positions are never negative, so ⌊p⌋ is a truncation and
// ⌈p⌉ = ⌊p⌋ + [φ > 0]: the same values as the reference's floor and ceil without their
// instructions. A NaN position (from a NaN score) truncates to entry 0 (saturating
// conversion), so it never indexes past a table row or the scratch; its outputs are NaN
// all the same. Results differ from the reference in the last bits only where the
// summation order of the `q·E` gradient does (see copeBiasBackward); each is
// deterministic.

import { sigmoidForward } from './activations';
import { hsum64, sigmoidv } from './math';

/**
 * A bound on the sum of the `n` gates at `z` (each in [0, 1]), in float32 four lanes at a
 * time: at least the exact sum. NaN if any gate is NaN. The gates kernel takes the exact
 * float64 sum only of rows this bound cannot settle.
 */
// @ts-ignore: decorator
@inline function totalBound(z: usize, n: i32): f64 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) acc = f32x4.add(acc, v128.load(z + (<usize>j << 2)));
  let s = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) +
    <f64>f32x4.extract_lane(acc, 3);
  for (; j < n; j++) s += <f64>load<f32>(z + (<usize>j << 2));
  // Each float32 lane add is off by at most 2⁻²⁴ of its lane's total: n·2⁻²⁰ covers them all.
  return s + s * <f64>n * 9.5367431640625e-7;
}

/**
 * The sum of the `n` gates at `z`, added from the last: the first key's position, bit
 * for bit. Stops once it reaches `last` (the gates are never negative, so the total
 * does too): every row clamped there reads the same table entries.
 */
// @ts-ignore: decorator
@inline function bandTotal(z: usize, n: i32, last: f64): f64 {
  let acc: f64 = 0;
  for (let j = n - 1; j >= 0 && !(acc >= last); j--) acc += <f64>load<f32>(z + (<usize>j << 2));
  return acc;
}

/** `min(P − 1, ⌈total⌉)` of the `n` gates at `z`, raising `top` (an integer) to it. */
// @ts-ignore: decorator
@inline function raiseTop(top: f64, z: usize, n: i32, last: f64): f64 {
  return max(top, min(last, ceil(min(bandTotal(z, n, last), last))));
}

/**
 * Writes `σ(x)` of a row's `n` keys to `z` from the last key down, eight at a time, and
 * stops once a lower bound on their float64 sum (the position every kernel computes at
 * the lowest key written) passes `last`: every key below is clamped at `P − 1`, and
 * no kernel uses its gate. Returns how many keys are left below (0 when it wrote them
 * all). The bound is the float32 lane sums less their rounding (as {@link totalBound}),
 * so the exact sum is past `last` a few keys earlier at most; a NaN gate never stops it.
 */
function gatesFromEnd(z: usize, x: usize, n: i32, last: f64): i32 {
  let acc = f32x4.splat(0);
  let j = n;
  while (j >= 8) {
    j -= 8;
    const o = <usize>j << 2;
    const a = sigmoidv(v128.load(x + o, 16));
    const b = sigmoidv(v128.load(x + o));
    v128.store(z + o, a, 16);
    v128.store(z + o, b);
    acc = f32x4.add(f32x4.add(acc, a), b);
    // After m keys the sum is at most m: no bound to take before P − 1 of them.
    const m = n - j;
    if (<f64>m >= last) {
      const s = hsum64(acc);
      // Strictly past `last`: keys below then sit strictly past it whatever their gates,
      // as with their real gates, in the backward's key-by-key path as well.
      if (s - s * <f64>m * 9.5367431640625e-7 > last) return j;
    }
  }
  sigmoidForward(z, x, j);
  return 0;
}

/**
 * Writes 0 to the `n` gates at `z` (keys whose gate no kernel uses) in the same pass as
 * it checks their scores at `x`: returns whether any is NaN, whose gate would be NaN.
 */
function zeroGates(z: usize, x: usize, n: i32): bool {
  const zero = f32x4.splat(0);
  let m = i32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const v = v128.load(x + o);
    m = v128.or(m, f32x4.ne(v, v));
    v128.store(z + o, zero);
  }
  let any = v128.any_true(m);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    any = any || isNaN(load<f32>(x + o));
    store<f32>(z + o, 0);
  }
  return any;
}

/** Packs `σ(x)` of every band into `z`, every gate: the NaN path of copeGatesForward. Returns 1. */
function allGates(z: usize, x: usize, lo: usize, hi: usize, rows: i32, cols: i32): i32 {
  for (let r = 0; r < rows; r++) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    sigmoidForward(z, x + ((<usize>r * <usize>cols + <usize>a) << 2), n);
    z += <usize>n << 2;
  }
  return 1;
}

/**
 * Packs `σ(x)` of every band into `z`; returns how many table entries the rows read,
 * `min(P − 1, ⌈max total⌉) + 1`. A row's gates go from its last key down until a bound
 * shows their float64 sum (the first key's position, in the order every kernel adds
 * them) past `P − 1` (see gatesFromEnd); the keys below are clamped there, so their gates
 * are never used (the readers check them for NaN only) and get 0, unless a score there
 * is NaN. At long contexts that skips most of the sigmoids (keys beyond about 2(P − 1)
 * from the row's end at gates near ½). A clamped row makes the result `P`. Otherwise
 * exact totals are float64 chains of dependent adds, so few are taken: first that of the
 * row with the largest float32 bound, then only those of rows whose bound could still
 * raise the maximum (near-ties). Any NaN gate computes every gate and returns 1, as a
 * NaN maximum did.
 */
export function copeGatesForward(z: usize, x: usize, lo: usize, hi: usize, positions: i32, rows: i32, cols: i32): i32 {
  const last = <f64>(positions - 1);
  let best: f64 = 0;
  let bestAt = z;
  let bestN = 0;
  let nan = false;
  let clamped = false;
  let zr = z;
  for (let r = 0; r < rows; r++) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    const xr = x + ((<usize>r * <usize>cols + <usize>a) << 2);
    const left = gatesFromEnd(zr, xr, n, last);
    if (left > 0) {
      if (zeroGates(zr, xr, left)) return allGates(z, x, lo, hi, rows, cols);
      clamped = true;
    } else {
      // Every gate written: its bound is NaN if any is, even once the result is `P`.
      const bound = totalBound(zr, n);
      nan = nan || isNaN(bound);
      if (!clamped && bound > best) {
        best = bound;
        bestAt = zr;
        bestN = n;
      }
    }
    zr += <usize>n << 2;
  }
  if (clamped || nan) {
    // A NaN gate in a fully written row: every gate, as before the shortcut.
    return nan ? allGates(z, x, lo, hi, rows, cols) : positions;
  }
  // An empty band bounds at 0, which leaves `top` as it is.
  let top = raiseTop(0, bestAt, bestN, last);
  zr = z;
  for (let r = 0; r < rows && top < last; r++) {
    const n = load<i32>(hi + (<usize>r << 2)) - load<i32>(lo + (<usize>r << 2));
    if (totalBound(zr, n) > top) top = raiseTop(top, zr, n, last);
    zr += <usize>n << 2;
  }
  return <i32>top + 1;
}

/** Whether all `n` floats at `x` are finite (neither NaN nor infinite). */
export function allFinite(x: usize, n: i32): bool {
  const inf = f32x4.splat(Infinity);
  let ok = i32x4.splat(-1);
  let j = 0;
  for (; j + 4 <= n; j += 4) ok = v128.and(ok, f32x4.lt(f32x4.abs(v128.load(x + (<usize>j << 2))), inf));
  let all = i32x4.all_true(ok);
  for (; j < n; j++) all = all && abs(load<f32>(x + (<usize>j << 2))) < Infinity;
  return all;
}

/** Two f32 at `a` and `b` as the float64 lanes [a, b]. */
// @ts-ignore: decorator
@inline export function pairF32(a: usize, b: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load32_lane(b, v128.load32_zero(a), 1));
}

/** Biases key `j` of a row at position `acc` (see copeBiasForward). */
// @ts-ignore: decorator
@inline function biasKey(row: usize, e: usize, j: i32, acc: f64, last: f64, s: f64): void {
  const p = select<f64>(last, acc, acc >= last);
  const low = <i32>p;
  const phi = p - <f64>low;
  const at = e + (<usize>low << 2);
  const bias = (1 - phi) * <f64>load<f32>(at) + phi * <f64>load<f32>(at + (<usize>(phi > 0) << 2));
  const o = row + (<usize>j << 2);
  store<f32>(o, <f32>(<f64>load<f32>(o) * s + bias));
}

/**
 * {@link biasKey} on key `j0` of row 0 and key `j1` of row 1 at position lanes `acc`,
 * one row per float64 lane with the same operations (`pmin(acc, P − 1)` is its select,
 * NaN included): each row keeps its own bits.
 */
// @ts-ignore: decorator
@inline function biasPair(row0: usize, row1: usize, e0: usize, e1: usize, j0: i32, j1: i32, acc: v128, lastv: v128, sv: v128): void {
  const p = f64x2.pmin(acc, lastv);
  const low = i32x4.trunc_sat_f64x2_s_zero(p);
  const phi = f64x2.sub(p, f64x2.convert_low_i32x4_s(low));
  const step = f64x2.gt(phi, f64x2.splat(0));
  const at0 = e0 + (<usize>i32x4.extract_lane(low, 0) << 2);
  const at1 = e1 + (<usize>i32x4.extract_lane(low, 1) << 2);
  const hi0 = at0 + (<usize>(i32x4.extract_lane(step, 0) & 1) << 2);
  const hi1 = at1 + (<usize>(i32x4.extract_lane(step, 2) & 1) << 2);
  const bias = f64x2.add(f64x2.mul(f64x2.sub(f64x2.splat(1), phi), pairF32(at0, at1)), f64x2.mul(phi, pairF32(hi0, hi1)));
  const o0 = row0 + (<usize>j0 << 2);
  const o1 = row1 + (<usize>j1 << 2);
  const out = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(pairF32(o0, o1), sv), bias));
  v128.store32_lane(o0, out, 0);
  v128.store32_lane(o1, out, 1);
}

/**
 * `x = scale·x + c` on the `n` keys at `row`, in float64 like {@link biasKey}: the keys
 * whose position is clamped at `P − 1` all read the one bias `c`.
 */
function biasClamped(row: usize, n: i32, s: f64, c: f64): void {
  const sv = f64x2.splat(s);
  const cv = f64x2.splat(c);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = row + (<usize>j << 2);
    const v = v128.load(o);
    const a = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v), sv), cv);
    const b = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), sv), cv);
    v128.store(o, v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5));
  }
  for (; j < n; j++) {
    const o = row + (<usize>j << 2);
    store<f32>(o, <f32>(<f64>load<f32>(o) * s + c));
  }
}

/**
 * Biases keys `j … 0` of one row, continuing its running position `acc`. Once `acc`
 * reaches `P − 1` every lower key is clamped there too (gates are never negative), so
 * those keys take {@link biasClamped}, unless a NaN gate among them would make their
 * positions NaN: then they go on one by one.
 */
function biasRest(row: usize, e: usize, z: usize, j: i32, acc: f64, last: f64, s: f64): void {
  for (; j >= 0 && !(acc >= last); j--) {
    acc += <f64>load<f32>(z + (<usize>j << 2));
    biasKey(row, e, j, acc, last, s);
  }
  if (j < 0) return;
  if (allFinite(z, j + 1)) {
    // biasKey at p = P − 1: φ = 0, both entries the last one.
    const q = <f64>load<f32>(e + (<usize>(<i32>last) << 2));
    const phi: f64 = 0;
    biasClamped(row, j + 1, s, (1 - phi) * q + phi * q);
    return;
  }
  for (; j >= 0; j--) {
    acc += <f64>load<f32>(z + (<usize>j << 2));
    biasKey(row, e, j, acc, last, s);
  }
}

/**
 * `scores = scale·scores + (1 − φ)·qe[⌊p⌋] + φ·qe[⌈p⌉]` on every band. One descending
 * pass per row: each key's position is the running sum at that key, so none is stored;
 * the pass stops where the sum clamps (see biasRest).
 * Rows go in pairs whose two running sums are the lanes of one float64 vector: a single
 * sum is a chain of dependent adds that leaves the core mostly idle, and the pair's
 * per-key work takes half the instructions (see biasPair). Each row still adds in its
 * own order, so a row gets the same bits alone or beside any other.
 */
export function copeBiasForward(
  scores: usize, z: usize, qe: usize, lo: usize, hi: usize, scale: f32, positions: i32, width: i32, rows: i32, cols: i32,
): void {
  const last = <f64>(positions - 1);
  const s = <f64>scale;
  const lastv = f64x2.splat(last);
  const sv = f64x2.splat(s);
  let r = 0;
  for (; r + 1 < rows; r += 2) {
    const a0 = load<i32>(lo + (<usize>r << 2));
    const n0 = load<i32>(hi + (<usize>r << 2)) - a0;
    const a1 = load<i32>(lo + (<usize>(r + 1) << 2));
    const n1 = load<i32>(hi + (<usize>(r + 1) << 2)) - a1;
    const row0 = scores + ((<usize>r * <usize>cols + <usize>a0) << 2);
    const row1 = scores + ((<usize>(r + 1) * <usize>cols + <usize>a1) << 2);
    const e0 = qe + ((<usize>r * <usize>width) << 2);
    const e1 = e0 + (<usize>width << 2);
    const z1 = z + (<usize>n0 << 2);
    // The two running sums are the lanes of `acc`.
    let acc = f64x2.splat(0);
    let j0 = n0 - 1;
    let j1 = n1 - 1;
    // After m keys a sum is at most m (gates are at most 1): the first P − 1 keys from
    // the end cannot clamp, so they go without the test.
    for (const stop = n0 - min(min(n0, n1), positions - 1); j0 >= stop; j0--, j1--) {
      acc = f64x2.add(acc, pairF32(z + (<usize>j0 << 2), z1 + (<usize>j1 << 2)));
      biasPair(row0, row1, e0, e1, j0, j1, acc, lastv, sv);
    }
    for (; j0 >= 0 && j1 >= 0 && !v128.any_true(f64x2.ge(acc, lastv)); j0--, j1--) {
      acc = f64x2.add(acc, pairF32(z + (<usize>j0 << 2), z1 + (<usize>j1 << 2)));
      biasPair(row0, row1, e0, e1, j0, j1, acc, lastv, sv);
    }
    biasRest(row0, e0, z, j0, f64x2.extract_lane(acc, 0), last, s);
    biasRest(row1, e1, z1, j1, f64x2.extract_lane(acc, 1), last, s);
    z = z1 + (<usize>n1 << 2);
  }
  if (r < rows) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    biasRest(scores + ((<usize>r * <usize>cols + <usize>a) << 2), qe + ((<usize>r * <usize>width) << 2), z, n - 1, 0, last, s);
  }
}
