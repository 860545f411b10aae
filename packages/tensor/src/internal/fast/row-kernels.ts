/**
 * The row-wise kernels of the fast backend (softmax, log-softmax, cross-entropy,
 * RMSNorm, LayerNorm): size checks and marshalling around assembly/softmax.ts and
 * assembly/norms.ts.
 *
 * @internal
 */
import type { Kernels } from '../../kernels.js';
import { checkBands } from '../bands.js';
import type { CallFrame } from './frame.js';
import { checkSizes } from './shapes.js';
import type { WasmExports } from './wasm-exports.js';

type RowKernels = Pick<
  Kernels,
  | 'softmaxForward' | 'softmaxBackward' | 'maskedSoftmaxForward' | 'maskedSoftmaxBackward'
  | 'logSoftmaxForward' | 'logSoftmaxBackward'
  | 'crossEntropyForward' | 'crossEntropyBackward'
  | 'rmsnormForward' | 'rmsnormBackward' | 'layernormForward' | 'layernormBackward'
>;

type RowUnary = (out: number, x: number, rows: number, cols: number) => void;
type RowBinary = (dx: number, y: number, dy: number, rows: number, cols: number) => void;

/** Checks that every unmasked target names a column (inside wasm it would read past the row). */
function checkTargets(targets: Int32Array, rows: number, cols: number): void {
  if (targets.length < rows) throw new RangeError(`targets has ${targets.length} entries, fewer than ${rows}.`);
  for (let r = 0; r < rows; r++) {
    if (targets[r] >= cols) throw new RangeError(`Target ${targets[r]} of row ${r} is not below ${cols}.`);
  }
}

/** Builds the row-wise kernels over one module instance and call frame. */
export function rowKernels(wasm: WasmExports, frame: CallFrame): RowKernels {
  const unary = (fn: RowUnary) => (out: Float32Array, x: Float32Array, rows: number, cols: number): void => {
    checkSizes(rows, cols);
    const n = rows * cols;
    if (n === 0) return;
    const o = frame.output(out, n);
    const i = frame.input(x, n);
    frame.begin();
    try {
      fn(frame.pointer(o), frame.pointer(i), rows, cols);
    } finally {
      frame.end();
    }
  };
  const binary = (fn: RowBinary) => (dx: Float32Array, y: Float32Array, dy: Float32Array, rows: number, cols: number): void => {
    checkSizes(rows, cols);
    const n = rows * cols;
    if (n === 0) return;
    const o = frame.output(dx, n);
    const py = frame.input(y, n);
    const pd = frame.input(dy, n);
    frame.begin();
    try {
      fn(frame.pointer(o), frame.pointer(py), frame.pointer(pd), rows, cols);
    } finally {
      frame.end();
    }
  };

  return {
    softmaxForward: unary((o, x, r, c) => wasm.softmaxForward(o, x, r, c)),
    softmaxBackward: binary((dx, y, dy, r, c) => wasm.softmaxBackward(dx, y, dy, r, c)),
    maskedSoftmaxForward(out, x, lo, hi, scale, rows, cols) {
      checkSizes(rows, cols);
      checkBands(lo, hi, scale, rows, cols);
      if (rows === 0 || cols === 0) return;
      const o = frame.output(out, rows * cols);
      const i = frame.input(x, rows * cols);
      const a = frame.input(lo, rows);
      const b = frame.input(hi, rows);
      frame.begin();
      try {
        wasm.maskedSoftmaxForward(frame.pointer(o), frame.pointer(i), frame.pointer(a), frame.pointer(b), scale, rows, cols);
      } finally {
        frame.end();
      }
    },
    maskedSoftmaxBackward(dx, y, dy, lo, hi, scale, rows, cols) {
      checkSizes(rows, cols);
      checkBands(lo, hi, scale, rows, cols);
      if (rows === 0 || cols === 0) return;
      const o = frame.output(dx, rows * cols);
      const py = frame.input(y, rows * cols);
      const pd = frame.input(dy, rows * cols);
      const a = frame.input(lo, rows);
      const b = frame.input(hi, rows);
      frame.begin();
      try {
        wasm.maskedSoftmaxBackward(
          frame.pointer(o), frame.pointer(py), frame.pointer(pd), frame.pointer(a), frame.pointer(b), scale, rows, cols,
        );
      } finally {
        frame.end();
      }
    },
    logSoftmaxForward: unary((o, x, r, c) => wasm.logSoftmaxForward(o, x, r, c)),
    logSoftmaxBackward: binary((dx, y, dy, r, c) => wasm.logSoftmaxBackward(dx, y, dy, r, c)),

    crossEntropyForward(probs, logits, targets, rows, cols) {
      checkSizes(rows, cols);
      if (rows === 0) return 0;
      checkTargets(targets, rows, cols);
      if (cols === 0) {
        // No classes: every unmasked row has −log 0 = ∞ loss; masked rows give 0.
        for (let r = 0; r < rows; r++) if (targets[r] >= 0) return Infinity;
        return 0;
      }
      const p = frame.output(probs, rows * cols);
      const l = frame.input(logits, rows * cols);
      const t = frame.input(targets, rows);
      frame.begin();
      try {
        return wasm.crossEntropyForward(frame.pointer(p), frame.pointer(l), frame.pointer(t), rows, cols);
      } finally {
        frame.end();
      }
    },
    crossEntropyBackward(dLogits, probs, targets, dLoss, rows, cols) {
      checkSizes(rows, cols);
      if (rows === 0 || cols === 0) return;
      checkTargets(targets, rows, cols);
      const d = frame.output(dLogits, rows * cols);
      const p = frame.input(probs, rows * cols);
      const t = frame.input(targets, rows);
      frame.begin();
      try {
        wasm.crossEntropyBackward(frame.pointer(d), frame.pointer(p), frame.pointer(t), dLoss, rows, cols);
      } finally {
        frame.end();
      }
    },

    rmsnormForward(out, rstd, x, gamma, eps, rows, cols) {
      checkSizes(rows, cols);
      if (rows === 0) return;
      const o = frame.output(out, rows * cols);
      const s = frame.output(rstd, rows);
      const i = frame.input(x, rows * cols);
      const g = frame.input(gamma, cols);
      frame.begin();
      try {
        wasm.rmsnormForward(frame.pointer(o), frame.pointer(s), frame.pointer(i), frame.pointer(g), eps, rows, cols);
      } finally {
        frame.end();
      }
    },
    rmsnormBackward(dx, dGamma, dy, x, gamma, rstd, rows, cols) {
      checkSizes(rows, cols);
      if (rows === 0 || cols === 0) return;
      const d = frame.output(dx, rows * cols);
      const dg = frame.output(dGamma, cols);
      const pdy = frame.input(dy, rows * cols);
      const i = frame.input(x, rows * cols);
      const g = frame.input(gamma, cols);
      const s = frame.input(rstd, rows);
      frame.begin();
      try {
        wasm.rmsnormBackward(
          frame.pointer(d), frame.pointer(dg), frame.pointer(pdy), frame.pointer(i), frame.pointer(g), frame.pointer(s),
          rows, cols,
        );
      } finally {
        frame.end();
      }
    },
    layernormForward(out, mean, rstd, x, gamma, beta, eps, rows, cols) {
      checkSizes(rows, cols);
      if (rows === 0) return;
      const o = frame.output(out, rows * cols);
      const mu = frame.output(mean, rows);
      const s = frame.output(rstd, rows);
      const i = frame.input(x, rows * cols);
      const g = frame.input(gamma, cols);
      const b = frame.input(beta, cols);
      frame.begin();
      try {
        wasm.layernormForward(
          frame.pointer(o), frame.pointer(mu), frame.pointer(s), frame.pointer(i), frame.pointer(g), frame.pointer(b),
          eps, rows, cols,
        );
      } finally {
        frame.end();
      }
    },
    layernormBackward(dx, dGamma, dBeta, dy, x, gamma, mean, rstd, rows, cols) {
      checkSizes(rows, cols);
      if (rows === 0 || cols === 0) return;
      const d = frame.output(dx, rows * cols);
      const dg = frame.output(dGamma, cols);
      const db = frame.output(dBeta, cols);
      const pdy = frame.input(dy, rows * cols);
      const i = frame.input(x, rows * cols);
      const g = frame.input(gamma, cols);
      const mu = frame.input(mean, rows);
      const s = frame.input(rstd, rows);
      frame.begin();
      try {
        wasm.layernormBackward(
          frame.pointer(d), frame.pointer(dg), frame.pointer(db), frame.pointer(pdy), frame.pointer(i), frame.pointer(g),
          frame.pointer(mu), frame.pointer(s), rows, cols,
        );
      } finally {
        frame.end();
      }
    },
  };
}
