/**
 * The head-router kernels of the fast backend: the shared argument checks, then one call
 * into assembly/head-route.ts for every row of a layer (with the router's product, for
 * `headRouteProjectForward`).
 *
 * @internal
 */
import type { Kernels } from '../../kernels.js';
import { checkHeadRouteBackward, checkHeadRouteForward, checkHeadRouteProjectForward } from '../head-route.js';
import type { CallFrame } from './frame.js';
import type { WasmExports } from './wasm-exports.js';

type RouteKernels = Pick<
  Kernels,
  'headRouteForward' | 'headRouteProjectForward' | 'prepareHeadRouteProjectForward' | 'headRouteBackward'
>;

/** Registers the outputs both forwards write (gates, base, s, r, alpha, indices); returns their slots in that order. */
function forwardOutputs(
  frame: CallFrame, gates: Float32Array, base: Float32Array, s: Float32Array, r: Float32Array, alpha: Float32Array,
  indices: Int32Array, rows: number, hs: number, hr: number, k: number,
): [number, number, number, number, number, number] {
  return [
    frame.output(gates, rows * (hs + hr)),
    frame.output(base, rows * hr),
    frame.output(s, rows * hs),
    frame.output(r, rows * hr),
    frame.output(alpha, rows * 2),
    frame.output(indices, rows * k),
  ];
}

/** Builds the head-router kernels over one module instance and call frame. */
export function routeKernels(wasm: WasmExports, frame: CallFrame): RouteKernels {
  const kernels: RouteKernels = {
    headRouteForward(gates, base, s, r, alpha, indices, logitsT, gating, rows, hs, hr, k) {
      const code = checkHeadRouteForward(gates, base, s, r, alpha, indices, logitsT, gating, rows, hs, hr, k);
      if (rows === 0) return;
      const [pg, pb, ps, pr, pa, pi] = forwardOutputs(frame, gates, base, s, r, alpha, indices, rows, hs, hr, k);
      const pl = frame.input(logitsT, (hs + hr + 2) * rows);
      const scratch = frame.scratch(wasm.headRouteScratchBytes(hs, hr, k));
      frame.begin();
      try {
        wasm.headRouteForward(
          frame.pointer(pg), frame.pointer(pb), frame.pointer(ps), frame.pointer(pr), frame.pointer(pa), frame.pointer(pi),
          frame.pointer(pl), frame.pointer(scratch), code, rows, hs, hr, k,
        );
      } finally {
        frame.end();
      }
    },

    headRouteProjectForward(gates, base, s, r, alpha, indices, logitsT, x, w, gating, rows, d, hs, hr, k) {
      const code = checkHeadRouteProjectForward(gates, base, s, r, alpha, indices, logitsT, x, w, gating, rows, d, hs, hr, k);
      if (rows === 0) return;
      const E = hs + hr + 2;
      const [pg, pb, ps, pr, pa, pi] = forwardOutputs(frame, gates, base, s, r, alpha, indices, rows, hs, hr, k);
      const pl = frame.output(logitsT, E * rows);
      const px = frame.input(x, rows * d);
      const pw = frame.input(w, E * d);
      const scratch = frame.scratch(wasm.headRouteProjectScratchBytes(d, rows, hs, hr, k));
      frame.begin();
      try {
        wasm.headRouteProjectForward(
          frame.pointer(pg), frame.pointer(pb), frame.pointer(ps), frame.pointer(pr), frame.pointer(pa), frame.pointer(pi),
          frame.pointer(pl), frame.pointer(px), frame.pointer(pw), frame.pointer(scratch), code, rows, d, hs, hr, k,
        );
      } finally {
        frame.end();
      }
    },

    prepareHeadRouteProjectForward(gates, base, s, r, alpha, indices, logitsT, x, w, gating, rows, d, hs, hr, k) {
      const code = checkHeadRouteProjectForward(gates, base, s, r, alpha, indices, logitsT, x, w, gating, rows, d, hs, hr, k);
      if (rows === 0) return () => undefined;
      const bytes = wasm.headRouteProjectScratchBytes(d, rows, hs, hr, k);
      const arrays = [gates, base, s, r, alpha, indices, logitsT, x, w];
      // Places first: growing the scratch may grow the memory, which detaches views of an unshared one.
      const resident = arrays.every((a) => frame.resident(a));
      const [pg, pb, ps, pr, pa, pi, pl, px, pw] = arrays.map((a) => a.byteOffset);
      if (!resident || frame.borrow(bytes) === null) {
        // Arrays outside the memory are copied in and out at every call, as the plain call does.
        return () => kernels.headRouteProjectForward(gates, base, s, r, alpha, indices, logitsT, x, w, gating, rows, d, hs, hr, k);
      }
      const run = wasm.headRouteProjectForward;
      return () => run(pg, pb, ps, pr, pa, pi, pl, px, pw, frame.borrow(bytes) as number, code, rows, d, hs, hr, k);
    },

    headRouteBackward(dLogits, dGates, s, r, alpha, base, indices, balance, gating, rows, hs, hr, k, ld) {
      const code = checkHeadRouteBackward(dLogits, dGates, s, r, alpha, base, indices, balance, gating, rows, hs, hr, k, ld);
      if (rows === 0) return;
      const pd = frame.output(dLogits, rows * ld);
      const pg = frame.input(dGates, rows * (hs + hr));
      const ps = frame.input(s, rows * hs);
      const pr = frame.input(r, rows * hr);
      const pa = frame.input(alpha, rows * 2);
      const pb = frame.input(base, rows * hr);
      const pi = frame.input(indices, rows * k);
      const pw = balance === null ? -1 : frame.input(balance, hr);
      const scratch = frame.scratch(wasm.headRouteScratchBytes(hs, hr, k));
      frame.begin();
      try {
        wasm.headRouteBackward(
          frame.pointer(pd), frame.pointer(pg), frame.pointer(ps), frame.pointer(pr), frame.pointer(pa), frame.pointer(pb),
          frame.pointer(pi), pw < 0 ? 0 : frame.pointer(pw), frame.pointer(scratch), code, rows, hs, hr, k, ld,
        );
      } finally {
        frame.end();
      }
    },
  };
  return kernels;
}
