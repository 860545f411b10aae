/** Options of one forward pass. */
export interface BlockForwardOptions {
  /**
   * Whether the pass updates running statistics (the attention-entropy average of an
   * adaptive window). Evaluation and inspection passes set this to false so they leave
   * training state alone. Defaults to true.
   */
  readonly updateStatistics?: boolean;
}

/**
 * One transformer block (SPEC §2): attention with its head router, an FFN and two norms,
 * post-norm (the seed's) or pre-norm.
 *
 * - post-norm: `h = N1(x + Attn(x))`, `y = N2(h + FFN(h))`;
 * - pre-norm: `h = x + Attn(N1(x))`, `y = h + FFN(N2(h))`.
 *
 * The router reads the attention input (x, or N1(x) with pre-norm); its input gradient
 * joins the attention's. Shapes: N = B·T rows, d model width, H query heads. The block
 * keeps references to its input `x (N, d)`, which must survive until the backward; its
 * output buffer is its own and is overwritten by the next forward.
 */
import type { Attention, AttentionCache } from '@moh/attention';
import type { HeadRouter, HeadRouting } from '@moh/head-router';
import { Workspace, type Kernels } from '@moh/tensor';
import { Timing, type ModelPart } from './timing.js';
import type { BlockLayout } from './config.js';
import type { FeedForward } from './ffn.js';
import type { Norm } from './norm.js';

/** The parts of one block. */
export interface BlockParts {
  readonly attention: Attention;
  readonly router: HeadRouter;
  readonly norm1: Norm;
  readonly norm2: Norm;
  readonly ffn: FeedForward;
}

/** One block with its activations. */
export class Block {
  /** The attention layer and router (exposed for telemetry and decoding). */
  readonly parts: BlockParts;
  private readonly layout: BlockLayout;
  private readonly dim: number;
  private rows = 0;
  /** `(N, d)` the block output, owned by the block. */
  private y: Float32Array = new Float32Array(0);
  /** `(N, d)` activations kept for the backward. */
  private attnIn: Float32Array = new Float32Array(0);
  /** `(N, d)` pre-norm only: N1(x), the attention and router input. */
  private normed: Float32Array = new Float32Array(0);
  private residual1: Float32Array = new Float32Array(0);
  private h: Float32Array = new Float32Array(0);
  private ffnIn: Float32Array = new Float32Array(0);
  private ffnOut: Float32Array = new Float32Array(0);
  private residual2: Float32Array = new Float32Array(0);
  /** `(N, d)` backward scratch. */
  private g1: Float32Array = new Float32Array(0);
  private g2: Float32Array = new Float32Array(0);

  /**
   * @param kernels - The backend's kernels, for the residual sums.
   * @param workspace - Where the block's activations live; defaults to ordinary arrays.
   */
  constructor(
    parts: BlockParts,
    layout: BlockLayout,
    dim: number,
    private readonly kernels: Kernels,
    private readonly workspace: Workspace = new Workspace(),
    /** The model's timer, when profiling. */
    private readonly timing: Timing = new Timing(),
  ) {
    this.parts = parts;
    this.layout = layout;
    this.dim = dim;
  }

  /**
   * Runs the block on `x (N, d)`, `N = batch · seqLen`; returns the block's own output
   * buffer.
   */
  forward(x: Float32Array, batch: number, seqLen: number, options: BlockForwardOptions = {}): Float32Array {
    const attention = this.parts.attention;
    const attentionOptions = { updateEntropy: options.updateStatistics ?? true };
    return this.run(x, batch * seqLen, (input, routing) => attention.forward(input, batch, seqLen, routing, attentionOptions));
  }

  /**
   * Runs the block on `n` new tokens of each of the cache's sequences, `x (B·n, d)`,
   * attending through `cache` (which it extends); returns the block's own output buffer.
   * Row for row this is the computation of {@link Block.forward}.
   */
  forwardCached(x: Float32Array, cache: AttentionCache, n: number): Float32Array {
    return this.run(x, cache.batch * n, (input, routing) => cache.append(input, n, routing));
  }

  private run(x: Float32Array, rows: number, attend: (input: Float32Array, routing: HeadRouting) => Float32Array): Float32Array {
    const n = rows * this.dim;
    this.rows = rows;
    for (const name of ['y', 'residual1', 'h', 'ffnOut', 'residual2'] as const) this[name] = this.workspace.ensure(this[name], n);
    const { router, norm1, norm2, ffn } = this.parts;
    const timing = this.timing;
    let t = timing.start();
    if (this.layout === 'postNorm') {
      this.attnIn = x;
      const routing = router.route(x, rows, true); // x is kept until the backward
      t = this.lap('router', t);
      const attended = attend(x, routing);
      t = this.lap('attention', t);
      this.kernels.add(this.residual1, x, attended, n);
      norm1.forward(this.h, this.residual1, rows);
      t = this.lap('norms', t);
      ffn.forward(this.ffnOut, this.h, rows);
      t = this.lap('ffn', t);
      this.kernels.add(this.residual2, this.h, this.ffnOut, n);
      norm2.forward(this.y, this.residual2, rows);
      timing.stop('norms', t);
    } else {
      this.normed = this.workspace.ensure(this.normed, n);
      this.attnIn = this.normed;
      this.ffnIn = this.workspace.ensure(this.ffnIn, n);
      norm1.forward(this.attnIn, x, rows);
      t = this.lap('norms', t);
      const routing = router.route(this.attnIn, rows, true);
      t = this.lap('router', t);
      const attended = attend(this.attnIn, routing);
      t = this.lap('attention', t);
      this.kernels.add(this.h, x, attended, n);
      norm2.forward(this.ffnIn, this.h, rows);
      t = this.lap('norms', t);
      ffn.forward(this.ffnOut, this.ffnIn, rows);
      t = this.lap('ffn', t);
      this.kernels.add(this.y, this.h, this.ffnOut, n);
      timing.stop('norms', t);
    }
    return this.y;
  }

  /**
   * Overwrites `dx (N, d)` from `dy (N, d)` and accumulates every parameter gradient of
   * the block; `balanceScale` is ∂loss/∂L_b of this layer (β / L).
   */
  backward(dx: Float32Array, dy: Float32Array, balanceScale: number): void {
    const n = this.rows * this.dim;
    this.g1 = this.workspace.ensure(this.g1, n);
    this.g2 = this.workspace.ensure(this.g2, n);
    const { g1, g2 } = this;
    const { attention, router, norm1, norm2, ffn } = this.parts;
    let t = this.timing.start();
    if (this.layout === 'postNorm') {
      norm2.backward(g1, dy); // d residual2
      t = this.lap('norms', t);
      ffn.backward(g2, g1);
      t = this.lap('ffn', t);
      this.kernels.add(g2, g2, g1, n); // dh = FFN'ᵀ d r2 + d r2
      norm1.backward(g1, g2); // d residual1
      t = this.lap('norms', t);
      const { dX, dGates } = attention.backward(g1);
      t = this.lap('attention', t);
      this.kernels.add(dx, g1, dX, n);
      router.backward(dGates, balanceScale, dx);
      this.timing.stop('router', t);
    } else {
      ffn.backward(g1, dy);
      t = this.lap('ffn', t);
      norm2.backward(g2, g1);
      this.kernels.add(g2, g2, dy, n); // dh
      t = this.lap('norms', t);
      const { dX, dGates } = attention.backward(g2);
      t = this.lap('attention', t);
      g1.set(dX.subarray(0, n));
      router.backward(dGates, balanceScale, g1); // d N1(x)
      t = this.lap('router', t);
      norm1.backward(dx, g1);
      this.kernels.add(dx, dx, g2, n);
      this.timing.stop('norms', t);
    }
  }

  /** Charges the time since `t0` to `part` (when profiling) and returns the new start. */
  private lap(part: ModelPart, t0: number): number {
    this.timing.stop(part, t0);
    return this.timing.start();
  }
}
