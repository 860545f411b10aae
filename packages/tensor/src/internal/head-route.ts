/**
 * Argument checks of the head-router kernels (`kernels/route.ts`), shared by both
 * backends so that they reject the same calls: inside WebAssembly a short array or a
 * selected head out of range would read or write other tensors.
 *
 * @internal
 */
import type { HeadGating } from '../kernels/route.js';
import { checkSizes } from './fast/shapes.js';

const GATINGS: readonly HeadGating[] = ['paper', 'scaled', 'binary'];

/** The gating's code in assembly/head-route.ts. */
function gatingCode(gating: HeadGating): number {
  const code = GATINGS.indexOf(gating);
  if (code < 0) throw new RangeError(`Unknown head gating '${String(gating)}'; use 'paper', 'scaled' or 'binary'.`);
  return code;
}

/** Checks what both passes share: the sizes, the probability arrays and the gates (or their gradient). */
function checkShared(
  gates: Float32Array, s: Float32Array, r: Float32Array, alpha: Float32Array, base: Float32Array, indices: Int32Array,
  rows: number, hs: number, hr: number, k: number,
): void {
  checkSizes(rows, hs, hr, k);
  if (k < 1 || k > hr) throw new RangeError(`A head router needs 1 ≤ k ≤ routed heads (${hr}), got k = ${k}.`);
  const need = (name: string, length: number, perRow: number): void => {
    if (length < rows * perRow) throw new RangeError(`${name} has ${length} elements where rows·${perRow} = ${rows * perRow} are needed.`);
  };
  need('gates', gates.length, hs + hr);
  need('s', s.length, hs);
  need('r', r.length, hr);
  need('alpha', alpha.length, 2);
  need('base', base.length, hr);
  need('indices', indices.length, k);
}

/** The checks of `Kernels.headRouteForward`; returns the gating's code. */
export function checkHeadRouteForward(
  gates: Float32Array, base: Float32Array, s: Float32Array, r: Float32Array, alpha: Float32Array, indices: Int32Array,
  logitsT: Float32Array, gating: HeadGating, rows: number, hs: number, hr: number, k: number,
): number {
  const code = gatingCode(gating);
  checkShared(gates, s, r, alpha, base, indices, rows, hs, hr, k);
  const E = hs + hr + 2;
  if (logitsT.length < E * rows) throw new RangeError(`logitsT has ${logitsT.length} elements where E·rows = ${E * rows} are needed.`);
  return code;
}

/** The checks of `Kernels.headRouteProjectForward`; returns the gating's code. */
export function checkHeadRouteProjectForward(
  gates: Float32Array, base: Float32Array, s: Float32Array, r: Float32Array, alpha: Float32Array, indices: Int32Array,
  logitsT: Float32Array, x: Float32Array, w: Float32Array, gating: HeadGating, rows: number, d: number, hs: number, hr: number,
  k: number,
): number {
  const code = checkHeadRouteForward(gates, base, s, r, alpha, indices, logitsT, gating, rows, hs, hr, k);
  checkSizes(d);
  const E = hs + hr + 2;
  if (x.length < rows * d) throw new RangeError(`x has ${x.length} elements where rows·d = ${rows * d} are needed.`);
  if (w.length < E * d) throw new RangeError(`w has ${w.length} elements where E·d = ${E * d} are needed.`);
  return code;
}

/**
 * The checks of `Kernels.headRouteBackward`, including that every selected head lies in
 * `[0, hr)`: the backward reads the selection as indices. Returns the gating's code.
 */
export function checkHeadRouteBackward(
  dLogits: Float32Array, dGates: Float32Array, s: Float32Array, r: Float32Array, alpha: Float32Array, base: Float32Array,
  indices: Int32Array, balance: Float64Array | null, gating: HeadGating, rows: number, hs: number, hr: number, k: number, ld: number,
): number {
  const code = gatingCode(gating);
  checkShared(dGates, s, r, alpha, base, indices, rows, hs, hr, k);
  checkSizes(ld);
  const E = hs + hr + 2;
  if (ld < E) throw new RangeError(`dLogits' row stride ld must be at least E = ${E}, got ${ld}.`);
  if (dLogits.length < rows * ld) throw new RangeError(`dLogits has ${dLogits.length} elements where rows·ld = ${rows * ld} are needed.`);
  if (balance !== null && balance.length < hr) throw new RangeError(`balance has ${balance.length} elements where hr = ${hr} are needed.`);
  for (let i = 0; i < rows * k; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < hr)) throw new RangeError(`Selected head ${j} at position ${i} is outside 0..${hr - 1}.`);
  }
  return code;
}
