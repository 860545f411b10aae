/**
 * `@moh/model`: the Mixture-of-Heads transformer language model of SPEC.md: its typed
 * configuration with presets and validation, and its parameter tensors.
 *
 * @packageDocumentation
 */
export type {
  BlockLayout,
  DeepPartial,
  FfnConfig,
  LayerNormConfig,
  ModelAttentionConfig,
  ModelConfig,
  ModelConfigInput,
  NormConfig,
  PresetName,
  ReluFfnConfig,
  RmsNormConfig,
  SwiGluConfig,
} from './config.js';
export { ConfigError, preset, presetNames, resolveConfig, validate } from './resolve.js';
export { countParameters, parameterSpecs } from './parameters.js';
export type { ParameterCount, ParameterSpec } from './parameters.js';
