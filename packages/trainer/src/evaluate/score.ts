/**
 * The log-probability a model assigns to a continuation, by one full forward pass (no
 * KV cache): an independent check on decoding and a way to rank candidate answers.
 */
import type { Model } from '@moh/model';
import { logProbabilities } from '../generate/filters.js';

/**
 * `Σ log p(continuation[i] | prompt, continuation[<i])` (natural log) under `model`, from
 * the logits of one forward pass over `prompt ++ continuation`. The whole sequence must
 * fit in `maxSeqLen`. An empty continuation scores 0.
 *
 * @param prompt - At least one token.
 */
export function sequenceLogProbability(model: Model, prompt: readonly number[], continuation: readonly number[]): number {
  if (prompt.length === 0) throw new RangeError('the prompt must hold at least one token.');
  if (continuation.length === 0) return 0;
  const ids = Int32Array.from([...prompt, ...continuation]);
  // The last token's logits predict nothing scored, so it need not be fed.
  const T = ids.length - 1;
  const V = model.config.vocabSize;
  model.forward(ids.subarray(0, T), null, 1, T, { updateStatistics: false });
  const logits = model.logits;
  let total = 0;
  continuation.forEach((token, i) => {
    const row = prompt.length - 1 + i;
    total += logProbabilities(model.backend, logits.subarray(row * V, (row + 1) * V))[token];
  });
  return total;
}
