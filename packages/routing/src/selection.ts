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
 * What {@link expertRows} keeps from call to call for a caller that routes again and
 * again (a router: every layer, every decode step): the lists it returned last time and
 * scratch counts. Create one with {@link expertRowLists}.
 */
export interface ExpertRowLists {
  /** `(experts)`: the lists of the last call, updated in place. */
  readonly lists: Int32Array[];
  /** `(experts)` scratch. */
  readonly counts: Int32Array;
  /** `(experts)` scratch. */
  readonly starts: Int32Array;
  /**
   * `(experts)`: where each list starts in {@link ExpertRowLists.source}, −1 for a list
   * that is no view of it. Compared instead of the lists' `byteOffset` and `buffer`,
   * which cost tens of nanoseconds a read.
   */
  readonly viewStarts: Int32Array;
  /** The `out` the lists were last cut from. */
  source: Int32Array | null;
}

/** The list of an expert no row selected: one empty array, so that no call makes a view for it. */
const NO_ROWS = new Int32Array(0);

/** A new {@link ExpertRowLists} for `experts` experts. */
export function expertRowLists(experts: number): ExpertRowLists {
  return {
    lists: Array.from({ length: experts }, () => NO_ROWS),
    counts: new Int32Array(experts),
    starts: new Int32Array(experts),
    viewStarts: new Int32Array(experts).fill(-1),
    source: null,
  };
}

/**
 * For each expert, the rows that selected it, ascending: the row lists along which a
 * sparse consumer (attention heads, FFN experts) computes only what is selected.
 *
 * The lists are consecutive views into `out` (at least `rows·k` ints, e.g. backend
 * storage that kernels read in place), expert after expert, or into a new array when
 * `out` is not given; an expert no row selected gets one shared empty array.
 *
 * With `reuse` the lists are written into `reuse.lists`, which is returned, and a list
 * that already is the right view is kept rather than made again. With `every` too (the
 * list `0 … rows−1`), an expert that every row selected gets `every` itself: a one-row
 * call (a decode step) then makes no view at all.
 */
export function expertRows(
  indices: Int32Array,
  rows: number,
  experts: number,
  k: number,
  out: Int32Array = new Int32Array(rows * k),
  reuse: ExpertRowLists = expertRowLists(experts),
  every?: Int32Array,
): Int32Array[] {
  if (out.length < rows * k) {
    throw new RangeError(`expertRows needs out with at least rows·k = ${rows * k} elements, got ${out.length}`);
  }
  const { lists, counts, starts, viewStarts } = reuse;
  if (reuse.source !== out) {
    reuse.source = out;
    viewStarts.fill(-1);
  }
  counts.fill(0);
  for (let i = 0; i < rows * k; i++) counts[indices[i]]++;
  let start = 0;
  for (let j = 0; j < experts; j++) {
    const count = counts[j];
    const list = lists[j];
    starts[j] = start;
    start += count;
    if (list.length === count && (count === 0 || (list === every && count === rows))) continue;
    if (count === 0) {
      lists[j] = NO_ROWS;
      viewStarts[j] = -1;
    } else if (every !== undefined && count === rows && every.length === rows) {
      lists[j] = every;
      viewStarts[j] = -1;
    } else if (list.length !== count || viewStarts[j] !== start - count) {
      lists[j] = out.subarray(start - count, start);
      viewStarts[j] = start - count;
    }
  }
  // Rows are visited in order, so every list comes out ascending without a sort. Each
  // row goes to its place in `out` (a list that is `every` holds its rows already).
  for (let t = 0; t < rows; t++) {
    for (let q = 0; q < k; q++) out[starts[indices[t * k + q]]++] = t;
  }
  return lists;
}
