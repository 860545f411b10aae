/**
 * Reference CoPE kernels (contextual position encoding, SPEC §3): the gates, the
 * interpolated position bias and its backward, over a block of banded score rows.
 *
 * Shapes: `scores (rows, cols)` with row `r`'s band at columns `lo[r] … hi[r]−1`
 * (`L_r` keys); `z (Σ L_r)` the gates, packed band after band; `qe (rows, width)` the
 * products `q·E[p]` of each row with the first `width` table entries.
 *
 * Positions `p_j = Σ_{m=j..last key} z_m` are suffix sums in float64, summed from the
 * band's last key down to its first, in {@link bandPositions} alone: the gates kernel,
 * the forward and the backward all see the very same positions, and a row gives the same
 * bits whatever block it sits in (KV-cache decoding relies on it).
 *
 * @packageDocumentation
 */
import { checkBands, checkCopeTable } from '../bands.js';
import { sigmoidForward } from './activations.js';

/** Fills `pos[0 … n)` with the suffix sums of `z[at … at+n)` and returns the first (the band's total). */
function bandPositions(pos: Float64Array, z: Float32Array, at: number, n: number): number {
  let acc = 0;
  for (let j = n - 1; j >= 0; j--) {
    acc += z[at + j];
    pos[j] = acc;
  }
  return acc;
}

/** Packs `σ(scores)` of every band into `z` and returns how many table entries the rows read. */
export function copeGatesForward(
  z: Float32Array,
  scores: Float32Array,
  lo: Int32Array,
  hi: Int32Array,
  positions: number,
  rows: number,
  cols: number,
): number {
  checkBands(lo, hi, 1, rows, cols);
  checkCopeTable(positions, 1);
  const last = positions - 1;
  const pos = new Float64Array(cols);
  let top = 0;
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const n = hi[r] - lo[r];
    if (n === 0) continue;
    const band = z.subarray(at, at + n);
    sigmoidForward(band, scores.subarray(r * cols + lo[r], r * cols + hi[r]), n);
    const total = bandPositions(pos, z, at, n);
    top = Math.max(top, Math.min(last, Math.ceil(Math.min(total, last))));
    at += n;
  }
  return top + 1;
}

/** `scores = scale·scores + (1 − φ)·qe[⌊p⌋] + φ·qe[⌈p⌉]` on every band, `p` clamped to `P − 1`. */
export function copeBiasForward(
  scores: Float32Array,
  z: Float32Array,
  qe: Float32Array,
  lo: Int32Array,
  hi: Int32Array,
  scale: number,
  positions: number,
  width: number,
  rows: number,
  cols: number,
): void {
  checkBands(lo, hi, scale, rows, cols);
  checkCopeTable(positions, width);
  const last = positions - 1;
  const pos = new Float64Array(cols);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const n = hi[r] - lo[r];
    bandPositions(pos, z, at, n);
    const row = r * cols + lo[r];
    const e = r * width;
    for (let j = 0; j < n; j++) {
      const p = Math.min(pos[j], last);
      const low = Math.floor(p);
      const phi = p - low;
      const bias = (1 - phi) * qe[e + low] + phi * qe[e + Math.ceil(p)];
      scores[row + j] = scores[row + j] * scale + bias;
    }
    at += n;
  }
}

/** Backward of {@link copeBiasForward} and of the gates, through the positions. */
export function copeBiasBackward(
  dScores: Float32Array,
  dqe: Float32Array,
  z: Float32Array,
  qe: Float32Array,
  lo: Int32Array,
  hi: Int32Array,
  scale: number,
  positions: number,
  width: number,
  rows: number,
  cols: number,
): void {
  checkBands(lo, hi, scale, rows, cols);
  checkCopeTable(positions, width);
  const last = positions - 1;
  const pos = new Float64Array(cols);
  const dqeRow = new Float64Array(width);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const n = hi[r] - lo[r];
    bandPositions(pos, z, at, n);
    const row = r * cols + lo[r];
    const e = r * width;
    dqeRow.fill(0);
    // p_j sums z_m for m ≥ j, so z_m collects the position gradients of every j ≤ m:
    // a running prefix sum, taken in the same ascending pass. The float32 roundings are
    // where the unfused loops stored to float32 arrays, so the results did not move.
    let acc = 0;
    for (let j = 0; j < n; j++) {
      const p = Math.min(pos[j], last);
      const low = Math.floor(p);
      const high = Math.ceil(p);
      const phi = p - low;
      const g = dScores[row + j];
      dqeRow[low] += g * (1 - phi);
      dqeRow[high] += g * phi;
      // Past the clamp the position no longer moves with the gates.
      acc += pos[j] > last ? 0 : Math.fround(g * (qe[e + high] - qe[e + low]));
      const s = z[at + j];
      dScores[row + j] = g * scale + Math.fround(Math.fround(acc) * s * (1 - s));
    }
    for (let p = 0; p < width; p++) dqe[e + p] = dqeRow[p];
    at += n;
  }
}
