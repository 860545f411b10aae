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
