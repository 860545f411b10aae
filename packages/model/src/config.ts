/**
 * The model configuration (SPEC §1–2) as typed, discriminated unions. Shapes: V
 * vocabulary, d model width, L layers, Tmax maximum sequence length, H query heads,
 * G key/value heads, D = d / H head width, F FFN hidden width.
 */
import type { AdaptiveWindow, PositionEncoding } from '@moh/attention';
import type { HeadSelection } from '@moh/head-router';

/** RMSNorm: `γ ⊙ x / sqrt(mean(x²) + eps)`. */
export interface RmsNormConfig {
  readonly kind: 'rmsnorm';
  /** Defaults to 1e-6. */
  readonly eps: number;
}

/** LayerNorm: `γ ⊙ (x − μ) / sqrt(var + eps) + β`. */
export interface LayerNormConfig {
  readonly kind: 'layernorm';
  /** Defaults to 1e-5. */
  readonly eps: number;
}

/** The normalisation used in every block (and as the final norm of pre-norm models). */
export type NormConfig = RmsNormConfig | LayerNormConfig;

/** SwiGLU: `(silu(x W1) ⊙ (x W2)) W3`, no biases. */
export interface SwiGluConfig {
  readonly kind: 'swiglu';
  /** Hidden width F. */
  readonly hiddenDim: number;
}

/** ReLU FFN: `relu(x W1 + b1) W2 + b2`. */
export interface ReluFfnConfig {
  readonly kind: 'relu';
  /** Hidden width F. */
  readonly hiddenDim: number;
}

/** The feed-forward network of every block. */
export type FfnConfig = SwiGluConfig | ReluFfnConfig;

/**
 * Where the norms sit. `postNorm` (the seed's): `h = N1(x + Attn(x))`,
 * `y = N2(h + FFN(h))`. `preNorm`: `h = x + Attn(N1(x))`, `y = h + FFN(N2(h))`, and a
 * final norm before the LM head.
 */
export type BlockLayout = 'postNorm' | 'preNorm';

/** Attention settings shared by every layer. */
export interface ModelAttentionConfig {
  /** Query heads H; the head width is d / H. */
  readonly queryHeads: number;
  /** Key/value heads G, dividing H. */
  readonly kvHeads: number;
  /** Position encoding inside attention. */
  readonly position: PositionEncoding;
  /** Sliding window w, or `null` for full causal attention. */
  readonly window: number | null;
  /** Adaptive window strategy on top of `window`. */
  readonly adaptiveWindow: AdaptiveWindow;
  /** Whether each layer has a d × d output projection W_o. */
  readonly outputProjection: boolean;
  /** Which heads each token uses. */
  readonly headSelection: HeadSelection;
}

/** A complete, validated model configuration: what {@link resolveConfig} returns. */
export interface ModelConfig {
  /** Vocabulary size V. */
  readonly vocabSize: number;
  /** Model width d. */
  readonly modelDim: number;
  /** Number of blocks L. */
  readonly layers: number;
  /** Longest sequence Tmax the model accepts. */
  readonly maxSeqLen: number;
  /** Attention settings. */
  readonly attention: ModelAttentionConfig;
  /** Norm kind. */
  readonly norm: NormConfig;
  /** FFN kind and width. */
  readonly ffn: FfnConfig;
  /** Post-norm or pre-norm blocks. */
  readonly blockLayout: BlockLayout;
  /** Whether a learned Tmax × d position table is added to the embedding. */
  readonly learnedPositions: boolean;
  /** Whether the LM head reuses the token embedding (transposed). */
  readonly tiedEmbeddings: boolean;
  /** Standard deviation of the normal initialisation of weight matrices. */
  readonly initStd: number;
}

/** Recursively optional, for user input that {@link resolveConfig} completes. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** The names of the built-in presets. */
export type PresetName = 'seed' | 'seed-moh';

/**
 * What a user may write: any part of a {@link ModelConfig}, optionally on top of a
 * preset. Union members (norm, ffn, position, window strategy, head selection) are
 * given whole or by `kind` alone, which takes that kind's defaults.
 */
export type ModelConfigInput = DeepPartial<ModelConfig> & {
  /** Start from this preset. Defaults to `seed`. */
  readonly preset?: PresetName;
};
