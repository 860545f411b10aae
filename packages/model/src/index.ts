/**
 * `@moh/model`: the Mixture-of-Heads transformer language model of SPEC.md: its typed
 * configuration with presets and validation, its parameter tensors in one flat buffer,
 * the model with forward and backward passes, KV-cache decoding, and safetensors I/O.
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
export { configFromJson, configToJson } from './config-json.js';
export { ParameterStore } from './store.js';
export type { TensorRecord } from './store.js';
export { Block } from './block.js';
export type { BlockForwardOptions, BlockParts } from './block.js';
export { attentionConfig, createModel, Model } from './model.js';
export type { ForwardResult, ModelOptions, ModelParts } from './model.js';
export { Decoder } from './decode.js';
export { Timing } from './timing.js';
export type { ModelPart, PartTimer } from './timing.js';
export { Embedding } from './embedding.js';
export type { EmbeddingTensors } from './embedding.js';
export { Norm } from './norm.js';
export type { NormTensors } from './norm.js';
export { FeedForward } from './ffn.js';
export type { FfnTensors } from './ffn.js';
export { LmHead } from './lm-head.js';
export type { LmHeadTensors } from './lm-head.js';
export { CrossEntropy } from './loss.js';
export { readSafetensors, SafetensorsError, writeSafetensors } from './safetensors.js';
export type { NamedTensor, SafetensorsContents, SafetensorsProblem } from './safetensors.js';
export { CONFIG_METADATA_KEY, loadSafetensors, toSafetensors } from './weights.js';
