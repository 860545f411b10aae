/**
 * The model's parameters and gradients: ONE flat parameter buffer and ONE mirrored
 * flat gradient buffer, both allocated from the backend, with every tensor a view at
 * the offset given by {@link parameterSpecs} order.
 *
 * Why views are re-taken: on the fast backend the buffers live in WebAssembly memory,
 * and any allocation (including the scratch a kernel allocates to copy a plain-array
 * argument in) may grow that memory, which detaches every existing view. So the store
 * keeps the backend `Storage` objects and hands out views through getters that re-take
 * them whenever the underlying `ArrayBuffer` changed. Layers receive *records of
 * getters* ({@link TensorRecord}) and read `params.w1` at each kernel call, never
 * keeping a view in a local across another kernel call; a stale view would have length
 * 0 and the kernel would throw, so a mistake fails loudly rather than silently.
 * On the reference backend the buffers are plain arrays and never move.
 */
import type { Backend, Rng, Storage } from '@moh/tensor';
import type { ModelConfig } from './config.js';
import { parameterSpecs, type ParameterSpec } from './parameters.js';

/** A record of named tensors whose properties always return live views. */
export type TensorRecord<K extends string> = { readonly [P in K]: Float32Array };

/** Where one tensor sits in the flat buffers. */
interface Slot {
  readonly spec: ParameterSpec;
  readonly offset: number;
}

/** One flat buffer (parameters or gradients) and its cached per-tensor views. */
class FlatViews {
  private readonly storage: Storage<Float32Array>;
  /** The storage's view the cached views were cut from (a storage re-makes its view after memory growth). */
  private source: Float32Array | null = null;
  private views = new Map<string, Float32Array>();
  private readonly slots: ReadonlyMap<string, Slot>;

  constructor(storage: Storage<Float32Array>, slots: ReadonlyMap<string, Slot>) {
    this.storage = storage;
    this.slots = slots;
  }

  /** The whole buffer (live). */
  get data(): Float32Array {
    return this.storage.data;
  }

  /** The view of one tensor, re-taken after memory growth. */
  view(name: string): Float32Array {
    const data = this.storage.data;
    // Compared by identity: reading a typed array's `buffer` costs tens of nanoseconds, and
    // every kernel call on a weight reads its view.
    if (data !== this.source) {
      this.source = data;
      this.views = new Map();
    }
    let view = this.views.get(name);
    if (view === undefined) {
      const slot = this.slots.get(name);
      if (slot === undefined) throw new Error(`No parameter tensor named "${name}".`);
      view = data.subarray(slot.offset, slot.offset + slot.spec.count);
      this.views.set(name, view);
    }
    return view;
  }

  free(): void {
    this.storage.free();
  }
}

/**
 * The flat parameter and gradient buffers of one model, in {@link parameterSpecs}
 * order. Parameter gradients accumulate (`+=`) in the layers; {@link ParameterStore.zeroGrad}
 * clears them once per step.
 */
export class ParameterStore {
  /** Every tensor in weight-file order. */
  readonly specs: readonly ParameterSpec[];
  /** Total number of parameters. */
  readonly size: number;
  private readonly slots: Map<string, Slot>;
  private readonly paramViews: FlatViews;
  private readonly gradViews: FlatViews;

  constructor(config: ModelConfig, backend: Backend) {
    this.specs = parameterSpecs(config);
    this.slots = new Map();
    let offset = 0;
    for (const spec of this.specs) {
      this.slots.set(spec.name, { spec, offset });
      offset += spec.count;
    }
    this.size = offset;
    // Both buffers are allocated before any view is taken.
    this.paramViews = new FlatViews(backend.allocFloat32(offset), this.slots);
    this.gradViews = new FlatViews(backend.allocFloat32(offset), this.slots);
  }

  /** The flat parameter buffer `(P)`, live: read it afresh after any allocation. */
  get params(): Float32Array {
    return this.paramViews.data;
  }

  /** The flat gradient buffer `(P)`, mirroring {@link ParameterStore.params}. */
  get grads(): Float32Array {
    return this.gradViews.data;
  }

  /** Whether a tensor of this name exists. */
  has(name: string): boolean {
    return this.slots.has(name);
  }

  /** The spec of a tensor; throws naming the tensor when it does not exist. */
  spec(name: string): ParameterSpec {
    const slot = this.slots.get(name);
    if (slot === undefined) throw new Error(`No parameter tensor named "${name}".`);
    return slot.spec;
  }

  /** Offset of a tensor in the flat buffers. */
  offset(name: string): number {
    const slot = this.slots.get(name);
    if (slot === undefined) throw new Error(`No parameter tensor named "${name}".`);
    return slot.offset;
  }

  /** The live view of a parameter tensor. */
  param(name: string): Float32Array {
    return this.paramViews.view(name);
  }

  /** The live view of a gradient tensor. */
  grad(name: string): Float32Array {
    return this.gradViews.view(name);
  }

  /**
   * Records of getters for a layer: `keys` maps a field name to a full tensor name;
   * missing tensors are skipped (optional fields stay undefined).
   */
  records<K extends string>(keys: Readonly<Record<K, string>>): {
    params: TensorRecord<K>;
    grads: TensorRecord<K>;
  } {
    const params = {} as Record<K, Float32Array>;
    const grads = {} as Record<K, Float32Array>;
    for (const key of Object.keys(keys) as K[]) {
      const name = keys[key];
      if (!this.slots.has(name)) continue;
      Object.defineProperty(params, key, { enumerable: true, get: () => this.paramViews.view(name) });
      Object.defineProperty(grads, key, { enumerable: true, get: () => this.gradViews.view(name) });
    }
    return { params, grads };
  }

  /** Clears every gradient. */
  zeroGrad(): void {
    this.grads.fill(0);
  }

  /**
   * Deterministic initialisation from one generator, tensor by tensor in weight-file
   * order: norm γ = 1; norm β and FFN biases = 0; every other tensor (matrices, the
   * embedding, learned positions, CoPE tables, router weights) ~ normal(0, std).
   * Router weights start small like any matrix, so initial routing is near uniform but
   * without ties; CoPE tables start small so that early attention is near content-only.
   */
  initialize(rng: Rng, std: number): void {
    for (const spec of this.specs) {
      const view = this.param(spec.name);
      const leaf = spec.name.slice(spec.name.lastIndexOf('.') + 1);
      if (leaf === 'gamma') view.fill(1);
      else if (leaf === 'beta' || leaf === 'b1' || leaf === 'b2') view.fill(0);
      else rng.fillNormal(view, 0, std);
    }
  }

  /** Returns both buffers to the backend. */
  free(): void {
    this.paramViews.free();
    this.gradViews.free();
  }
}
