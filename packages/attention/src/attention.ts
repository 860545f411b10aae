/**
 * The attention layer: causal grouped-query attention over B sequences of T tokens,
 * each head run only on the rows its routing activates (SPEC §3–4).
 *
 * Shapes: N = B·T rows, sequence-major (row `b·T + t`); d model width, H query heads,
 * G KV heads, D head width. Input and output are `(N, d)`; gates are `(N, H)`.
 *
 * Gradients: weight gradients accumulate (`+=`) into the gradient views; the trainer
 * clears them once per step. `dX` and `dGates` are overwritten.
 *
 * @packageDocumentation
 */
import type { HeadRouting } from '@moh/head-router';
import { Workspace, type Kernels } from '@moh/tensor';
import type { AttentionConfig } from './config.js';
import { Block, BLOCK_FIELDS, emptyStash, type HeadStash, type PassLayout } from './blocks.js';
import { AttentionCore } from './core.js';
import { AttentionCache } from './kv-cache.js';
import { checkAttentionParams, type AttentionParams } from './params.js';
import { checkRouting } from './routing-check.js';
import { validateAttentionConfig } from './validate.js';
import { normalisedEntropy, windowInForce } from './window.js';

/** The gradients {@link Attention.backward} returns (weight gradients go to the gradient views). */
export interface AttentionGradients {
  /** `(N, d)`: gradient of the input. */
  readonly dX: Float32Array;
  /** `(N, H)`: gradient of the gates; 0 on inactive (row, head) pairs. */
  readonly dGates: Float32Array;
}

/** Options of one {@link Attention.forward}. */
export interface ForwardOptions {
  /**
   * Use this window (`null`: none) instead of the adaptive strategy's, e.g. a KV cache's
   * `window`, so that a full recompute matches cached decoding. Defaults to the strategy's.
   */
  readonly window?: number | null;
  /** Whether an `attentionEntropy` pass updates the running average. Defaults to true. */
  readonly updateEntropy?: boolean;
}

/** What the last forward kept for its backward. */
interface Saved {
  readonly routing: HeadRouting;
  readonly layout: PassLayout;
  readonly window: number | null;
}

/**
 * One attention layer over parameter views it does not own.
 *
 * Buffers are reused between calls: the array `forward` returns, and those of
 * `backward`, stay valid until the next call of the same method.
 *
 * @example
 * ```ts
 * const attention = new Attention(config, params, grads, getBackend());
 * const y = attention.forward(x, 2, 7, routing); // (14, d)
 * const { dX, dGates } = attention.backward(dY);
 * ```
 */
export class Attention {
  /** The shared pipeline (internal). */
  private readonly core: AttentionCore;
  private entropy = 1;
  private lastEntropy: number | null = null;
  private lastWindow: number | null = null;
  private saved: Saved | null = null;
  private rows = 0;
  /** `(N, d)` copy of the input. */
  private x: Float32Array = new Float32Array(0);
  /** `(N, G·D)` keys (rotated with RoPE) and values, and their gradients. */
  private keys: Float32Array = new Float32Array(0);
  private values: Float32Array = new Float32Array(0);
  private dKeys: Float32Array = new Float32Array(0);
  private dValues: Float32Array = new Float32Array(0);
  /**
   * `(N, H·D)`: gated head outputs and their gradient (W_o only, else empty); only active
   * blocks are meaningful.
   * `q` is scratch of the same shape: routed heads' queries in the forward, their
   * gradients in the backward.
   */
  private q: Float32Array = new Float32Array(0);
  private gated: Float32Array = new Float32Array(0);
  private dGated: Float32Array = new Float32Array(0);
  /** Compact head-major queries, head outputs and their gradients (see core.ts), room for `(N·H, D)`. */
  private qc: Float32Array = new Float32Array(0);
  private oc: Float32Array = new Float32Array(0);
  private dOc: Float32Array = new Float32Array(0);
  private dQc: Float32Array = new Float32Array(0);
  /** `(N, d)` output and input gradient. */
  private y: Float32Array = new Float32Array(0);
  private dX: Float32Array = new Float32Array(0);
  /** `(N, H)` gate gradients. */
  private dGates: Float32Array = new Float32Array(0);
  private readonly stashes: HeadStash[];

  /**
   * @param config - The layer; validated here.
   * @param params - Parameter views `{wq, wk, wv, cope?, wo?}` (see {@link AttentionParams}).
   * @param grads - Gradient views of the same shapes; the backward adds into them.
   * @param kernels - The backend whose kernels run the products and softmaxes.
   * @param workspace - Where the layer keeps its activations. Pass the model's, made over
   *   the same backend, so the kernels read them in place. Defaults to ordinary arrays.
   */
  constructor(
    readonly config: AttentionConfig,
    params: AttentionParams,
    grads: AttentionParams,
    kernels: Kernels,
    workspace: Workspace = new Workspace(),
  ) {
    validateAttentionConfig(config);
    checkAttentionParams(config, params, 'params');
    checkAttentionParams(config, grads, 'grads');
    this.core = new AttentionCore(config, kernels, params, grads, workspace);
    this.stashes = Array.from({ length: config.queryHeads }, emptyStash);
  }

  /** The window the last forward used (`null`: full causal attention; also before any forward). */
  get windowInForce(): number | null {
    return this.lastWindow;
  }

  /**
   * Running average Ĥ of the mean normalised attention entropy (`attentionEntropy`
   * windows; 1 before any pass). Settable, to restore it from a checkpoint.
   */
  get entropyAverage(): number {
    return this.entropy;
  }

  set entropyAverage(value: number) {
    if (!(value >= 0 && value <= 1)) throw new Error(`entropyAverage must be in [0, 1], got ${value}`);
    this.entropy = value;
  }

  /** Mean normalised entropy of the last forward's attention rows (`attentionEntropy` only; null otherwise or before any pass). */
  get lastMeanEntropy(): number | null {
    return this.lastEntropy;
  }

  /** The window a forward over sequences of `seqLen` tokens would use now. */
  windowFor(seqLen: number): number | null {
    return windowInForce(this.config, seqLen, this.entropy);
  }

  /**
   * `concat_h(gate[t,h]·O_h[t])`, times W_o when enabled, over `batch` sequences of
   * `seqLen` tokens. Head `h` runs only on `routing.activeRows[h]`; K and V are computed
   * for every row. With `attentionEntropy` windows, the running average is updated
   * after the pass (the pass itself used the average from before it).
   *
   * @param x - `(N, d)` input, N = batch·seqLen; copied, so the caller may reuse it.
   * @param options - Window override and entropy bookkeeping (see {@link ForwardOptions}).
   * @returns `(N, d)`, valid until the next forward.
   */
  forward(x: Float32Array, batch: number, seqLen: number, routing: HeadRouting, options: ForwardOptions = {}): Float32Array {
    const { d, H } = this.core;
    const n = batch * seqLen;
    if (!Number.isInteger(batch) || !Number.isInteger(seqLen) || batch < 1 || seqLen < 1) {
      throw new Error(`forward: batch and seqLen must be positive integers, got ${batch} and ${seqLen}`);
    }
    if (x.length !== n * d) throw new Error(`forward: x must have ${n * d} elements (${n}×${d}), got ${x.length}`);
    checkRouting(routing, H, n);
    this.resize(n);
    this.x.set(x);
    const window = options.window === undefined ? this.windowFor(seqLen) : options.window;
    if (window !== null && !(Number.isInteger(window) && window >= 1)) {
      throw new Error(`forward: options.window must be a positive integer or null, got ${window}`);
    }
    const layout: PassLayout = { rowsPerSeq: seqLen, startPos: 0, kvRowsPerSeq: seqLen };
    // Without RoPE a key depends on its row alone, so all sequences' rows are one product
    // (same bits: each element sums over d in order); RoPE rotates by position per sequence.
    if (this.core.rope === null) this.core.projectKeysValues(this.x, 0, n, this.keys, this.values, 0, 0);
    else for (let b = 0; b < batch; b++) this.core.projectKeysValues(this.x, b * seqLen, seqLen, this.keys, this.values, b * seqLen, 0);
    this.core.forwardHeads(this.x, routing, layout, window, this.keys, null, this.values, this.q, this.qc, this.oc, this.gated, this.y, this.stashes);
    this.lastWindow = window;
    this.saved = { routing, layout, window };
    if (this.config.adaptiveWindow.kind === 'attentionEntropy' && options.updateEntropy !== false) {
      const mean = this.meanEntropy();
      this.lastEntropy = mean;
      if (mean !== null) {
        const m = this.config.adaptiveWindow.momentum;
        this.entropy = (1 - m) * this.entropy + m * mean;
      }
    }
    return this.y;
  }

  /**
   * Backward of the last forward, with the same window and routing. Adds weight
   * gradients into the gradient views; each KV group receives the sum over the query
   * heads that read it.
   *
   * @param dOut - `(N, d)` gradient of the forward's output.
   */
  backward(dOut: Float32Array): AttentionGradients {
    const saved = this.saved;
    if (saved === null) throw new Error('backward: call forward first');
    const n = this.rows;
    if (dOut.length !== n * this.core.d) throw new Error(`backward: dOut must have ${n * this.core.d} elements, got ${dOut.length}`);
    this.core.backwardHeads(
      dOut, this.x, saved.routing, saved.layout, this.keys, this.values, this.qc, this.oc, this.gated,
      this.stashes, this.dGated, this.dOc, this.dQc, this.q, this.dKeys, this.dValues, this.dX, this.dGates,
    );
    return { dX: this.dX, dGates: this.dGates };
  }

  /**
   * A KV cache for incremental decoding of `batch` sequences of up to `capacity` tokens,
   * with `window`, by default the one this layer would use for a full forward of
   * `capacity` tokens (frozen for the cache's life).
   */
  createCache(batch: number, capacity: number, window: number | null = this.windowFor(capacity)): AttentionCache {
    return new AttentionCache(this.core, batch, capacity, window);
  }

  /** Mean normalised entropy over the pass's computed rows of length ≥ 2, or null if none. */
  private meanEntropy(): number | null {
    let sum = 0;
    let count = 0;
    for (const stash of this.stashes) {
      for (let b = 0; b < stash.blockCount; b++) {
        const rec = b * BLOCK_FIELDS;
        const first = stash.blocks[rec + Block.first];
        const width = stash.blocks[rec + Block.width];
        for (let r = 0; r < stash.blocks[rec + Block.count]; r++) {
          const length = stash.hi[first + r] - stash.lo[first + r];
          if (length < 2) continue;
          sum += normalisedEntropy(stash.probs, stash.blocks[rec + Block.probs] + r * width + stash.lo[first + r], length);
          count++;
        }
      }
    }
    return count === 0 ? null : sum / count;
  }

  private resize(n: number): void {
    if (n === this.rows) return;
    const { d, H, G, D, workspace: w } = this.core;
    this.rows = n;
    this.x = w.ensure(this.x, n * d);
    this.keys = w.ensure(this.keys, n * G * D);
    this.values = w.ensure(this.values, n * G * D);
    this.dKeys = w.ensure(this.dKeys, n * G * D);
    this.dValues = w.ensure(this.dValues, n * G * D);
    this.q = w.ensure(this.q, n * H * D);
    // Only W_o reads the gated outputs apart from y, and only it needs their gradient.
    const gatedSize = this.config.outputProjection ? n * H * D : 0;
    this.gated = w.ensure(this.gated, gatedSize);
    this.dGated = w.ensure(this.dGated, gatedSize);
    this.qc = w.ensure(this.qc, n * H * D);
    this.oc = w.ensure(this.oc, n * H * D);
    this.dOc = w.ensure(this.dOc, n * H * D);
    this.dQc = w.ensure(this.dQc, n * H * D);
    this.y = w.ensure(this.y, n * d);
    this.dX = w.ensure(this.dX, n * d);
    this.dGates = w.ensure(this.dGates, n * H);
  }
}
