/**
 * The window in force (SPEC §3): the configured window `w`, or the one an adaptive
 * strategy picks, decided once per forward pass and reused by its backward.
 *
 * - `fixed`: `w`.
 * - `sequenceLength`: `clamp(⌊T/2⌋, min, max)` (replaces `w`; `w` must be set to switch
 *   windowing on).
 * - `attentionEntropy`: `round(min + (max − min)·Ĥ)`, where Ĥ is a running average
 *   (weight `momentum` on the newest pass) of the mean normalised entropy of earlier
 *   passes' attention rows. Ĥ starts at 1, so the first pass uses `max`: with no
 *   evidence yet the layer sees as far as it is allowed to.
 *
 * @packageDocumentation
 */
import type { AttentionConfig } from './config.js';

/**
 * The window `config` puts in force for sequences of `seqLen` tokens given the running
 * entropy average Ĥ; `null` means full causal attention.
 *
 * @example
 * ```ts
 * windowInForce({ ...config, window: 8, adaptiveWindow: { kind: 'sequenceLength', min: 2, max: 6 } }, 10, 1); // 5
 * ```
 */
export function windowInForce(config: AttentionConfig, seqLen: number, entropyAverage: number): number | null {
  if (config.window === null) return null;
  const adaptive = config.adaptiveWindow;
  switch (adaptive.kind) {
    case 'fixed':
      return config.window;
    case 'sequenceLength':
      return Math.min(adaptive.max, Math.max(adaptive.min, Math.floor(seqLen / 2)));
    case 'attentionEntropy': {
      const h = Math.min(1, Math.max(0, entropyAverage));
      return Math.round(adaptive.min + (adaptive.max - adaptive.min) * h);
    }
    default: {
      const never: never = adaptive;
      throw new Error(`unknown adaptive window ${(never as { kind: string }).kind}`);
    }
  }
}

/** The first key a query at position `t` sees: `max(0, t − w + 1)`, or 0 without a window. */
export function firstVisibleKey(t: number, window: number | null): number {
  return window === null ? 0 : Math.max(0, t - window + 1);
}

/**
 * Normalised entropy `−Σ a·ln a / ln L` of one attention row of length `L ≥ 2`
 * (1 for a uniform row, 0 for a one-hot row).
 */
export function normalisedEntropy(probs: Float32Array, off: number, length: number): number {
  let h = 0;
  for (let j = 0; j < length; j++) {
    const a = probs[off + j];
    if (a > 0) h -= a * Math.log(a);
  }
  return h / Math.log(length);
}
