/**
 * The element-wise, gather and activation kernels of the fast backend: size checks
 * and marshalling around assembly/elementwise.ts and assembly/activations.ts.
 *
 * @internal
 */
import type { Kernels } from '../../kernels.js';
import type { CallFrame } from './frame.js';
import { checkSizes, rowExtent } from './shapes.js';
import type { WasmExports } from './wasm-exports.js';

type ElementwiseKernels = Pick<
  Kernels,
  | 'add' | 'mul' | 'scale' | 'axpy' | 'gatherRows' | 'scatterAddRows'
  | 'sigmoidForward' | 'sigmoidBackward' | 'siluForward' | 'siluBackward' | 'swigluForward' | 'swigluBackward'
  | 'reluForward' | 'reluBackward'
>;

type Unary = (out: number, x: number, n: number) => void;
type Binary = (out: number, a: number, b: number, n: number) => void;

/** Builds the element-wise kernels over one module instance and call frame. */
export function elementwiseKernels(wasm: WasmExports, frame: CallFrame): ElementwiseKernels {
  const unary = (fn: Unary) => (out: Float32Array, x: Float32Array, n: number): void => {
    checkSizes(n);
    if (n === 0) return;
    const o = frame.output(out, n);
    const i = frame.input(x, n);
    frame.begin();
    try {
      fn(frame.pointer(o), frame.pointer(i), n);
    } finally {
      frame.end();
    }
  };
  const binary = (fn: Binary) => (out: Float32Array, a: Float32Array, b: Float32Array, n: number): void => {
    checkSizes(n);
    if (n === 0) return;
    const o = frame.output(out, n);
    const pa = frame.input(a, n);
    const pb = frame.input(b, n);
    frame.begin();
    try {
      fn(frame.pointer(o), frame.pointer(pa), frame.pointer(pb), n);
    } finally {
      frame.end();
    }
  };

  return {
    add: binary((o, a, b, n) => wasm.add(o, a, b, n)),
    mul: binary((o, a, b, n) => wasm.mul(o, a, b, n)),
    scale(out, a, s, n) {
      unary((o, x, len) => wasm.scale(o, x, s, len))(out, a, n);
    },
    axpy(y, alpha, x, n) {
      unary((o, i, len) => wasm.axpy(o, alpha, i, len))(y, x, n);
    },

    gatherRows(out, table, ids, count, cols) {
      checkSizes(count, cols);
      if (count === 0 || cols === 0) return;
      const extent = rowExtent(ids, count);
      const o = frame.output(out, count * cols);
      const t = frame.input(table, extent * cols);
      const i = frame.input(ids, count);
      frame.begin();
      try {
        wasm.gatherRows(frame.pointer(o), frame.pointer(t), frame.pointer(i), count, cols);
      } finally {
        frame.end();
      }
    },
    scatterAddRows(dTable, dOut, ids, count, cols) {
      checkSizes(count, cols);
      if (count === 0 || cols === 0) return;
      const extent = rowExtent(ids, count);
      const t = frame.output(dTable, extent * cols);
      const d = frame.input(dOut, count * cols);
      const i = frame.input(ids, count);
      frame.begin();
      try {
        wasm.scatterAddRows(frame.pointer(t), frame.pointer(d), frame.pointer(i), count, cols);
      } finally {
        frame.end();
      }
    },

    sigmoidForward: unary((o, x, n) => wasm.sigmoidForward(o, x, n)),
    sigmoidBackward: binary((dx, y, dy, n) => wasm.sigmoidBackward(dx, y, dy, n)),
    siluForward: unary((o, x, n) => wasm.siluForward(o, x, n)),
    siluBackward: binary((dx, x, dy, n) => wasm.siluBackward(dx, x, dy, n)),
    swigluForward: binary((o, a, b, n) => wasm.swigluForward(o, a, b, n)),
    swigluBackward(dA, dB, a, b, dOut, n) {
      checkSizes(n);
      if (n === 0) return;
      const pda = frame.output(dA, n);
      const pdb = frame.output(dB, n);
      const pa = frame.input(a, n);
      const pb = frame.input(b, n);
      const pg = frame.input(dOut, n);
      frame.begin();
      try {
        wasm.swigluBackward(frame.pointer(pda), frame.pointer(pdb), frame.pointer(pa), frame.pointer(pb), frame.pointer(pg), n);
      } finally {
        frame.end();
      }
    },
    reluForward: unary((o, x, n) => wasm.reluForward(o, x, n)),
    reluBackward: binary((dx, x, dy, n) => wasm.reluBackward(dx, x, dy, n)),
  };
}
