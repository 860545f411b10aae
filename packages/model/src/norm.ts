/**
 * RMSNorm and LayerNorm over the last dimension (SPEC §2), on the kernels of
 * `@moh/tensor`:
 * - RMSNorm `y = γ ⊙ x / sqrt(mean(x²) + eps)` (eps 1e-6 by default);
 * - LayerNorm `y = γ ⊙ (x − μ) / sqrt(var + eps) + β` (biased variance, eps 1e-5).
 *
 * Shapes: N rows, d model width. The layer keeps a reference to its input `x (N, d)`
 * and its per-row statistics for the backward, so the caller must not overwrite `x`
 * before calling {@link Norm.backward}.
 */
import { Workspace, type Backend } from '@moh/tensor';
import type { NormConfig } from './config.js';
import type { TensorRecord } from './store.js';

/** Parameter (or gradient) views of a norm: γ `(d)` and, for LayerNorm, β `(d)`. */
export type NormTensors = TensorRecord<'gamma'> & { readonly beta?: Float32Array };

/** One normalisation site (N1, N2 or the final norm). */
export class Norm {
  private readonly backend: Backend;
  private readonly config: NormConfig;
  private readonly params: NormTensors;
  private readonly grads: NormTensors;
  private readonly dim: number;
  /** Input of the last forward `(N, d)` (a reference, not a copy). */
  private x: Float32Array = new Float32Array(0);
  /** `(N)` reciprocal standard deviation (RMS for RMSNorm). */
  private rstd: Float32Array = new Float32Array(0);
  /** `(N)` row means (LayerNorm only). */
  private mean: Float32Array = new Float32Array(0);
  private rows = 0;

  /** @param workspace - Where the row statistics live; defaults to ordinary arrays. */
  constructor(
    backend: Backend,
    config: NormConfig,
    params: NormTensors,
    grads: NormTensors,
    dim: number,
    private readonly workspace: Workspace = new Workspace(),
  ) {
    this.backend = backend;
    this.config = config;
    this.params = params;
    this.grads = grads;
    this.dim = dim;
  }

  /** `out (N, d) = norm(x (N, d))`; `out` must not alias `x` (the backward needs x). */
  forward(out: Float32Array, x: Float32Array, rows: number): void {
    this.x = x;
    this.rows = rows;
    this.rstd = this.workspace.ensure(this.rstd, rows);
    switch (this.config.kind) {
      case 'rmsnorm':
        this.backend.rmsnormForward(out, this.rstd, x, this.params.gamma, this.config.eps, rows, this.dim);
        return;
      case 'layernorm':
        this.mean = this.workspace.ensure(this.mean, rows);
        this.backend.layernormForward(
          out, this.mean, this.rstd, x, this.params.gamma, betaOf(this.params), this.config.eps, rows, this.dim,
        );
        return;
      default:
        exhaustive(this.config);
    }
  }

  /** Overwrites `dx (N, d)` from `dy (N, d)`; accumulates dγ (and dβ). */
  backward(dx: Float32Array, dy: Float32Array): void {
    const { rows, dim } = this;
    switch (this.config.kind) {
      case 'rmsnorm':
        this.backend.rmsnormBackward(dx, this.grads.gamma, dy, this.x, this.params.gamma, this.rstd, rows, dim);
        return;
      case 'layernorm':
        this.backend.layernormBackward(
          dx, this.grads.gamma, betaOf(this.grads), dy, this.x, this.params.gamma, this.mean, this.rstd, rows, dim,
        );
        return;
      default:
        exhaustive(this.config);
    }
  }
}

function betaOf(tensors: NormTensors): Float32Array {
  const beta = tensors.beta;
  if (beta === undefined) throw new Error('LayerNorm needs a beta tensor; the parameter table has none.');
  return beta;
}

function exhaustive(value: never): never {
  throw new Error(`Unknown norm ${JSON.stringify(value)}.`);
}
