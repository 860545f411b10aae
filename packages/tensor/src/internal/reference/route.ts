/**
 * Reference head-router kernels (see `kernels/route.ts`): the reference softmax and top-k
 * row by row, and the gates formed in float64.
 *
 * Shapes: N rows, hs shared and hr routed heads, H = hs + hr, E = H + 2, k selected.
 * `logitsT (E, N)`; `gates`, `dGates (N, H)`; `s (N, hs)`; `r`, `base (N, hr)`;
 * `alpha (N, 2)`; `indices (N, k)`; `balance (hr)`; `dLogits (N, ld)`; `x (N, d)`; `w (E, d)`.
 *
 * @packageDocumentation
 */
import type { HeadGating } from '../../kernels/route.js';
import { checkHeadRouteBackward, checkHeadRouteForward, checkHeadRouteProjectForward } from '../head-route.js';
import { matmulNT } from './matmul.js';
import { topK } from './select.js';
import { softmaxBackward, softmaxForward } from './softmax.js';

/** The multipliers of α1·s_i and α2·base_j: `2·hs` and `2·k` for `scaled`, else 1. */
function multipliers(gating: HeadGating, hs: number, k: number): [number, number] {
  return gating === 'scaled' ? [2 * hs, 2 * k] : [1, 1];
}

/** Σ_{q<k} r[o + indices[ik + q]]: a row's selected probability mass. */
function selectedMass(r: Float32Array, o: number, indices: Int32Array, ik: number, k: number): number {
  let sum = 0;
  for (let q = 0; q < k; q++) sum += r[o + indices[ik + q]];
  return sum;
}

/** See `Kernels.headRouteForward`. */
export function headRouteForward(
  gates: Float32Array,
  base: Float32Array,
  s: Float32Array,
  r: Float32Array,
  alpha: Float32Array,
  indices: Int32Array,
  logitsT: Float32Array,
  gating: HeadGating,
  rows: number,
  hs: number,
  hr: number,
  k: number,
): void {
  checkHeadRouteForward(gates, base, s, r, alpha, indices, logitsT, gating, rows, hs, hr, k);
  const H = hs + hr;
  for (let t = 0; t < rows; t++) {
    for (let j = 0; j < hs; j++) s[t * hs + j] = logitsT[j * rows + t];
    for (let j = 0; j < hr; j++) r[t * hr + j] = logitsT[(hs + j) * rows + t];
    alpha[2 * t] = logitsT[H * rows + t];
    alpha[2 * t + 1] = logitsT[(H + 1) * rows + t];
  }
  softmaxForward(s, s, rows, hs);
  softmaxForward(r, r, rows, hr);
  softmaxForward(alpha, alpha, rows, 2);
  topK(indices, new Float32Array(rows * k), r, k, rows, hr);
  base.fill(0, 0, rows * hr);
  const [ms, mr] = multipliers(gating, hs, k);
  for (let t = 0; t < rows; t++) {
    const scale = gating === 'scaled' ? 1 / selectedMass(r, t * hr, indices, t * k, k) : 1;
    for (let q = 0; q < k; q++) {
      const j = t * hr + indices[t * k + q];
      base[j] = gating === 'binary' ? 1 : r[j] * scale;
    }
    const shared = gating === 'binary' ? 1 : ms * alpha[2 * t];
    const routed = gating === 'binary' ? 1 : mr * alpha[2 * t + 1];
    for (let i = 0; i < hs; i++) gates[t * H + i] = gating === 'binary' ? 1 : shared * s[t * hs + i];
    for (let j = 0; j < hr; j++) gates[t * H + hs + j] = routed * base[t * hr + j];
  }
}

/** See `Kernels.headRouteProjectForward`: the reference product, then {@link headRouteForward}. */
export function headRouteProjectForward(
  gates: Float32Array,
  base: Float32Array,
  s: Float32Array,
  r: Float32Array,
  alpha: Float32Array,
  indices: Int32Array,
  logitsT: Float32Array,
  x: Float32Array,
  w: Float32Array,
  gating: HeadGating,
  rows: number,
  d: number,
  hs: number,
  hr: number,
  k: number,
): void {
  checkHeadRouteProjectForward(gates, base, s, r, alpha, indices, logitsT, x, w, gating, rows, d, hs, hr, k);
  matmulNT(logitsT, w, x, hs + hr + 2, d, rows);
  headRouteForward(gates, base, s, r, alpha, indices, logitsT, gating, rows, hs, hr, k);
}

/** See `Kernels.prepareHeadRouteProjectForward`: the checks now, then the reference call on the same arrays. */
export function prepareHeadRouteProjectForward(...args: Parameters<typeof headRouteProjectForward>): () => void {
  checkHeadRouteProjectForward(...args);
  return () => headRouteProjectForward(...args);
}

/** See `Kernels.headRouteBackward`. */
export function headRouteBackward(
  dLogits: Float32Array,
  dGates: Float32Array,
  s: Float32Array,
  r: Float32Array,
  alpha: Float32Array,
  base: Float32Array,
  indices: Int32Array,
  balance: Float64Array | null,
  gating: HeadGating,
  rows: number,
  hs: number,
  hr: number,
  k: number,
  ld: number,
): void {
  checkHeadRouteBackward(dLogits, dGates, s, r, alpha, base, indices, balance, gating, rows, hs, hr, k, ld);
  const H = hs + hr;
  const [ms, mr] = multipliers(gating, hs, k);
  const dBase = new Float64Array(hr);
  const row = new Float32Array(H + 2); // [dS | dR | dα] of one row, then its softmax backwards
  for (let t = 0; t < rows; t++) {
    row.fill(0);
    let dA1 = 0;
    let dA2 = 0;
    for (let i = 0; i < hs; i++) {
      const dg = dGates[t * H + i];
      dA1 += dg * s[t * hs + i];
      row[i] = gating === 'binary' ? 0 : ms * alpha[2 * t] * dg;
    }
    for (let j = 0; j < hr; j++) {
      const dg = dGates[t * H + hs + j];
      dA2 += dg * base[t * hr + j];
      dBase[j] = gating === 'binary' ? dg : Math.fround(mr * alpha[2 * t + 1] * dg);
    }
    if (gating !== 'binary') {
      row[H] = ms * dA1;
      row[H + 1] = mr * dA2;
    }
    const inverseMass = gating === 'scaled' ? 1 / selectedMass(r, t * hr, indices, t * k, k) : 1;
    let weighted = 0;
    for (let q = 0; q < k && gating === 'scaled'; q++) {
      const j = indices[t * k + q];
      weighted += dBase[j] * r[t * hr + j] * inverseMass;
    }
    for (let q = 0; q < k; q++) {
      const j = indices[t * k + q];
      row[hs + j] = (dBase[j] - weighted) * inverseMass;
    }
    if (balance !== null) for (let j = 0; j < hr; j++) row[hs + j] += balance[j];
    softmaxBackward(row.subarray(hs, H), r.subarray(t * hr), row.subarray(hs, H), 1, hr);
    if (gating !== 'binary') {
      softmaxBackward(row, s.subarray(t * hs), row, 1, hs);
      softmaxBackward(row.subarray(H), alpha.subarray(2 * t), row.subarray(H), 1, 2);
    }
    dLogits.set(row, t * ld);
    dLogits.fill(0, t * ld + H + 2, t * ld + ld);
  }
}
