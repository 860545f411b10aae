/**
 * Masked mean cross-entropy (SPEC §2) over the kernels of `@moh/tensor`: the mean of
 * `−log softmax(logits)[target]` over rows whose target is `≥ 0`; a negative target
 * (−1 by convention) masks its row out, as instruction tuning does for the prompt.
 *
 * Shapes: N rows, V vocabulary; `logits`, `probs`, `dLogits (N, V)`, `targets (N)`.
 */
import { Workspace, type Backend } from '@moh/tensor';

/** Cross-entropy with masking; keeps the softmax for its backward. */
export class CrossEntropy {
  private readonly backend: Backend;
  private readonly vocab: number;
  /** `(N, V)` softmax of the last forward's logits. */
  private probs: Float32Array = new Float32Array(0);
  private targets: Int32Array = new Int32Array(0);
  private rows = 0;

  /** @param workspace - Where the probabilities live; defaults to ordinary arrays. */
  constructor(
    backend: Backend,
    vocab: number,
    private readonly workspace: Workspace = new Workspace(),
  ) {
    this.backend = backend;
    this.vocab = vocab;
  }

  /** Number of unmasked targets in the last forward. */
  get counted(): number {
    let n = 0;
    for (let r = 0; r < this.rows; r++) if (this.targets[r] >= 0) n++;
    return n;
  }

  /** The mean loss over unmasked rows (0 when every row is masked). */
  forward(logits: Float32Array, targets: Int32Array, rows: number): number {
    for (let r = 0; r < rows; r++) {
      if (targets[r] >= this.vocab) {
        throw new RangeError(`Target ${targets[r]} at row ${r} is outside the vocabulary of ${this.vocab}.`);
      }
    }
    this.probs = this.workspace.ensure(this.probs, rows * this.vocab);
    this.targets = targets;
    this.rows = rows;
    return this.backend.crossEntropyForward(this.probs, logits, targets, rows, this.vocab);
  }

  /** Overwrites `dLogits (N, V)` with `dLoss · ∂CE/∂logits`. */
  backward(dLogits: Float32Array, dLoss = 1): void {
    this.backend.crossEntropyBackward(dLogits, this.probs, this.targets, dLoss, this.rows, this.vocab);
  }
}
