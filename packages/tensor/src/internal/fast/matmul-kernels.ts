/**
 * The matrix-product kernels of the fast backend: argument checks and marshalling
 * around the WebAssembly exports of assembly/matmul.ts.
 *
 * @internal
 */
import type { Kernels } from '../../kernels.js';
import type { CallFrame } from './frame.js';
import { checkSizes, rowExtent, span } from './shapes.js';
import type { WasmExports } from './wasm-exports.js';

type MatmulKernels = Pick<
  Kernels,
  'matmul' | 'matmulTN' | 'matmulNT' | 'matmulRows' | 'matmulColumnBlocks' | 'matmulNTRows' | 'matmulTNRows'
>;

/** Builds the matrix-product kernels over one module instance and call frame. */
export function matmulKernels(wasm: WasmExports, frame: CallFrame): MatmulKernels {
  return {
    matmul(out, a, b, m, k, n, accumulate = false, lda = k, ldb = n, ldc = n) {
      checkSizes(m, k, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const o = frame.output(out, span(m, n, ldc));
      const pa = frame.input(a, span(m, k, lda));
      const pb = frame.input(b, span(k, n, ldb));
      const s = frame.scratch(wasm.matmulScratchBytes(k));
      frame.begin();
      try {
        wasm.matmul(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), m, k, n, accumulate ? 1 : 0, lda, ldb, ldc, frame.pointer(s),
        );
      } finally {
        frame.end();
      }
    },

    matmulTN(out, a, b, m, k, n, accumulate = false, lda = m, ldb = n, ldc = n) {
      checkSizes(m, k, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const o = frame.output(out, span(m, n, ldc));
      const pa = frame.input(a, span(k, m, lda));
      const pb = frame.input(b, span(k, n, ldb));
      const s = frame.scratch(wasm.matmulScratchBytes(k));
      frame.begin();
      try {
        wasm.matmulTN(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), m, k, n, accumulate ? 1 : 0, lda, ldb, ldc, frame.pointer(s),
        );
      } finally {
        frame.end();
      }
    },

    matmulNT(out, a, b, m, k, n, accumulate = false, lda = k, ldb = k, ldc = n) {
      checkSizes(m, k, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const o = frame.output(out, span(m, n, ldc));
      const pa = frame.input(a, span(m, k, lda));
      const pb = frame.input(b, span(n, k, ldb));
      const s = frame.scratch(wasm.matmulNTScratchBytes(k, n));
      frame.begin();
      try {
        wasm.matmulNT(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), m, k, n, accumulate ? 1 : 0, lda, ldb, ldc, frame.pointer(s),
        );
      } finally {
        frame.end();
      }
    },

    matmulRows(out, a, b, rows, count, k, n, accumulate = false, lda = k, ldb = n, ldc = n, compact = false) {
      checkSizes(count, k, n, lda, ldb, ldc);
      if (count === 0 || n === 0) return;
      const extent = rowExtent(rows, count);
      const o = frame.output(out, span(compact ? count : extent, n, ldc));
      const pa = frame.input(a, span(extent, k, lda));
      const pb = frame.input(b, span(k, n, ldb));
      const pr = frame.input(rows, count);
      const s = frame.scratch(wasm.matmulScratchBytes(k));
      frame.begin();
      try {
        wasm.matmulRows(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), frame.pointer(pr), count, k, n,
          accumulate ? 1 : 0, lda, ldb, ldc, frame.pointer(s), compact ? 1 : 0,
        );
      } finally {
        frame.end();
      }
    },

    matmulColumnBlocks(out, a, b, blocks, count, m, k, width, accumulate = false, lda = k, ldb, ldc = count * width) {
      // Checked before any use: an index past `b` would read other tensors in memory.
      const columns = rowExtent(blocks, count) * width;
      const ldB = ldb ?? columns;
      checkSizes(count, m, k, width, lda, ldB, ldc);
      if (count === 0 || m === 0 || width === 0) return;
      const o = frame.output(out, span(m, count * width, ldc));
      const pa = frame.input(a, span(m, k, lda));
      const pb = frame.input(b, span(k, columns, ldB));
      const pl = frame.input(blocks, count);
      const s = frame.scratch(wasm.matmulScratchBytes(k));
      frame.begin();
      try {
        wasm.matmulColumnBlocks(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), frame.pointer(pl), count, m, k, width,
          accumulate ? 1 : 0, lda, ldB, ldc, frame.pointer(s),
        );
      } finally {
        frame.end();
      }
    },

    matmulNTRows(out, a, b, rows, count, k, n, accumulate = false, lda = k, ldb = k, ldc = n, compact = false) {
      checkSizes(count, k, n, lda, ldb, ldc);
      if (count === 0 || n === 0) return;
      const extent = rowExtent(rows, count);
      const o = frame.output(out, span(extent, n, ldc));
      const pa = frame.input(a, span(compact ? count : extent, k, lda));
      const pb = frame.input(b, span(n, k, ldb));
      const pr = frame.input(rows, count);
      const s = frame.scratch(wasm.matmulNTScratchBytes(k, n));
      frame.begin();
      try {
        wasm.matmulNTRows(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), frame.pointer(pr), count, k, n,
          accumulate ? 1 : 0, lda, ldb, ldc, frame.pointer(s), compact ? 1 : 0,
        );
      } finally {
        frame.end();
      }
    },

    matmulTNRows(out, a, b, rows, count, m, n, accumulate = false, lda = m, ldb = n, ldc = n, compact = false) {
      checkSizes(count, m, n, lda, ldb, ldc);
      if (m === 0 || n === 0) return;
      const extent = rowExtent(rows, count);
      const o = frame.output(out, span(m, n, ldc));
      const pa = frame.input(a, span(extent, m, lda));
      const pb = frame.input(b, span(compact ? count : extent, n, ldb));
      const pr = frame.input(rows, count);
      const s = frame.scratch(count === 0 ? 0 : wasm.matmulTNRowsScratchBytes(m, n));
      frame.begin();
      try {
        wasm.matmulTNRows(
          frame.pointer(o), frame.pointer(pa), frame.pointer(pb), frame.pointer(pr), count, m, n,
          accumulate ? 1 : 0, lda, ldb, ldc, frame.pointer(s), compact ? 1 : 0,
        );
      } finally {
        frame.end();
      }
    },
  };
}
