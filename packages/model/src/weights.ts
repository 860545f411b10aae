/**
 * Model weights as safetensors: the keys are the tensor names of `parameterSpecs`, in
 * that order, and the resolved configuration travels in `__metadata__` under
 * `moh.config` (informative: {@link loadSafetensors} checks against the configuration
 * it is given).
 */
import { getBackend, type Backend } from '@moh/tensor';
import type { ModelConfig } from './config.js';
import { configToJson } from './config-json.js';
import { Model } from './model.js';
import { readSafetensors, SafetensorsError, writeSafetensors, type NamedTensor } from './safetensors.js';
import { ParameterStore } from './store.js';

/** The metadata key holding the configuration JSON. */
export const CONFIG_METADATA_KEY = 'moh.config';

/**
 * Serialises every parameter of `model` to safetensors bytes (bit-exact float32).
 *
 * @example
 * ```ts
 * import { createModel, loadSafetensors, resolveConfig, toSafetensors } from '@moh/model';
 * const config = resolveConfig({ preset: 'seed' });
 * const bytes = toSafetensors(createModel(config, { seed: 1 }));
 * const copy = loadSafetensors(bytes, config); // the same parameters, bit for bit
 * ```
 */
export function toSafetensors(model: Model): Uint8Array {
  const tensors: [string, NamedTensor][] = model.store.specs.map((spec) => [
    spec.name,
    { shape: spec.shape, data: model.param(spec.name) },
  ]);
  return writeSafetensors(tensors, { format: 'moh', [CONFIG_METADATA_KEY]: configToJson(model.config) });
}

/**
 * Builds a model of `config` with the weights in safetensors `bytes`. Throws
 * {@link SafetensorsError} for a truncated file, bad header JSON, a dtype other than
 * F32, out-of-range or overlapping data offsets, and for a tensor that the
 * configuration lacks, needs but the file lacks, or expects in another shape.
 */
export function loadSafetensors(bytes: Uint8Array, config: ModelConfig, options: { backend?: Backend } = {}): Model {
  const { tensors } = readSafetensors(bytes);
  const backend = options.backend ?? getBackend();
  const store = new ParameterStore(config, backend);
  for (const name of tensors.keys()) {
    if (!store.has(name)) {
      throw new SafetensorsError(
        'extraTensor',
        `The file has tensor "${name}", which this configuration does not use. Load it with the configuration it was saved with (see its "${CONFIG_METADATA_KEY}" metadata).`,
      );
    }
  }
  for (const spec of store.specs) {
    const tensor = tensors.get(spec.name);
    if (tensor === undefined) {
      throw new SafetensorsError(
        'missingTensor',
        `The file lacks tensor "${spec.name}" [${spec.shape.join(', ')}], which this configuration needs. Check that the configuration matches the file.`,
      );
    }
    if (tensor.shape.length !== spec.shape.length || tensor.shape.some((s, i) => s !== spec.shape[i])) {
      throw new SafetensorsError(
        'shape',
        `Tensor "${spec.name}" has shape [${tensor.shape.join(', ')}] in the file but the configuration needs [${spec.shape.join(', ')}]. Check that the configuration matches the file.`,
      );
    }
    store.param(spec.name).set(tensor.data);
  }
  return new Model(config, backend, store);
}
