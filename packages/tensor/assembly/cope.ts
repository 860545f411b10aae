// CoPE kernels (contextual position encoding, SPEC §3): gates, position bias and their
// backward over a block of banded score rows. Scalar code in float64, like the reference
// backend: the positions are running sums whose order matters (forward, backward and
// KV-cache decoding must see the same bits), and the per-key table reads are gathers
// that SIMD would not help. The gain over the TypeScript loops is running in wasm at all.
// Pointers are byte offsets; `pos` and `dqeRow` are float64 scratch from the caller.
// Positions are never negative, so ⌊p⌋ is a truncation and ⌈p⌉ = ⌊p⌋ + [φ > 0]: the same
// values as the reference's floor and ceil without their instructions. A NaN position
// (from a NaN score) truncates to entry 0 (saturating conversion), so it never indexes
// past a table row or the scratch; its outputs are NaN all the same. Results differ
// from the reference in the last bits only where the summation order of the `q·E`
// gradient does (see copeBiasBackward); each is deterministic.

import { sigmoidForward } from './activations';

/** The sum of the `n` gates at `z`, added from the last: the first key's position, bit for bit. */
// @ts-ignore: decorator
@inline function bandTotal(z: usize, n: i32): f64 {
  let acc: f64 = 0;
  for (let j = n - 1; j >= 0; j--) acc += <f64>load<f32>(z + (<usize>j << 2));
  return acc;
}

/**
 * Packs `σ(x)` of every band into `z`; returns how many table entries the rows read.
 * Two rows' totals are summed interleaved (see copeBiasForward), each in its own order.
 */
export function copeGatesForward(z: usize, x: usize, lo: usize, hi: usize, positions: i32, rows: i32, cols: i32): i32 {
  const last = <f64>(positions - 1);
  let top: f64 = 0;
  let r = 0;
  for (; r + 1 < rows; r += 2) {
    const a0 = load<i32>(lo + (<usize>r << 2));
    const n0 = load<i32>(hi + (<usize>r << 2)) - a0;
    const a1 = load<i32>(lo + (<usize>(r + 1) << 2));
    const n1 = load<i32>(hi + (<usize>(r + 1) << 2)) - a1;
    const z1 = z + (<usize>n0 << 2);
    sigmoidForward(z, x + ((<usize>r * <usize>cols + <usize>a0) << 2), n0);
    sigmoidForward(z1, x + ((<usize>(r + 1) * <usize>cols + <usize>a1) << 2), n1);
    let acc0: f64 = 0;
    let acc1: f64 = 0;
    let j0 = n0 - 1;
    let j1 = n1 - 1;
    for (; j0 >= 0 && j1 >= 0; j0--, j1--) {
      acc0 += <f64>load<f32>(z + (<usize>j0 << 2));
      acc1 += <f64>load<f32>(z1 + (<usize>j1 << 2));
    }
    for (; j0 >= 0; j0--) acc0 += <f64>load<f32>(z + (<usize>j0 << 2));
    for (; j1 >= 0; j1--) acc1 += <f64>load<f32>(z1 + (<usize>j1 << 2));
    // An empty band reads nothing: its total 0 leaves `top` as it is.
    top = max(top, min(last, ceil(min(max(acc0, acc1), last))));
    z = z1 + (<usize>n1 << 2);
  }
  if (r < rows) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    sigmoidForward(z, x + ((<usize>r * <usize>cols + <usize>a) << 2), n);
    top = max(top, min(last, ceil(min(bandTotal(z, n), last))));
  }
  return <i32>top + 1;
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

/** Biases keys `j … 0` of one row, continuing its running position `acc`. */
// @ts-ignore: decorator
@inline function biasRest(row: usize, e: usize, z: usize, j: i32, acc: f64, last: f64, s: f64): void {
  for (; j >= 0; j--) {
    acc += <f64>load<f32>(z + (<usize>j << 2));
    biasKey(row, e, j, acc, last, s);
  }
}

/**
 * `scores = scale·scores + (1 − φ)·qe[⌊p⌋] + φ·qe[⌈p⌉]` on every band. One descending
 * pass per row: each key's position is the running sum at that key, so none is stored.
 * Rows go in pairs whose two running sums interleave: a single sum is a chain of
 * dependent adds that leaves the core mostly idle. Each row still adds in its own order,
 * so a row gets the same bits alone or beside any other.
 */
export function copeBiasForward(
  scores: usize, z: usize, qe: usize, lo: usize, hi: usize, scale: f32, positions: i32, width: i32, rows: i32, cols: i32,
): void {
  const last = <f64>(positions - 1);
  const s = <f64>scale;
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
    let acc0: f64 = 0;
    let acc1: f64 = 0;
    let j0 = n0 - 1;
    let j1 = n1 - 1;
    for (; j0 >= 0 && j1 >= 0; j0--, j1--) {
      acc0 += <f64>load<f32>(z + (<usize>j0 << 2));
      acc1 += <f64>load<f32>(z1 + (<usize>j1 << 2));
      biasKey(row0, e0, j0, acc0, last, s);
      biasKey(row1, e1, j1, acc1, last, s);
    }
    biasRest(row0, e0, z, j0, acc0, last, s);
    biasRest(row1, e1, z1, j1, acc1, last, s);
    z = z1 + (<usize>n1 << 2);
  }
  if (r < rows) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    biasRest(scores + ((<usize>r * <usize>cols + <usize>a) << 2), qe + ((<usize>r * <usize>width) << 2), z, n - 1, 0, last, s);
  }
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

/** Writes the suffix sums of two rows' gates (`n0` at `z0`, `n1` at `z1`) into `pos0`, `pos1`, interleaved. */
// @ts-ignore: decorator
@inline function pairPositions(pos0: usize, z0: usize, n0: i32, pos1: usize, z1: usize, n1: i32): void {
  let acc0: f64 = 0;
  let acc1: f64 = 0;
  let j0 = n0 - 1;
  let j1 = n1 - 1;
  for (; j0 >= 0 && j1 >= 0; j0--, j1--) {
    acc0 += <f64>load<f32>(z0 + (<usize>j0 << 2));
    acc1 += <f64>load<f32>(z1 + (<usize>j1 << 2));
    store<f64>(pos0 + (<usize>j0 << 3), acc0);
    store<f64>(pos1 + (<usize>j1 << 3), acc1);
  }
  for (; j0 >= 0; j0--) {
    acc0 += <f64>load<f32>(z0 + (<usize>j0 << 2));
    store<f64>(pos0 + (<usize>j0 << 3), acc0);
  }
  for (; j1 >= 0; j1--) {
    acc1 += <f64>load<f32>(z1 + (<usize>j1 << 2));
    store<f64>(pos1 + (<usize>j1 << 3), acc1);
  }
}

/** Writes a row's `q·E` gradient, the sum of its two float64 copies, as float32. */
// @ts-ignore: decorator
@inline function storeDqe(d: usize, dqeRow: usize, half: usize, width: i32): void {
  for (let p = 0; p < width; p++) {
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
 * each row's arithmetic is its own.
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
  for (let r = 0; r < rows; r += 2) {
    const pair = r + 1 < rows;
    const a0 = load<i32>(lo + (<usize>r << 2));
    const n0 = load<i32>(hi + (<usize>r << 2)) - a0;
    const a1 = pair ? load<i32>(lo + (<usize>(r + 1) << 2)) : 0;
    const n1 = pair ? load<i32>(hi + (<usize>(r + 1) << 2)) - a1 : 0;
    const z1 = z + (<usize>n0 << 2);
    pairPositions(pos, z, n0, pos1, z1, n1);
    const row0 = dScores + ((<usize>r * <usize>cols + <usize>a0) << 2);
    const row1 = dScores + ((<usize>(r + 1) * <usize>cols + <usize>a1) << 2);
    const e0 = qe + ((<usize>r * <usize>width) << 2);
    const e1 = e0 + (<usize>width << 2);
    memory.fill(dqeRow, 0, half << 2);
    // z_m collects the position gradients of every key j ≤ m (p_j sums z_m for m ≥ j):
    // a running prefix sum in the same ascending pass. float32 roundings as in the reference.
    let acc0: f64 = 0;
    let acc1: f64 = 0;
    let j = 0;
    const both = min(n0, n1);
    for (; j < both; j++) {
      acc0 = backKey(row0, e0, z, pos, dqeRow, half, j, acc0, last, sc);
      acc1 = backKey(row1, e1, z1, pos1, dqeRow1, half, j, acc1, last, sc);
    }
    for (let k = j; k < n0; k++) acc0 = backKey(row0, e0, z, pos, dqeRow, half, k, acc0, last, sc);
    for (let k = j; k < n1; k++) acc1 = backKey(row1, e1, z1, pos1, dqeRow1, half, k, acc1, last, sc);
    const d0 = dqe + ((<usize>r * <usize>width) << 2);
    storeDqe(d0, dqeRow, half, width);
    if (pair) storeDqe(d0 + (<usize>width << 2), dqeRow1, half, width);
    z = z1 + (<usize>n1 << 2);
  }
}
