/**
 * The feed-forward network of a block (SPEC §2):
 * - SwiGLU `out = (silu(x W1) ⊙ (x W2)) W3`, no biases;
 * - ReLU `out = relu(x W1 + b1) W2 + b2`.
 *
 * Shapes: N rows, d model width, F hidden width; W1, W2 are `(d, F)` for SwiGLU, W3
 * `(F, d)`; for ReLU W1 `(d, F)`, b1 `(F)`, W2 `(F, d)`, b2 `(d)`. The layer keeps a
 * reference to its input `x (N, d)`, which must survive until the backward.
 */
import { Workspace, type Backend } from '@moh/tensor';
import type { FfnConfig } from './config.js';
import type { TensorRecord } from './store.js';

/** Parameter (or gradient) views of an FFN; biases exist only for ReLU. */
export type FfnTensors = TensorRecord<'w1' | 'w2'> & {
  readonly w3?: Float32Array;
  readonly b1?: Float32Array;
  readonly b2?: Float32Array;
};

/** One block's FFN, SwiGLU or ReLU. */
export class FeedForward {
  private readonly backend: Backend;
  private readonly config: FfnConfig;
  private readonly params: FfnTensors;
  private readonly grads: FfnTensors;
  private readonly dim: number;
  private x: Float32Array = new Float32Array(0);
  private rows = 0;
  /** `(N, F)`: x W1 (+ b1), the pre-activation. */
  private a: Float32Array = new Float32Array(0);
  /** `(N, F)`: SwiGLU x W2, the linear branch. */
  private b: Float32Array = new Float32Array(0);
  /** `(N, F)`: the hidden activation fed to the output matrix. */
  private hidden: Float32Array = new Float32Array(0);
  /** `(N, F)` backward scratch. */
  private dHidden: Float32Array = new Float32Array(0);
  private dA: Float32Array = new Float32Array(0);
  private dB: Float32Array = new Float32Array(0);

  /** @param workspace - Where the activations live; defaults to ordinary arrays. */
  constructor(
    backend: Backend,
    config: FfnConfig,
    params: FfnTensors,
    grads: FfnTensors,
    dim: number,
    private readonly workspace: Workspace = new Workspace(),
  ) {
    this.backend = backend;
    this.config = config;
    this.params = params;
    this.grads = grads;
    this.dim = dim;
  }

  /** `out (N, d) = FFN(x (N, d))`. */
  forward(out: Float32Array, x: Float32Array, rows: number): void {
    const { backend: k, dim: d } = this;
    const F = this.config.hiddenDim;
    this.x = x;
    this.rows = rows;
    this.a = this.workspace.ensure(this.a, rows * F);
    this.hidden = this.workspace.ensure(this.hidden, rows * F);
    switch (this.config.kind) {
      case 'swiglu':
        this.b = this.workspace.ensure(this.b, rows * F);
        k.matmul(this.a, x, this.params.w1, rows, d, F);
        k.matmul(this.b, x, this.params.w2, rows, d, F);
        k.swigluForward(this.hidden, this.a, this.b, rows * F);
        k.matmul(out, this.hidden, need(this.params.w3, 'w3'), rows, F, d);
        return;
      case 'relu':
        k.matmul(this.a, x, this.params.w1, rows, d, F);
        addBias(this.a, need(this.params.b1, 'b1'), rows, F);
        k.reluForward(this.hidden, this.a, rows * F);
        k.matmul(out, this.hidden, this.params.w2, rows, F, d);
        addBias(out, need(this.params.b2, 'b2'), rows, d);
        return;
      default:
        exhaustive(this.config);
    }
  }

  /** Overwrites `dx (N, d)` from `dOut (N, d)`; accumulates every weight gradient. */
  backward(dx: Float32Array, dOut: Float32Array): void {
    const { backend: k, dim: d, rows, x } = this;
    const F = this.config.hiddenDim;
    const n = rows * F;
    this.dHidden = this.workspace.ensure(this.dHidden, n);
    this.dA = this.workspace.ensure(this.dA, n);
    switch (this.config.kind) {
      case 'swiglu': {
        this.dB = this.workspace.ensure(this.dB, n);
        k.matmulNT(this.dHidden, dOut, need(this.params.w3, 'w3'), rows, d, F);
        k.matmulTN(need(this.grads.w3, 'w3'), this.hidden, dOut, F, rows, d, true);
        // hidden = silu(a) ⊙ b: d b = dHidden ⊙ silu(a), d a = silu'(a) ⊙ dHidden ⊙ b.
        k.swigluBackward(this.dA, this.dB, this.a, this.b, this.dHidden, n);
        k.matmulTN(this.grads.w1, x, this.dA, d, rows, F, true);
        k.matmulTN(this.grads.w2, x, this.dB, d, rows, F, true);
        k.matmulNT(dx, this.dA, this.params.w1, rows, F, d);
        k.matmulNT(dx, this.dB, this.params.w2, rows, F, d, true);
        return;
      }
      case 'relu':
        k.matmulNT(this.dHidden, dOut, this.params.w2, rows, d, F);
        k.matmulTN(this.grads.w2, this.hidden, dOut, F, rows, d, true);
        k.sumRows(need(this.grads.b2, 'b2'), dOut, rows, d, true);
        k.reluBackward(this.dA, this.a, this.dHidden, n);
        k.matmulTN(this.grads.w1, x, this.dA, d, rows, F, true);
        k.sumRows(need(this.grads.b1, 'b1'), this.dA, rows, F, true);
        k.matmulNT(dx, this.dA, this.params.w1, rows, F, d);
        return;
      default:
        exhaustive(this.config);
    }
  }
}

/** `x (rows, cols) += bias (cols)` on every row. */
function addBias(x: Float32Array, bias: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) x[o + j] += bias[j];
  }
}

function need(tensor: Float32Array | undefined, name: string): Float32Array {
  if (tensor === undefined) throw new Error(`The FFN needs tensor ${name}, which the parameter table lacks.`);
  return tensor;
}

function exhaustive(value: never): never {
  throw new Error(`Unknown FFN ${JSON.stringify(value)}.`);
}
