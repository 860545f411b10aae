/**
 * The CoPE kernels of the fast backend: argument checks and marshalling around
 * assembly/cope.ts. The backward's float64 scratch (two rows' positions and two copies of
 * each one's `q·E` gradient) is call-frame scratch, so nothing is allocated per call.
 *
 * @internal
 */
import type { Kernels } from '../../kernels.js';
import { checkBands, checkCopeTable, packedLength } from '../bands.js';
import type { CallFrame } from './frame.js';
import { checkSizes } from './shapes.js';
import type { WasmExports } from './wasm-exports.js';

type CopeKernels = Pick<Kernels, 'copeGatesForward' | 'copeBiasForward' | 'copeBiasBackward'>;

/** Builds the CoPE kernels over one module instance and call frame. */
export function copeKernels(wasm: WasmExports, frame: CallFrame): CopeKernels {
  return {
    copeGatesForward(z, x, lo, hi, positions, rows, cols) {
      checkSizes(rows, cols);
      checkBands(lo, hi, 1, rows, cols);
      checkCopeTable(positions, 1);
      const packed = packedLength(lo, hi, rows);
      if (packed === 0) return 1;
      const pz = frame.output(z, packed);
      const px = frame.input(x, rows * cols);
      const a = frame.input(lo, rows);
      const b = frame.input(hi, rows);
      frame.begin();
      try {
        return wasm.copeGatesForward(frame.pointer(pz), frame.pointer(px), frame.pointer(a), frame.pointer(b), positions, rows, cols);
      } finally {
        frame.end();
      }
    },
    copeBiasForward(scores, z, qe, lo, hi, scale, positions, width, rows, cols) {
      checkSizes(rows, cols);
      checkBands(lo, hi, scale, rows, cols);
      checkCopeTable(positions, width);
      const packed = packedLength(lo, hi, rows);
      if (packed === 0) return;
      const s = frame.output(scores, rows * cols);
      const pz = frame.input(z, packed);
      const q = frame.input(qe, rows * width);
      const a = frame.input(lo, rows);
      const b = frame.input(hi, rows);
      frame.begin();
      try {
        wasm.copeBiasForward(
          frame.pointer(s), frame.pointer(pz), frame.pointer(q), frame.pointer(a), frame.pointer(b), scale, positions, width,
          rows, cols,
        );
      } finally {
        frame.end();
      }
    },
    copeBiasBackward(dScores, dqe, z, qe, lo, hi, scale, positions, width, rows, cols) {
      checkSizes(rows, cols);
      checkBands(lo, hi, scale, rows, cols);
      checkCopeTable(positions, width);
      if (rows === 0) return;
      const packed = packedLength(lo, hi, rows);
      const d = frame.output(dScores, rows * cols);
      const dq = frame.output(dqe, rows * width);
      const pz = frame.input(z, packed);
      const q = frame.input(qe, rows * width);
      const a = frame.input(lo, rows);
      const b = frame.input(hi, rows);
      const pos = frame.scratch(2 * cols * 8);
      const row = frame.scratch(4 * width * 8);
      frame.begin();
      try {
        wasm.copeBiasBackward(
          frame.pointer(d), frame.pointer(dq), frame.pointer(pz), frame.pointer(q), frame.pointer(a), frame.pointer(b), scale,
          positions, width, rows, cols, frame.pointer(pos), frame.pointer(row),
        );
      } finally {
        frame.end();
      }
    },
  };
}
