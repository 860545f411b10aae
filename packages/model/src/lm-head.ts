/**
 * The LM head (SPEC §2): `logits = y W_out` with W_out `(d, V)`, or, tied to the
 * token embedding E `(V, d)`, `logits = y Eᵀ`. In the tied case the head's gradient
 * `dlogitsᵀ y` is added into the embedding gradient, on top of the lookup's
 * scatter-add, so both paths accumulate into one tensor.
 *
 * Shapes: N rows, d model width, V vocabulary. Keeps a reference to `y (N, d)`.
 */
import type { Backend } from '@moh/tensor';
import type { TensorRecord } from './store.js';

/** The head's weight view: W_out `(d, V)`, or E `(V, d)` when `tied`. */
export type LmHeadTensors = TensorRecord<'weight'>;

/** Projection of the final hidden states to vocabulary logits. */
export class LmHead {
  private readonly backend: Backend;
  private readonly params: LmHeadTensors;
  private readonly grads: LmHeadTensors;
  private readonly dim: number;
  private readonly vocab: number;
  /** Whether `weight` is the `(V, d)` embedding rather than a `(d, V)` matrix. */
  readonly tied: boolean;
  private y: Float32Array = new Float32Array(0);
  private rows = 0;

  constructor(backend: Backend, params: LmHeadTensors, grads: LmHeadTensors, dim: number, vocab: number, tied: boolean) {
    this.backend = backend;
    this.params = params;
    this.grads = grads;
    this.dim = dim;
    this.vocab = vocab;
    this.tied = tied;
  }

  /** `logits (N, V)` from `y (N, d)`. */
  forward(logits: Float32Array, y: Float32Array, rows: number): void {
    this.y = y;
    this.rows = rows;
    if (this.tied) this.backend.matmulNT(logits, y, this.params.weight, rows, this.dim, this.vocab);
    else this.backend.matmul(logits, y, this.params.weight, rows, this.dim, this.vocab);
  }

  /** Overwrites `dy (N, d)` from `dLogits (N, V)`; accumulates the weight gradient. */
  backward(dy: Float32Array, dLogits: Float32Array): void {
    const { backend: k, rows, dim: d, vocab: V } = this;
    if (this.tied) {
      k.matmulTN(this.grads.weight, dLogits, this.y, V, rows, d, true);
      k.matmul(dy, dLogits, this.params.weight, rows, V, d);
    } else {
      k.matmulTN(this.grads.weight, this.y, dLogits, d, rows, V, true);
      k.matmulNT(dy, dLogits, this.params.weight, rows, V, d);
    }
  }
}
