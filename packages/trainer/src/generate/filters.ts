/**
 * Next-token distributions: temperature, top-k and top-p (nucleus) filters, a sampler
 * and the greedy choice. Each works on one row of V logits or probabilities and returns
 * a fresh row; the softmax, log-softmax and top-k are the kernels of `@moh/tensor`, so
 * the ordering (descending, ties to the lower id) is the same everywhere.
 */
import type { Kernels } from '@moh/tensor';

/**
 * The probabilities `softmax(logits / temperature)`. The logits are shifted by their
 * maximum before the division so a tiny temperature sends the others to −∞ (probability
 * 0) instead of overflowing: as the temperature approaches 0 the distribution becomes
 * one-hot on the argmax (split evenly between tied maxima).
 *
 * @param logits - `(V)` one row of logits.
 * @param temperature - Finite and > 0.
 */
export function temperatureProbabilities(kernels: Kernels, logits: Float32Array, temperature: number): Float32Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`temperature must be a finite number > 0, got ${temperature}; use greedy decoding for 0.`);
  }
  const V = logits.length;
  const max = kernels.max(logits, V);
  const out = new Float32Array(V);
  for (let i = 0; i < V; i++) out[i] = (logits[i] - max) / temperature;
  kernels.softmaxForward(out, out, 1, V);
  return out;
}

/** The natural-log probabilities `log softmax(logits)` of one row `(V)`. */
export function logProbabilities(kernels: Kernels, logits: Float32Array): Float32Array {
  const out = new Float32Array(logits.length);
  kernels.logSoftmaxForward(out, logits, 1, logits.length);
  return out;
}

/** Ids of `row` in descending order of value, ties to the lower id (the `topK` kernel's order). */
function descendingOrder(kernels: Kernels, row: Float32Array, k: number): Int32Array {
  const indices = new Int32Array(k);
  kernels.topK(indices, new Float32Array(k), row, k, 1, row.length);
  return indices;
}

/** `probs` restricted to `keep` ids and renormalised to sum 1. */
function restrict(probs: Float32Array, keep: Int32Array): Float32Array {
  const out = new Float32Array(probs.length);
  let total = 0;
  for (const id of keep) total += probs[id];
  for (const id of keep) out[id] = total > 0 ? probs[id] / total : 1 / keep.length;
  return out;
}

/**
 * Top-k filter: keeps the `k` most probable tokens of a probability row and renormalises
 * them; every other token gets 0. Exactly `k` tokens survive, ties going to the lower
 * id, so `k = 1` is the greedy choice. `k ≥ V` returns the row unchanged (a copy).
 *
 * @example
 * ```ts
 * import { referenceBackend } from '@moh/tensor';
 * import { topKFilter } from '@moh/trainer';
 * topKFilter(referenceBackend(), new Float32Array([0.1, 0.4, 0.2, 0.3]), 2); // [0, 4/7, 0, 3/7]
 * ```
 *
 * @param probs - `(V)` a probability row.
 * @param k - An integer ≥ 1.
 */
export function topKFilter(kernels: Kernels, probs: Float32Array, k: number): Float32Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topK must be an integer ≥ 1, got ${k}.`);
  if (k >= probs.length) return probs.slice();
  return restrict(probs, descendingOrder(kernels, probs, k));
}

/**
 * Top-p (nucleus) filter (Holtzman et al. 2020): keeps the smallest set of most probable
 * tokens whose total probability reaches `p` and renormalises it; every other token
 * gets 0. Tokens are taken in descending order with ties to the lower id, so of two
 * tied tokens at the boundary only the lower id may be kept. At least one token always
 * survives; `p = 1` returns the row unchanged (a copy), so rounding in the running sum
 * can never drop a token. The running sum is accumulated in float64.
 *
 * @param probs - `(V)` a probability row.
 * @param p - In (0, 1].
 */
export function topPFilter(kernels: Kernels, probs: Float32Array, p: number): Float32Array {
  if (!(p > 0 && p <= 1)) throw new RangeError(`topP must be in (0, 1], got ${p}.`);
  if (p === 1) return probs.slice();
  const order = descendingOrder(kernels, probs, probs.length);
  let mass = 0;
  let kept = 0;
  while (kept < order.length) {
    mass += probs[order[kept]];
    kept++;
    if (mass >= p) break;
  }
  return restrict(probs, order.subarray(0, kept));
}

/**
 * Draws a token from a probability row with one uniform number `u ∈ [0, 1)`: the first
 * id whose running sum exceeds `u · Σ probs`. The comparison is strict, so a token of
 * probability 0 is never drawn; the row need not be normalised.
 */
export function sampleToken(probs: Float32Array, u: number): number {
  let total = 0;
  for (let i = 0; i < probs.length; i++) total += probs[i];
  const target = u * total;
  let running = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    running += probs[i];
    last = i;
    if (running > target) return i;
  }
  if (last < 0) throw new RangeError('cannot sample from a row without positive probability.');
  return last; // rounding left the running sum a hair under the target
}

/** The most probable token of a logit or probability row; ties go to the lower id. */
export function greedyToken(kernels: Kernels, row: Float32Array): number {
  return descendingOrder(kernels, row, 1)[0];
}
