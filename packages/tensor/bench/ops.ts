/**
 * Row-wise and elementwise figures: ns per element of softmax, SiLU, RMSNorm,
 * cross-entropy, the Adam step and the attention's CoPE and banded softmax (bench/cope.ts)
 * at the seed model's sizes, both backends, each
 * checked against float64 before it is timed.
 */
import { Rng, type Backend } from '../src/index.js';
import { copeCases, type OpCase } from './cope.js';
import { assertClose, fillUniform, secondsPerCall } from './harness.js';

/** A measured op. */
export interface OpResult {
  readonly op: string;
  /** Elements processed per call. */
  readonly elements: number;
  /** Nanoseconds per element, by backend label. */
  readonly nsPerElement: Record<string, number>;
}

function float64Softmax(x: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[r * cols + j] - max);
    for (let j = 0; j < cols; j++) out[r * cols + j] = Math.exp(x[r * cols + j] - max) / sum;
  }
  return out;
}

const cases: readonly OpCase[] = [
  {
    // Attention probabilities: 8 heads × 80 query rows × 80 keys.
    op: 'softmax 640×80',
    rows: 640,
    cols: 80,
    prepare(backend, rng) {
      const x = backend.allocFloat32(this.rows * this.cols);
      const y = backend.allocFloat32(this.rows * this.cols);
      fillUniform(x.data, rng, 4);
      return {
        call: () => backend.softmaxForward(y.data, x.data, this.rows, this.cols),
        check: () => assertClose('softmax', y.data, float64Softmax(x.data, this.rows, this.cols), 1e-6, 1e-5),
        storages: [x, y],
      };
    },
  },
  {
    // The SwiGLU gate: 80 tokens × F 256.
    op: 'SiLU 80×256',
    rows: 80,
    cols: 256,
    prepare(backend, rng) {
      const x = backend.allocFloat32(this.rows * this.cols);
      const y = backend.allocFloat32(this.rows * this.cols);
      fillUniform(x.data, rng, 6);
      return {
        call: () => backend.siluForward(y.data, x.data, this.rows * this.cols),
        check: () => assertClose('silu', y.data, Array.from(x.data, (v) => v / (1 + Math.exp(-v))), 1e-6, 1e-5),
        storages: [x, y],
      };
    },
  },
  {
    op: 'RMSNorm 80×128',
    rows: 80,
    cols: 128,
    prepare(backend, rng) {
      const n = this.rows * this.cols;
      const [x, y, rstd, gamma] = [n, n, this.rows, this.cols].map((size) => backend.allocFloat32(size));
      fillUniform(x.data, rng, 2);
      fillUniform(gamma.data, rng, 1);
      const expected = (): number[] => {
        const out: number[] = [];
        for (let r = 0; r < this.rows; r++) {
          let ss = 0;
          for (let j = 0; j < this.cols; j++) ss += x.data[r * this.cols + j] ** 2;
          const s = 1 / Math.sqrt(ss / this.cols + 1e-6);
          for (let j = 0; j < this.cols; j++) out.push(gamma.data[j] * x.data[r * this.cols + j] * s);
        }
        return out;
      };
      return {
        call: () => backend.rmsnormForward(y.data, rstd.data, x.data, gamma.data, 1e-6, this.rows, this.cols),
        check: () => assertClose('rmsnorm', y.data, expected(), 1e-5, 1e-5),
        storages: [x, y, rstd, gamma],
      };
    },
  },
  {
    // The LM-head loss: 80 tokens × V 605.
    op: 'cross-entropy 80×605',
    rows: 80,
    cols: 605,
    prepare(backend, rng) {
      const n = this.rows * this.cols;
      const logits = backend.allocFloat32(n);
      const probs = backend.allocFloat32(n);
      const targets = backend.allocInt32(this.rows);
      fillUniform(logits.data, rng, 5);
      for (let r = 0; r < this.rows; r++) targets.data[r] = rng.int(this.cols);
      let loss = 0;
      const expected = (): number => {
        const p = float64Softmax(logits.data, this.rows, this.cols);
        let s = 0;
        for (let r = 0; r < this.rows; r++) s -= Math.log(p[r * this.cols + targets.data[r]]);
        return s / this.rows;
      };
      return {
        call: () => {
          loss = backend.crossEntropyForward(probs.data, logits.data, targets.data, this.rows, this.cols);
        },
        check: () => assertClose('cross-entropy', [loss], [expected()], 1e-6, 1e-5),
        storages: [logits, probs, targets],
      };
    },
  },
  {
    // One AdamW step over every parameter of the seed-moh model.
    op: 'AdamW step 577,280',
    rows: 1,
    cols: 577_280,
    prepare(backend, rng) {
      const n = this.cols;
      const [param, m, v, grad] = [n, n, n, n].map((size) => backend.allocFloat32(size));
      fillUniform(param.data, rng, 0.1);
      fillUniform(grad.data, rng, 0.01);
      const options = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 };
      const p0 = Float64Array.from(param.data);
      const g = Float64Array.from(grad.data);
      return {
        call: () => backend.adamwStep(param.data, m.data, v.data, grad.data, options, n),
        check: () => {
          // After the first step from zero moments, m̂ = g and v̂ = g², so the update is lr·g/(|g|+eps).
          const expected = Array.from(p0, (p, i) => p - options.lr * options.weightDecay * p - (options.lr * g[i]) / (Math.abs(g[i]) + options.eps));
          assertClose('adamw', param.data, expected, 1e-6, 1e-5);
        },
        storages: [param, m, v, grad],
      };
    },
  },
  ...copeCases,
];

/** Checks then times every op on every backend, alternating backends op by op. */
export function benchOps(backends: readonly Backend[], seed: number): OpResult[] {
  return cases.map((c) => {
    const nsPerElement: Record<string, number> = {};
    for (const backend of backends) {
      const { call, check, storages } = c.prepare(backend, new Rng(seed));
      call();
      check();
      nsPerElement[backend.label] = (secondsPerCall(call) * 1e9) / (c.rows * c.cols);
      for (const storage of storages) storage.free();
    }
    return { op: c.op, elements: c.rows * c.cols, nsPerElement };
  });
}
