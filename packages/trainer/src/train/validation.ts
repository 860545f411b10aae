/**
 * Validation: the mean cross-entropy over every unmasked held-out target (each batch's
 * mean weighted by its target count, so a short last batch counts for what it holds)
 * and the perplexity `exp(mean CE)`. Forward passes only: no gradient is computed, and
 * no running statistic of the model is updated.
 */
import type { Model } from '@moh/model';
import type { ValidationBatch } from './batch-source.js';

/** The outcome of one validation pass. */
export interface ValidationResult {
  /** Mean cross-entropy per unmasked target (NaN with no targets). */
  readonly ce: number;
  /** `exp(ce)`. */
  readonly perplexity: number;
  /** Unmasked targets scored. */
  readonly tokens: number;
  /** Batches scored. */
  readonly batches: number;
}

/** Scores `model` on held-out batches built by `validationBatches`. */
export function evaluate(model: Model, batches: readonly ValidationBatch[], seqLen: number): ValidationResult {
  let sum = 0;
  let tokens = 0;
  for (const batch of batches) {
    if (batch.counted === 0) continue;
    // Held-out passes must not move running statistics (an adaptive window's entropy average) that training reads.
    const { ce } = model.forward(batch.ids, batch.targets, batch.rows, seqLen, { updateStatistics: false });
    sum += ce * batch.counted;
    tokens += batch.counted;
  }
  const ce = tokens === 0 ? Number.NaN : sum / tokens;
  return { ce, perplexity: Math.exp(ce), tokens, batches: batches.length };
}
