/**
 * What a router hands to attention: the head gates and, for every head, the rows where
 * it runs. Shapes: N = B·T rows (tokens of all sequences, sequence-major), H query heads.
 */

/** The routing decision of one forward pass. */
export interface HeadRouting {
  /** Query heads H. */
  readonly heads: number;
  /** Rows N (B·T). */
  readonly rows: number;
  /** `(N, H)`: the gate of every (row, head); exactly 0 where the head is inactive for the row. */
  readonly gates: Float32Array;
  /**
   * For each head `h`, the rows where it is active, ascending. Attention computes head
   * `h` only for these rows (its Q row, score row, softmax row, A·V row, CoPE row).
   */
  readonly activeRows: readonly Int32Array[];
}
