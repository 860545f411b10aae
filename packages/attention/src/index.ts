/**
 * `@moh/attention`: causal grouped-query attention (MHA, GQA, MQA) with CoPE or RoPE,
 * sliding and adaptive windows, an optional output projection, and per-token head
 * selection executed sparsely: a head skipped for a token costs nothing for it.
 *
 * @packageDocumentation
 */
export type {
  AdaptiveWindow,
  AttentionConfig,
  AttentionEntropyWindow,
  CopeEncoding,
  FixedWindow,
  NoPositionEncoding,
  PositionEncoding,
  RopeEncoding,
  SequenceLengthWindow,
} from './config.js';
export { Attention } from './attention.js';
export type { AttentionGradients, ForwardOptions } from './attention.js';
export { AttentionCache } from './kv-cache.js';
export { attentionParamShapes } from './params.js';
export type { AttentionParams, AttentionParamShape } from './params.js';
export { validateAttentionConfig } from './validate.js';
export { windowInForce } from './window.js';
