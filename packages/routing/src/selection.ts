/**
 * Top-k selection of experts per row, by the `topK` kernel of `@moh/tensor` (descending,
 * ties to the lower index), and the two views of a selection that consumers need: the
 * dense 0/1 mask and, per expert, the ascending rows that selected it.
 *
 * Shapes: N rows, E experts, k selected per row. `probs`, `mask (N, E)`;
 * `indices`, `values (N, k)`, each row's experts in descending order of probability.
 *
 * @packageDocumentation
 */
import type { Kernels } from '@moh/tensor';

/** Throws unless `1 ≤ k ≤ experts`. */
export function checkTopK(experts: number, k: number): void {
  if (!Number.isInteger(experts) || experts < 1) {
    throw new RangeError(`routing needs at least one expert, got experts=${experts}`);
  }
  if (!Number.isInteger(k) || k < 1 || k > experts) {
    throw new RangeError(`routing needs an integer k with 1 ≤ k ≤ experts (${experts}), got k=${k}`);
  }
}

/**
 * The k experts with the largest probability in every row, descending; of equal
 * probabilities the lower expert index wins.
 *
 * @param indices - Output `(rows, k)`: selected experts, best first.
 * @param values - Output `(rows, k)`: their probabilities.
 * @param probs - Routing probabilities `(rows, experts)`.
 *
 * @example
 * ```ts
 * import { referenceBackend } from '@moh/tensor';
 * const indices = new Int32Array(2);
 * topKExperts(referenceBackend(), indices, new Float32Array(2), new Float32Array([0.2, 0.4, 0.4]), 1, 3, 2);
 * // indices is [1, 2]: the tie between experts 1 and 2 keeps index order
 * ```
 */
export function topKExperts(
  kernels: Kernels,
  indices: Int32Array,
  values: Float32Array,
  probs: Float32Array,
  rows: number,
  experts: number,
  k: number,
): void {
  checkTopK(experts, k);
  if (rows === 0) return;
  kernels.topK(indices, values, probs, k, rows, experts);
}

/** The dense selection mask: `mask[t, j] = 1` where row t selected expert j, else 0 (overwritten). */
export function selectionMask(
  mask: Float32Array,
  indices: Int32Array,
  rows: number,
  experts: number,
  k: number,
): void {
  mask.fill(0, 0, rows * experts);
  for (let t = 0; t < rows; t++) {
    for (let q = 0; q < k; q++) mask[t * experts + indices[t * k + q]] = 1;
  }
}

/**
 * For each expert, the rows that selected it, ascending: the row lists along which a
 * sparse consumer (attention heads, FFN experts) computes only what is selected.
 *
 * With `out` (at least `rows·k` ints, e.g. backend storage that kernels read in place)
 * the lists are consecutive views into it, expert after expert, and nothing else is
 * allocated but the views; without it each list is a new array.
 */
export function expertRows(indices: Int32Array, rows: number, experts: number, k: number, out?: Int32Array): Int32Array[] {
  if (out !== undefined && out.length < rows * k) {
    throw new RangeError(`expertRows needs out with at least rows·k = ${rows * k} elements, got ${out.length}`);
  }
  const counts = new Int32Array(experts);
  for (let i = 0; i < rows * k; i++) counts[indices[i]]++;
  const lists: Int32Array[] = new Array<Int32Array>(experts);
  let start = 0;
  for (let j = 0; j < experts; j++) {
    lists[j] = out === undefined ? new Int32Array(counts[j]) : out.subarray(start, start + counts[j]);
    start += counts[j];
  }
  const filled = counts.fill(0);
  // Rows are visited in order, so every list comes out ascending without a sort.
  for (let t = 0; t < rows; t++) {
    for (let q = 0; q < k; q++) {
      const j = indices[t * k + q];
      lists[j][filled[j]++] = t;
    }
  }
  return lists;
}
