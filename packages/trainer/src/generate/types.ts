/**
 * The options and results of text generation. Everything is in token ids: a caller
 * turns text into ids (and back) with its tokenizer, so generation does not depend on
 * one.
 */

/** Always take the most probable next token (ties: the lower id). */
export interface GreedyDecoding {
  readonly kind: 'greedy';
}

/**
 * Draw the next token from the model's distribution, sharpened or flattened by a
 * temperature and optionally cut to the `topK` most probable tokens, then to the
 * smallest set holding `topP` of the probability (top-k first, then top-p, each
 * renormalised; see `topKFilter` and `topPFilter`).
 */
export interface SampledDecoding {
  readonly kind: 'sample';
  /**
   * Divides the logits before the softmax: below 1 sharpens, above 1 flattens, and as it
   * approaches 0 sampling becomes greedy. Must be > 0 (use `{ kind: 'greedy' }` for 0).
   */
  readonly temperature: number;
  /** Keep only the `topK` most probable tokens (ties: lower ids first). Defaults to every token. */
  readonly topK?: number;
  /** Keep the most probable tokens until their mass reaches `topP`, in (0, 1]. Defaults to 1 (every token). */
  readonly topP?: number;
}

/**
 * Beam search: keep the `width` best partial sequences by total log-probability; a
 * sequence that emits a stop token is finished and ranked by its length-normalised
 * score `log P / lp(n)`, `lp(n) = ((5 + n) / 6)^lengthPenalty` (Wu et al. 2016), n the
 * number of generated tokens including the stop token.
 */
export interface BeamDecoding {
  readonly kind: 'beam';
  /** Hypotheses kept per step, an integer ≥ 1. Width 1 with length penalty 0 is greedy decoding. */
  readonly width: number;
  /** α of the length normalisation: 0 ranks by raw log-probability, > 0 favours longer answers. */
  readonly lengthPenalty: number;
}

/** How the next token is chosen. */
export type DecodingStrategy = GreedyDecoding | SampledDecoding | BeamDecoding;

/** Options of `generate` and `streamTokens`. */
export interface GenerateOptions {
  /** How each next token is chosen. */
  readonly strategy: DecodingStrategy;
  /** The most tokens to generate (the stop token included), an integer ≥ 0. */
  readonly maxNewTokens: number;
  /**
   * Token ids that end generation, e.g. `[SPECIAL_TOKENS.eos]`; the stop token is not part
   * of the returned tokens. Defaults to none: generation then runs to `maxNewTokens` or
   * the context limit.
   */
  readonly stopTokens?: readonly number[];
  /** Seed of the `Rng` that sampling draws from; the same seed gives the same tokens. Defaults to 0. */
  readonly seed?: number;
  /**
   * Called with each generated token as soon as it is chosen (never with the stop token).
   * Beam search knows its answer only at the end, so it calls this for the best
   * hypothesis's tokens after the search.
   */
  readonly onToken?: (token: number) => void;
}

/**
 * Why generation ended: a stop token was produced, `maxNewTokens` were produced, or the
 * sequence reached the model's context length (`maxSeqLen`).
 */
export type StopReason = 'stopToken' | 'maxNewTokens' | 'contextFull';

/** One finished sequence of beam search. */
export interface BeamHypothesis {
  /** The generated tokens, without the stop token. */
  readonly tokens: readonly number[];
  /** Σ log p of the generated tokens, the stop token included (natural log). */
  readonly logProbability: number;
  /** `logProbability / lp(n)`, the score hypotheses are ranked by. */
  readonly score: number;
  /** Why this hypothesis ended. */
  readonly stopReason: StopReason;
  /** The stop token that ended it, or null. */
  readonly stopToken: number | null;
}

/** What `generate` returns. */
export interface GenerateResult {
  /** The generated tokens, without the stop token. */
  readonly tokens: readonly number[];
  /** Why generation ended. */
  readonly stopReason: StopReason;
  /** The stop token that ended generation, or null. */
  readonly stopToken: number | null;
  /**
   * Σ log p of the generated tokens (the stop token included) under the model's own
   * distribution, before temperature and filters (natural log).
   */
  readonly logProbability: number;
  /** The prompt tokens the model saw: the last ones, when the prompt was truncated. */
  readonly prompt: readonly number[];
  /** How many tokens were dropped from the start of the prompt to fit the context. */
  readonly truncated: number;
  /** Beam search only: every finished hypothesis, best score first (at most `width`). */
  readonly hypotheses?: readonly BeamHypothesis[];
}
