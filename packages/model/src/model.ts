/**
 * The Mixture-of-Heads language model (SPEC §1–4): embedding, L blocks (attention with
 * its head router, FFN, norms; post- or pre-norm), an optional final norm, the LM head,
 * masked cross-entropy and the load-balance term.
 *
 * Shapes: B sequences of T tokens, N = B·T rows (sequence-major: row b·T + t), d model
 * width, V vocabulary, L layers, H query heads.
 *
 * Loss: `loss = CE + β · (1/L) Σ_l L_b,l` (β = 0 without mixture of heads). Parameters
 * and gradients live in one flat buffer each (see {@link ParameterStore}); `backward`
 * accumulates into the gradients, and {@link Model.zeroGrad} clears them once per step.
 */
import { Attention, type AttentionConfig } from '@moh/attention';
import { HeadRouter, type HeadRoutingStats } from '@moh/head-router';
import { getBackend, Rng, Workspace, type Backend } from '@moh/tensor';
import { Block, type BlockForwardOptions } from './block.js';
import type { ModelConfig } from './config.js';
import { Embedding } from './embedding.js';
import { FeedForward } from './ffn.js';
import { LmHead } from './lm-head.js';
import { Decoder } from './decode.js';
import { CrossEntropy } from './loss.js';
import { Norm } from './norm.js';
import { Timing, type PartTimer } from './timing.js';
import { ParameterStore } from './store.js';

/** How to build a model. */
export interface ModelOptions {
  /** The backend whose storage holds the parameters and whose kernels run. Defaults to `getBackend()`. */
  readonly backend?: Backend;
  /** Seed of the one {@link Rng} that initialises every parameter. Defaults to 0. */
  readonly seed?: number;
}

/** The layers of a model outside its blocks. */
export interface ModelParts {
  /** Token embedding (plus learned positions). */
  readonly embedding: Embedding;
  /** The final norm of a pre-norm model; null for post-norm. */
  readonly finalNorm: Norm | null;
  /** The LM head (tied or untied). */
  readonly head: LmHead;
}

/** What one forward pass reports. */
export interface ForwardResult {
  /** The total loss `CE + β · mean_l L_b` (NaN without targets). */
  readonly loss: number;
  /** The masked mean cross-entropy (NaN without targets). */
  readonly ce: number;
  /**
   * `L_b` of every layer (0 for layers without routed heads). Without targets it is
   * computed on first access, like {@link ForwardResult.routing}: read it before the
   * model's next forward.
   */
  readonly balance: readonly number[];
  /**
   * Routing telemetry of every layer: head load, mean gates, `L_b`, `L_b / k`, router
   * entropy. Computed on first access (a forward that nobody inspects, such as a prefill,
   * skips it), from the routers' state: read it before the model's next forward.
   */
  readonly routing: readonly HeadRoutingStats[];
}

/**
 * A language model over one flat parameter buffer. Build it with {@link createModel}.
 */
export class Model {
  /** The resolved configuration. */
  readonly config: ModelConfig;
  /** The backend holding the parameters and running the kernels. */
  readonly backend: Backend;
  /** The flat parameter and gradient buffers. */
  readonly store: ParameterStore;
  /** The blocks, first to last. */
  readonly blocks: readonly Block[];
  /** The layers outside the blocks (decoding runs them row by row). */
  readonly parts: ModelParts;
  /**
   * Every activation buffer of the model and its decoders, in backend storage where the
   * backend allows (so the kernels read them without copies); `liveBytes` is the
   * activation memory.
   */
  readonly workspace: Workspace;
  private readonly crossEntropy: CrossEntropy;
  private readonly timing = new Timing();
  /** β of the load-balance term (0 without mixture of heads). */
  private readonly balanceWeight: number;
  private rows = 0;
  private hasTargets = false;
  /** `(N, d)` the embedding output, the first block's input. */
  private x0: Float32Array = new Float32Array(0);
  /** `(N, d)` the final norm's output (pre-norm only). */
  private yFinal: Float32Array = new Float32Array(0);
  /** `(N, V)` logits of the last forward. */
  private logitsBuffer: Float32Array = new Float32Array(0);
  private dLogits: Float32Array = new Float32Array(0);
  /** `(N, d)` ping-pong gradient buffers. */
  private dA: Float32Array = new Float32Array(0);
  private dB: Float32Array = new Float32Array(0);

  /** Builds the layers over a store whose parameters are already set. */
  constructor(config: ModelConfig, backend: Backend, store: ParameterStore) {
    this.config = config;
    this.backend = backend;
    this.store = store;
    const workspace = new Workspace(backend);
    this.workspace = workspace;
    const d = config.modelDim;
    const selection = config.attention.headSelection;
    this.balanceWeight = selection.kind === 'mixtureOfHeads' ? selection.loadBalanceWeight : 0;
    const emb = store.records({ table: 'embedding', positions: 'positions' });
    const embedding = new Embedding(backend, emb.params, emb.grads, d);
    const norm = (prefix: string): Norm => {
      const r = store.records({ gamma: `${prefix}.gamma`, beta: `${prefix}.beta` });
      return new Norm(backend, config.norm, r.params, r.grads, d, workspace);
    };
    const blocks: Block[] = [];
    for (let i = 0; i < config.layers; i++) {
      const p = `layers.${i}`;
      const att = store.records({
        wq: `${p}.attention.wq`, wk: `${p}.attention.wk`, wv: `${p}.attention.wv`,
        cope: `${p}.attention.cope`, wo: `${p}.attention.wo`,
      });
      const router =
        selection.kind === 'mixtureOfHeads'
          ? (() => {
              const r = store.records({ ws: `${p}.router.ws`, wr: `${p}.router.wr`, wh: `${p}.router.wh` });
              return new HeadRouter(selection, d, config.attention.queryHeads, backend, r.params, r.grads, workspace);
            })()
          : new HeadRouter(selection, d, config.attention.queryHeads, backend, undefined, undefined, workspace);
      const ffn = store.records({ w1: `${p}.ffn.w1`, w2: `${p}.ffn.w2`, w3: `${p}.ffn.w3`, b1: `${p}.ffn.b1`, b2: `${p}.ffn.b2` });
      blocks.push(
        new Block(
          {
            attention: new Attention(attentionConfig(config), att.params, att.grads, backend, workspace),
            router,
            norm1: norm(`${p}.norm1`),
            norm2: norm(`${p}.norm2`),
            ffn: new FeedForward(backend, config.ffn, ffn.params, ffn.grads, d, workspace),
          },
          config.blockLayout,
          d,
          backend,
          workspace,
          this.timing,
        ),
      );
    }
    this.blocks = blocks;
    const finalNorm = config.blockLayout === 'preNorm' ? norm('finalNorm') : null;
    const head = store.records({ weight: config.tiedEmbeddings ? 'embedding' : 'lmHead' });
    this.parts = {
      embedding,
      finalNorm,
      head: new LmHead(backend, head.params, head.grads, d, config.vocabSize, config.tiedEmbeddings),
    };
    this.crossEntropy = new CrossEntropy(backend, config.vocabSize, workspace);
  }

  /** The flat parameter buffer (live view; re-read after any backend allocation). */
  get params(): Float32Array {
    return this.store.params;
  }

  /** The flat gradient buffer, same layout as {@link Model.params}. */
  get grads(): Float32Array {
    return this.store.grads;
  }

  /** The parameter tensor `name` (a table name of `parameterSpecs`), as a live view. */
  param(name: string): Float32Array {
    return this.store.param(name);
  }

  /** The gradient of the parameter tensor `name`, as a live view. */
  grad(name: string): Float32Array {
    return this.store.grad(name);
  }

  /** `(N, V)` logits of the last forward pass (the model's own buffer, overwritten by the next). */
  get logits(): Float32Array {
    return this.logitsBuffer;
  }

  /**
   * Attaches a timer that receives the milliseconds of each part of every later forward
   * and backward (profiling), or detaches it with null. Off by default; costs nothing then.
   */
  setTimer(timer: PartTimer | null): void {
    this.timing.timer = timer;
  }

  /** Clears every gradient. */
  zeroGrad(): void {
    this.store.zeroGrad();
  }

  /**
   * Runs the model on `ids (B, T)` and, when given, scores `targets (B, T)` (negative
   * targets are masked out of the mean). Keeps what {@link Model.backward} needs.
   * Evaluation passes should set `updateStatistics: false` (see `BlockForwardOptions`).
   */
  forward(
    ids: Int32Array,
    targets: Int32Array | null,
    batch: number,
    seqLen: number,
    options: BlockForwardOptions = {},
  ): ForwardResult {
    const { config } = this;
    const N = this.checkInputs(ids, targets, batch, seqLen);
    const d = config.modelDim;
    this.rows = N;
    this.x0 = this.workspace.ensure(this.x0, N * d);
    const timing = this.timing;
    let t = timing.start();
    this.parts.embedding.forward(this.x0, ids, N, seqLen);
    timing.stop('embedding', t);
    let x = this.x0;
    for (const block of this.blocks) x = block.forward(x, batch, seqLen, options);
    t = timing.start();
    if (this.parts.finalNorm !== null) {
      this.yFinal = this.workspace.ensure(this.yFinal, N * d);
      this.parts.finalNorm.forward(this.yFinal, x, N);
      x = this.yFinal;
    }
    timing.stop('norms', t);
    t = timing.start();
    this.logitsBuffer = this.workspace.ensure(this.logitsBuffer, N * config.vocabSize);
    this.parts.head.forward(this.logitsBuffer, x, N);
    timing.stop('lmHead', t);
    t = timing.start();
    this.hasTargets = targets !== null;
    const ce = targets === null ? Number.NaN : this.crossEntropy.forward(this.logitsBuffer, targets, N);
    timing.stop('loss', t);
    const blocks = this.blocks;
    let balance: readonly number[] | undefined;
    const balances = (): readonly number[] => (balance ??= blocks.map((b) => b.parts.router.balanceLoss));
    // Without targets the loss is NaN whatever L_b is: a prefill does not pay for it.
    const meanBalance = targets === null ? 0 : balances().reduce((s, v) => s + v, 0) / blocks.length;
    let routing: readonly HeadRoutingStats[] | undefined;
    return {
      loss: ce + this.balanceWeight * meanBalance,
      ce,
      get balance(): readonly number[] {
        return balances();
      },
      get routing(): readonly HeadRoutingStats[] {
        routing ??= blocks.map((b) => b.parts.router.stats());
        return routing;
      },
    };
  }

  /**
   * Backward of the last forward (which must have had targets): accumulates the
   * gradient of the total loss into every parameter gradient, the router's included
   * (the load-balance term with scale β / L).
   */
  backward(): void {
    if (!this.hasTargets) throw new Error('Model.backward needs a forward pass with targets first.');
    const { config, rows: N } = this;
    const d = config.modelDim;
    this.dLogits = this.workspace.ensure(this.dLogits, N * config.vocabSize);
    this.dA = this.workspace.ensure(this.dA, N * d);
    this.dB = this.workspace.ensure(this.dB, N * d);
    const timing = this.timing;
    let t = timing.start();
    this.crossEntropy.backward(this.dLogits);
    timing.stop('loss', t);
    t = timing.start();
    let dy = this.dA;
    let dx = this.dB;
    this.parts.head.backward(dy, this.dLogits);
    timing.stop('lmHead', t);
    t = timing.start();
    if (this.parts.finalNorm !== null) {
      this.parts.finalNorm.backward(dx, dy);
      [dx, dy] = [dy, dx];
    }
    timing.stop('norms', t);
    const balanceScale = this.balanceWeight / config.layers;
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      this.blocks[i].backward(dx, dy, balanceScale);
      [dx, dy] = [dy, dx];
    }
    t = timing.start();
    this.parts.embedding.backward(dy);
    timing.stop('embedding', t);
  }

  /**
   * A KV-cache decoding session for `batch` sequences of up to `capacity` tokens; see
   * {@link Decoder}.
   */
  decoder(batch: number, capacity: number): Decoder {
    return new Decoder(this, batch, capacity);
  }

  /** Returns the parameter and activation buffers to the backend; the model is unusable afterwards. */
  free(): void {
    this.workspace.free();
    this.store.free();
  }

  private checkInputs(ids: Int32Array, targets: Int32Array | null, batch: number, seqLen: number): number {
    const { vocabSize: V, maxSeqLen } = this.config;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}.`);
    if (!Number.isInteger(seqLen) || seqLen < 1 || seqLen > maxSeqLen) {
      throw new RangeError(`seqLen must be an integer in 1..${maxSeqLen} (maxSeqLen), got ${seqLen}.`);
    }
    const N = batch * seqLen;
    if (ids.length !== N) throw new RangeError(`ids must hold batch·seqLen = ${N} tokens, got ${ids.length}.`);
    if (targets !== null && targets.length !== N) {
      throw new RangeError(`targets must hold batch·seqLen = ${N} entries, got ${targets.length}.`);
    }
    for (let i = 0; i < N; i++) {
      if (!(ids[i] >= 0 && ids[i] < V)) throw new RangeError(`Token id ${ids[i]} at position ${i} is outside the vocabulary of ${V}.`);
    }
    return N;
  }
}

/** The attention layer configuration of every block of `config`. */
export function attentionConfig(config: ModelConfig): AttentionConfig {
  const a = config.attention;
  return {
    modelDim: config.modelDim,
    queryHeads: a.queryHeads,
    kvHeads: a.kvHeads,
    headDim: config.modelDim / a.queryHeads,
    position: a.position,
    window: a.window,
    adaptiveWindow: a.adaptiveWindow,
    outputProjection: a.outputProjection,
    headSelection: a.headSelection,
  };
}

/**
 * Builds a model with deterministically initialised parameters: one seeded {@link Rng}
 * fills the tensors in `parameterSpecs` order (see {@link ParameterStore.initialize}).
 *
 * @example
 * ```ts
 * import { createModel, resolveConfig } from '@moh/model';
 * const model = createModel(resolveConfig({ preset: 'seed-moh' }), { seed: 1 });
 * const ids = new Int32Array([1, 2, 3, 4]);
 * const targets = new Int32Array([2, 3, 4, -1]);
 * const { loss } = model.forward(ids, targets, 1, 4);
 * model.zeroGrad();
 * model.backward(); // model.grads now holds ∂loss/∂params
 * ```
 */
export function createModel(config: ModelConfig, options: ModelOptions = {}): Model {
  const backend = options.backend ?? getBackend();
  const store = new ParameterStore(config, backend);
  store.initialize(new Rng(options.seed ?? 0), config.initStd);
  return new Model(config, backend, store);
}
