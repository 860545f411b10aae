/**
 * Attention configuration (SPEC §3). Shapes: T tokens, d model width, H query heads,
 * G key/value heads (H divisible by G), D head width.
 */
import type { HeadSelection } from '@moh/head-router';

/** Contextual position encoding: a learned table of `maxPositions × D` per query head. */
export interface CopeEncoding {
  readonly kind: 'cope';
  /** Positions in each head's table; positions are clamped to `maxPositions − 1`. Defaults to 64. */
  readonly maxPositions: number;
}

/** Rotary position encoding of q and k. */
export interface RopeEncoding {
  readonly kind: 'rope';
  /** Frequency base. Defaults to 10000. */
  readonly base: number;
}

/** No position information inside attention (the model may still add learned positions). */
export interface NoPositionEncoding {
  readonly kind: 'none';
}

/** How attention sees token positions. */
export type PositionEncoding = CopeEncoding | RopeEncoding | NoPositionEncoding;

/** The configured window `w` is used as is. */
export interface FixedWindow {
  readonly kind: 'fixed';
}

/** Window `clamp(⌊T/2⌋, min, max)` from the sequence length. */
export interface SequenceLengthWindow {
  readonly kind: 'sequenceLength';
  readonly min: number;
  readonly max: number;
}

/**
 * Window `min + (max − min)·Ĥ`, where Ĥ is the running mean normalised entropy of the
 * previous forward passes' attention rows.
 */
export interface AttentionEntropyWindow {
  readonly kind: 'attentionEntropy';
  readonly min: number;
  readonly max: number;
  /** Weight of the newest pass in the running average. Defaults to 0.1. */
  readonly momentum: number;
}

/** How the window in force is chosen on top of the configured one. */
export type AdaptiveWindow = FixedWindow | SequenceLengthWindow | AttentionEntropyWindow;

/** One attention layer. */
export interface AttentionConfig {
  /** Model width d. */
  readonly modelDim: number;
  /** Query heads H. */
  readonly queryHeads: number;
  /** Key/value heads G; H must be divisible by G (G = H is MHA, G = 1 is MQA). */
  readonly kvHeads: number;
  /** Head width D. */
  readonly headDim: number;
  /** Position encoding. */
  readonly position: PositionEncoding;
  /** Sliding window w (each row sees at most w keys, itself included), or `null` for none. */
  readonly window: number | null;
  /** Adaptive window strategy (only with a window). */
  readonly adaptiveWindow: AdaptiveWindow;
  /** Whether a `(H·D) × d` output projection W_o follows the heads. */
  readonly outputProjection: boolean;
  /** Which heads each token uses. */
  readonly headSelection: HeadSelection;
}
