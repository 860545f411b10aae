/**
 * Token embedding, optionally plus a learned absolute position table (SPEC §2):
 * `x[b·T + t] = E[ids[b·T + t]] (+ P[t])`.
 *
 * Shapes: N = B·T rows (sequence-major), d model width, V vocabulary, Tmax maximum
 * sequence length. The backward only accumulates parameter gradients (ids have none).
 */
import type { Backend } from '@moh/tensor';
import type { TensorRecord } from './store.js';

/** Parameter (or gradient) views of the embedding. */
export type EmbeddingTensors = TensorRecord<'table'> & { readonly positions?: Float32Array };

/** The input layer: token lookup plus optional learned positions. */
export class Embedding {
  private readonly backend: Backend;
  private readonly params: EmbeddingTensors;
  private readonly grads: EmbeddingTensors;
  /** Model width d. */
  private readonly dim: number;
  private ids: Int32Array = new Int32Array(0);
  private seqLen = 0;
  private rows = 0;

  constructor(backend: Backend, params: EmbeddingTensors, grads: EmbeddingTensors, dim: number) {
    this.backend = backend;
    this.params = params;
    this.grads = grads;
    this.dim = dim;
  }

  /**
   * Writes `out (N, d)` for `ids (N)`, `N = rows`, sequences of `seqLen` tokens; the
   * position of row r is `r mod seqLen` plus `positionOffset` (for cached decoding).
   */
  forward(out: Float32Array, ids: Int32Array, rows: number, seqLen: number, positionOffset = 0): void {
    const d = this.dim;
    this.backend.gatherRows(out, this.params.table, ids, rows, d);
    this.ids = ids;
    this.rows = rows;
    this.seqLen = seqLen;
    const positions = this.params.positions;
    if (positions === undefined) return;
    for (let r = 0; r < rows; r++) {
      const p = ((r % seqLen) + positionOffset) * d;
      const o = r * d;
      for (let j = 0; j < d; j++) out[o + j] += positions[p + j];
    }
  }

  /** Accumulates `dE` (and `dP`) from `dOut (N, d)` of the last forward (offset 0). */
  backward(dOut: Float32Array): void {
    const d = this.dim;
    this.backend.scatterAddRows(this.grads.table, dOut, this.ids, this.rows, d);
    const dPositions = this.grads.positions;
    if (dPositions === undefined) return;
    for (let r = 0; r < this.rows; r++) {
      const p = (r % this.seqLen) * d;
      const o = r * d;
      for (let j = 0; j < d; j++) dPositions[p + j] += dOut[o + j];
    }
  }
}
