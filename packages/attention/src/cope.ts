/**
 * Contextual position encoding (CoPE, Golovneva et al. 2024; SPEC §3) for one query row
 * `i` of one head `h`, over its keys `j = lo … i` (`L` of them, index 0 is `lo`):
 *
 * - gate `z_j = σ(q·k_j)` on the raw dot product;
 * - position `p_j = Σ_{m=j..i} z_m` (a suffix sum: the key itself and every later one),
 *   clamped to `P − 1`;
 * - bias `c_j = (1 − φ)·q·E[⌊p⌋] + φ·q·E[⌈p⌉]` with `φ = p − ⌊p⌋`.
 *
 * `q·E[p]` is computed once per row for `p = 0 … min(P−1, ⌈p_lo⌉)` (the only entries any
 * key can reach), not once per pair. Gradients reach q (bias and gates), k (gates) and E.
 *
 * Shapes: P positions, D head width, L keys of the row; `table` is `(H, P, D)` and
 * `tableOff = h·P·D` selects the head's `E`.
 *
 * @packageDocumentation
 */
import type { Kernels } from '@moh/tensor';

/** Where one row's CoPE quantities live (views of length `L`, `P` for `qe`). */
export interface CopeRowSlots {
  /** `(L)`: the gates `z_j`. */
  readonly z: Float32Array;
  /** `(L)`: the unclamped positions `Σ_{m=j..i} z_m` (kept unclamped so the backward knows what was clamped). */
  readonly pos: Float64Array;
  /** `(P)`: `q·E[p]`, valid for `p ≤ maxIndex(pos[0])`. */
  readonly qe: Float32Array;
}

/** The highest table index any key of the row reads. */
function maxIndex(pos0: number, positions: number): number {
  return Math.min(positions - 1, Math.ceil(Math.min(pos0, positions - 1)));
}

/**
 * Turns the row's raw dot products `qk` (in place) into scores `qk·scale + c_j`, filling
 * `slots`. `q` is read at `q[qOff … qOff+D)`.
 */
export function copeRowForward(
  kernels: Kernels,
  table: Float32Array,
  tableOff: number,
  positions: number,
  headDim: number,
  q: Float32Array,
  qOff: number,
  qk: Float32Array,
  scale: number,
  length: number,
  slots: CopeRowSlots,
): void {
  const { z, pos, qe } = slots;
  kernels.sigmoidForward(z, qk, length);
  let acc = 0;
  for (let j = length - 1; j >= 0; j--) {
    acc += z[j];
    pos[j] = acc;
  }
  const top = maxIndex(pos[0], positions);
  for (let p = 0; p <= top; p++) {
    const e = tableOff + p * headDim;
    let dot = 0;
    for (let c = 0; c < headDim; c++) dot += q[qOff + c] * table[e + c];
    qe[p] = dot;
  }
  const last = positions - 1;
  for (let j = 0; j < length; j++) {
    const p = Math.min(pos[j], last);
    const lo = Math.floor(p);
    const phi = p - lo;
    const bias = (1 - phi) * qe[lo] + phi * qe[Math.ceil(p)];
    qk[j] = qk[j] * scale + bias;
  }
}

/** Scratch for {@link copeRowBackward}. */
export interface CopeScratch {
  /** `(≥ L)`: position, then gate gradients. */
  readonly dz: Float32Array;
  /** `(P)`: gradient of `q·E[p]`. */
  readonly dqe: Float64Array;
}

/**
 * Backward of {@link copeRowForward} given the score gradients `dS`: adds the gate path
 * into `dqk` (gradient of the raw dots), adds `Σ_p dqe[p]·E[p]` into `dq` and accumulates
 * `dqe[p]·q` into `dTable`.
 */
export function copeRowBackward(
  kernels: Kernels,
  table: Float32Array,
  dTable: Float32Array,
  tableOff: number,
  positions: number,
  headDim: number,
  q: Float32Array,
  qOff: number,
  dq: Float64Array,
  dS: Float32Array,
  dqk: Float32Array,
  length: number,
  slots: CopeRowSlots,
  scratch: CopeScratch,
): void {
  const { z, pos, qe } = slots;
  const dz = scratch.dz.subarray(0, length);
  const { dqe } = scratch;
  const top = maxIndex(pos[0], positions);
  const last = positions - 1;
  dqe.fill(0, 0, top + 1);
  for (let j = 0; j < length; j++) {
    const p = Math.min(pos[j], last);
    const lo = Math.floor(p);
    const hi = Math.ceil(p);
    const phi = p - lo;
    const g = dS[j];
    dqe[lo] += g * (1 - phi);
    dqe[hi] += g * phi;
    // Past the clamp the position no longer moves with the gates.
    dz[j] = pos[j] > last ? 0 : g * (qe[hi] - qe[lo]);
  }
  // p_j sums z_m for m ≥ j, so z_m collects the position gradients of every j ≤ m.
  let acc = 0;
  for (let m = 0; m < length; m++) {
    acc += dz[m];
    dz[m] = acc;
  }
  kernels.sigmoidBackward(dz, z, dz, length);
  for (let j = 0; j < length; j++) dqk[j] += dz[j];
  for (let p = 0; p <= top; p++) {
    const g = dqe[p];
    if (g === 0) continue;
    const e = tableOff + p * headDim;
    for (let c = 0; c < headDim; c++) {
      dq[c] += g * table[e + c];
      dTable[e + c] += g * q[qOff + c];
    }
  }
}
