/**
 * The selection, reduction and optimizer kernels of the fast backend: size checks and
 * marshalling around assembly/reductions.ts and assembly/optimizer.ts.
 *
 * @internal
 */
import type { AdamStepOptions, Kernels } from '../../kernels.js';
import type { CallFrame } from './frame.js';
import { checkSizes } from './shapes.js';
import type { WasmExports } from './wasm-exports.js';

type ReduceKernels = Pick<
  Kernels,
  'topK' | 'sum' | 'mean' | 'max' | 'sumRows' | 'adamStep' | 'adamwStep' | 'l2Norm' | 'clipByGlobalNorm'
>;

type AdamExport = WasmExports['adamStep'];

/** Builds the reduction and optimizer kernels over one module instance and call frame. */
export function reduceKernels(wasm: WasmExports, frame: CallFrame): ReduceKernels {
  const reduce = (fn: (x: number, n: number) => number, empty: number) => (x: Float32Array, n: number): number => {
    checkSizes(n);
    if (n === 0) return empty;
    const i = frame.input(x, n);
    frame.begin();
    try {
      return fn(frame.pointer(i), n);
    } finally {
      frame.end();
    }
  };
  const sum = reduce((x, n) => wasm.sum(x, n), 0);

  const adam = (fn: AdamExport) => (
    param: Float32Array, m: Float32Array, v: Float32Array, grad: Float32Array, options: AdamStepOptions, n: number,
  ): void => {
    checkSizes(n);
    if (n === 0) return;
    const { lr, beta1, beta2, eps, weightDecay, step } = options;
    const p = frame.output(param, n);
    const pm = frame.output(m, n);
    const pv = frame.output(v, n);
    const g = frame.input(grad, n);
    frame.begin();
    try {
      fn(
        frame.pointer(p), frame.pointer(pm), frame.pointer(pv), frame.pointer(g), lr, beta1, beta2, eps, weightDecay,
        1 - beta1 ** step, 1 - beta2 ** step, n,
      );
    } finally {
      frame.end();
    }
  };

  return {
    topK(indices, values, x, k, rows, cols) {
      checkSizes(k, rows, cols);
      if (k > cols) throw new RangeError(`topK needs k ≤ cols, got k = ${k} and cols = ${cols}.`);
      if (k === 0 || rows === 0) return;
      const pi = frame.output(indices, rows * k);
      const pv = frame.output(values, rows * k);
      const px = frame.input(x, rows * cols);
      frame.begin();
      try {
        wasm.topK(frame.pointer(pi), frame.pointer(pv), frame.pointer(px), k, rows, cols);
      } finally {
        frame.end();
      }
    },
    sum,
    mean: (x, n) => (n === 0 ? NaN : sum(x, n) / n),
    max: reduce((x, n) => wasm.max(x, n), -Infinity),
    sumRows(out, x, rows, cols, accumulate = false) {
      checkSizes(rows, cols);
      if (cols === 0) return;
      const o = frame.output(out, cols);
      const i = frame.input(x, rows * cols);
      frame.begin();
      try {
        wasm.sumRows(frame.pointer(o), frame.pointer(i), rows, cols, accumulate ? 1 : 0);
      } finally {
        frame.end();
      }
    },
    adamStep: adam((...args) => wasm.adamStep(...args)),
    adamwStep: adam((...args) => wasm.adamwStep(...args)),
    l2Norm: reduce((x, n) => wasm.l2Norm(x, n), 0),
    clipByGlobalNorm(x, maxNorm, n) {
      checkSizes(n);
      if (n === 0) return 0;
      const i = frame.output(x, n);
      frame.begin();
      try {
        return wasm.clipByGlobalNorm(frame.pointer(i), maxNorm, n);
      } finally {
        frame.end();
      }
    },
  };
}
