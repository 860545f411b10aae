// CoPE kernels (contextual position encoding, SPEC §3): gates, position bias and their
// backward over a block of banded score rows. Scalar code in float64, like the reference
// backend: the positions are running sums whose order matters (forward, backward and
// KV-cache decoding must see the same bits), and the per-key table reads are gathers
// that SIMD would not help. The gain over the TypeScript loops is running in wasm at all.
// Pointers are byte offsets; `pos` and `dqeRow` are float64 scratch from the caller.
// Positions are never negative, so ⌊p⌋ is a truncation and ⌈p⌉ = ⌊p⌋ + [φ > 0]: the same
// values as the reference's floor and ceil without their instructions. Results differ
// from the reference in the last bits only where the summation order of the `q·E`
// gradient does (see copeBiasBackward); each is deterministic.

import { sigmoidForward } from './activations';

/** Writes the suffix sums of the `n` gates at `z` into `pos` (float64). */
// @ts-ignore: decorator
@inline function bandPositions(pos: usize, z: usize, n: i32): void {
  let acc: f64 = 0;
  for (let j = n - 1; j >= 0; j--) {
    acc += <f64>load<f32>(z + (<usize>j << 2));
    store<f64>(pos + (<usize>j << 3), acc);
  }
}

/** Packs `σ(x)` of every band into `z`; returns how many table entries the rows read. */
export function copeGatesForward(z: usize, x: usize, lo: usize, hi: usize, positions: i32, rows: i32, cols: i32): i32 {
  const last = <f64>(positions - 1);
  let top: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    if (n == 0) continue;
    sigmoidForward(z, x + ((<usize>r * <usize>cols + <usize>a) << 2), n);
    // The band's total is its first key's position: summed in the positions' order.
    let total: f64 = 0;
    for (let j = n - 1; j >= 0; j--) total += <f64>load<f32>(z + (<usize>j << 2));
    top = max(top, min(last, ceil(min(total, last))));
    z += <usize>n << 2;
  }
  return <i32>top + 1;
}

/**
 * `scores = scale·scores + (1 − φ)·qe[⌊p⌋] + φ·qe[⌈p⌉]` on every band. One descending
 * pass: each key's position is the running sum at that key, so none is stored.
 */
export function copeBiasForward(
  scores: usize, z: usize, qe: usize, lo: usize, hi: usize, scale: f32, positions: i32, width: i32, rows: i32, cols: i32,
): void {
  const last = <f64>(positions - 1);
  const s = <f64>scale;
  for (let r = 0; r < rows; r++) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    const row = scores + ((<usize>r * <usize>cols + <usize>a) << 2);
    const e = qe + ((<usize>r * <usize>width) << 2);
    let acc: f64 = 0;
    for (let j = n - 1; j >= 0; j--) {
      acc += <f64>load<f32>(z + (<usize>j << 2));
      const p = select<f64>(acc, last, acc < last);
      const low = <i32>p;
      const phi = p - <f64>low;
      const at = e + (<usize>low << 2);
      const bias = (1 - phi) * <f64>load<f32>(at) + phi * <f64>load<f32>(at + (<usize>(phi > 0) << 2));
      const o = row + (<usize>j << 2);
      store<f32>(o, <f32>(<f64>load<f32>(o) * s + bias));
    }
    z += <usize>n << 2;
  }
}

/**
 * Backward of {@link copeBiasForward} and the gates' sigmoid; `dScores` in place, `dqe`
 * overwritten. `dqeRow` holds two float64 copies of a row's `q·E` gradient (`2·width`):
 * neighbouring keys mostly hit the same entries, and alternating copies halves the chain
 * of dependent read-modify-writes through memory.
 */
export function copeBiasBackward(
  dScores: usize, dqe: usize, z: usize, qe: usize, lo: usize, hi: usize, scale: f32, positions: i32, width: i32,
  rows: i32, cols: i32, pos: usize, dqeRow: usize,
): void {
  const last = <f64>(positions - 1);
  const sc = <f64>scale;
  const half = <usize>width << 3;
  for (let r = 0; r < rows; r++) {
    const a = load<i32>(lo + (<usize>r << 2));
    const n = load<i32>(hi + (<usize>r << 2)) - a;
    bandPositions(pos, z, n);
    const row = dScores + ((<usize>r * <usize>cols + <usize>a) << 2);
    const e = qe + ((<usize>r * <usize>width) << 2);
    memory.fill(dqeRow, 0, half << 1);
    // z_m collects the position gradients of every key j ≤ m (p_j sums z_m for m ≥ j):
    // a running prefix sum in the same ascending pass. float32 roundings as in the reference.
    let acc: f64 = 0;
    for (let j = 0; j < n; j++) {
      const u = load<f64>(pos + (<usize>j << 3));
      const p = select<f64>(u, last, u < last);
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
      const ql = <f64>load<f32>(at);
      const qh = <f64>load<f32>(at + (step << 2));
      // Past the clamp the position no longer moves with the gates.
      acc += u > last ? 0 : <f64>(<f32>(g * (qh - ql)));
      const s = <f64>load<f32>(z + (<usize>j << 2));
      store<f32>(o, <f32>(g * sc + <f64>(<f32>(<f64>(<f32>acc) * s * (1 - s)))));
    }
    const d = dqe + ((<usize>r * <usize>width) << 2);
    for (let p = 0; p < width; p++) {
      const q = dqeRow + (<usize>p << 3);
      store<f32>(d + (<usize>p << 2), <f32>(load<f64>(q) + load<f64>(q + half)));
    }
    z += <usize>n << 2;
  }
}
