/**
 * AdamW over a model's one flat parameter buffer: the moments `m` and `v` are flat
 * buffers of the same layout, allocated from the model's backend so that its
 * `adamwStep` kernel reads them in place, and one kernel call updates every parameter.
 */
import { readSafetensors, SafetensorsError, writeSafetensors } from '@moh/model';
import type { Backend, Storage } from '@moh/tensor';
import type { AdamWConfig } from './config.js';

/** The optimizer's complete state: enough to continue exactly. */
export interface AdamWState {
  /** `(P)` first moments. */
  readonly m: Float32Array;
  /** `(P)` second moments. */
  readonly v: Float32Array;
  /** Steps taken so far (the next step is `step + 1`, 1-based for bias correction). */
  readonly step: number;
}

/** AdamW with decoupled weight decay over one flat buffer. */
export class AdamW {
  /** Parameters P in the flat buffer. */
  readonly size: number;
  private readonly backend: Backend;
  private readonly config: AdamWConfig;
  private readonly m: Storage<Float32Array>;
  private readonly v: Storage<Float32Array>;
  private steps = 0;

  constructor(backend: Backend, size: number, config: AdamWConfig) {
    this.backend = backend;
    this.size = size;
    this.config = config;
    this.m = backend.allocFloat32(size);
    this.v = backend.allocFloat32(size);
  }

  /** Steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /** Updates `params` in place from `grads` with learning rate `lr`. */
  update(params: Float32Array, grads: Float32Array, lr: number): void {
    this.steps++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    this.backend.adamwStep(params, this.m.data, this.v.data, grads, { lr, beta1, beta2, eps, weightDecay, step: this.steps }, this.size);
  }

  /** A copy of the state. */
  state(): AdamWState {
    return { m: this.m.data.slice(), v: this.v.data.slice(), step: this.steps };
  }

  /** Restores a state taken from an optimizer of the same size. */
  restore(state: AdamWState): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new RangeError(`Optimizer state holds ${state.m.length} / ${state.v.length} moments but the model has ${this.size} parameters.`);
    }
    this.m.data.set(state.m);
    this.v.data.set(state.v);
    this.steps = state.step;
  }

  /** Returns the moment buffers to the backend. */
  free(): void {
    this.m.free();
    this.v.free();
  }
}

/** Serialises an optimizer state as safetensors: tensors `m` and `v`, the step in metadata. */
export function optimizerToSafetensors(state: AdamWState): Uint8Array {
  return writeSafetensors(
    [
      ['m', { shape: [state.m.length], data: state.m }],
      ['v', { shape: [state.v.length], data: state.v }],
    ],
    { format: 'moh-adamw', step: String(state.step) },
  );
}

/**
 * Reads an optimizer state written by {@link optimizerToSafetensors}, expecting
 * `size` moments each. Throws `SafetensorsError` (from `@moh/model`) when it is
 * malformed or the sizes differ.
 */
export function optimizerFromSafetensors(bytes: Uint8Array, size: number): AdamWState {
  const { tensors, metadata } = readSafetensors(bytes);
  const read = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (t === undefined) throw new SafetensorsError('missingTensor', `The optimizer state lacks tensor "${name}".`);
    if (t.data.length !== size) {
      throw new SafetensorsError('shape', `Tensor "${name}" holds ${t.data.length} moments but the model has ${size} parameters.`);
    }
    return t.data;
  };
  const step = Number(metadata['step']);
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new SafetensorsError('headerJson', `The optimizer metadata "step" must be a non-negative integer, got ${JSON.stringify(metadata['step'])}.`);
  }
  return { m: read('m'), v: read('v'), step };
}
