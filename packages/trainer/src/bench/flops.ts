/**
 * The analytic cost of a model: matrix-product FLOPs per token, so that the measured
 * time saving of a head selection can be set against what the arithmetic promises.
 *
 * Shapes: d model width, L layers, H query heads, G KV heads, D = d/H head width,
 * F FFN width, V vocabulary, P CoPE positions, T tokens per sequence, w the window.
 *
 * @packageDocumentation
 */
import { attentionConfig, type ModelConfig } from '@moh/model';

/** FLOPs per token of one forward pass, by part (a multiply-add counts 2). */
export interface FlopBreakdown {
  /** `2·d·D` per active head (W_q), plus `2·2·d·G·D` (W_k, W_v), plus `2·D·d` per active head with W_o. */
  readonly projections: number;
  /** `4·D·L̄` per active head: scores `q·k` and `A·V` over the mean visible keys `L̄`. */
  readonly attention: number;
  /** CoPE: `2·D·min(P, L̄)` per active head for `q·E`. */
  readonly cope: number;
  /** Mixture of heads: `2·d·(hs + hr + 2)`, the three router projections. */
  readonly router: number;
  /** SwiGLU `3·2·d·F`, ReLU `2·2·d·F`. */
  readonly ffn: number;
  /** `2·d·V` (once, not per layer). */
  readonly lmHead: number;
  /** The sum of the parts. */
  readonly total: number;
}

/** FLOPs per token of a training step and of a forward pass. */
export interface FlopCount {
  /** Per-part forward FLOPs per token (layers summed). */
  readonly forward: FlopBreakdown;
  /** Training FLOPs per token: 3× the forward (the backward computes two products per forward product). */
  readonly training: number;
  /** Query heads a token runs on, per layer. */
  readonly activeHeads: number;
}

/** Heads a token runs on under `config`'s head selection. */
export function activeHeadsPerToken(config: ModelConfig): number {
  const selection = config.attention.headSelection;
  switch (selection.kind) {
    case 'allHeads':
      return config.attention.queryHeads;
    case 'staticPruning':
      return selection.activeHeads;
    case 'mixtureOfHeads':
      return selection.sharedHeads + selection.activeRoutedHeads;
    default: {
      const never: never = selection;
      throw new Error(`unknown head selection ${(never as { kind: string }).kind}`);
    }
  }
}

/**
 * Mean visible keys of a token of a causal sequence of `seqLen` tokens:
 * `(1/T) Σ_t min(t + 1, w)`, i.e. `(T + 1)/2` without a window.
 */
export function meanVisibleKeys(seqLen: number, window: number | null): number {
  let sum = 0;
  for (let t = 0; t < seqLen; t++) sum += window === null ? t + 1 : Math.min(t + 1, window);
  return sum / seqLen;
}

/**
 * Counts the matrix-product FLOPs per token of `config` on sequences of `seqLen` tokens
 * with `window` (null: full causal attention). Only products are counted: softmax,
 * norms, activations, gating and the optimizer are linear in the activations and
 * left out, as usual. Attention cost comes from the active (token, head) pairs and
 * the causal (or windowed) key counts: a head skipped for a token costs nothing, which
 * is the saving Mixture-of-Heads and static pruning claim.
 *
 * @example
 * ```ts
 * const seed = countFlops(resolveConfig({ preset: 'seed' }), 80);
 * const moh = countFlops(resolveConfig({ preset: 'seed-moh' }), 80);
 * const saving = 1 - moh.training / seed.training; // ≈ 0.03
 * ```
 */
export function countFlops(config: ModelConfig, seqLen: number, window: number | null = null): FlopCount {
  return flopsForKeys(config, meanVisibleKeys(seqLen, window));
}

/**
 * FLOPs of one KV-cache decode step: the token after `cached` tokens, which sees
 * `min(cached + 1, w)` keys (its `training` figure is meaningless and left at 3×).
 */
export function countDecodeFlops(config: ModelConfig, cached: number, window: number | null = null): FlopCount {
  return flopsForKeys(config, window === null ? cached + 1 : Math.min(cached + 1, window));
}

/** The count for tokens that each see `keys` keys. */
function flopsForKeys(config: ModelConfig, keys: number): FlopCount {
  const { modelDim: d, layers, vocabSize: V } = config;
  const a = attentionConfig(config);
  const { queryHeads: H, kvHeads: G, headDim: D } = a;
  const heads = activeHeadsPerToken(config);
  const selection = config.attention.headSelection;
  const projections = layers * (2 * d * D * heads + 4 * d * G * D + (a.outputProjection ? 2 * D * d * heads : 0));
  const attention = layers * heads * 4 * D * keys;
  const cope = a.position.kind === 'cope' ? layers * heads * 2 * D * Math.min(a.position.maxPositions, keys) : 0;
  const router = selection.kind === 'mixtureOfHeads' ? layers * 2 * d * (H + 2) : 0;
  const ffn = layers * (config.ffn.kind === 'swiglu' ? 6 : 4) * d * config.ffn.hiddenDim;
  const lmHead = 2 * d * V;
  const total = projections + attention + cope + router + ffn + lmHead;
  return { forward: { projections, attention, cope, router, ffn, lmHead, total }, training: 3 * total, activeHeads: heads };
}
