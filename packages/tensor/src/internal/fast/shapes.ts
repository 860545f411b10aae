/**
 * Size arithmetic shared by the fast kernel wrappers.
 *
 * @internal
 */

/** Elements a `(rows, cols)` matrix with row stride `ld` spans: 0 when it is empty. */
export function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/**
 * One more than the largest of the first `count` indices, after checking that none is
 * negative: the number of rows the indexed matrices must have. Out-of-range indices
 * must fail here, since inside WebAssembly they would read or write other tensors.
 */
export function rowExtent(indices: Int32Array, count: number): number {
  if (indices.length < count) throw new RangeError(`The index list has ${indices.length} entries, fewer than ${count}.`);
  let max = -1;
  for (let r = 0; r < count; r++) {
    const i = indices[r];
    if (i < 0) throw new RangeError(`Index ${i} at position ${r} is negative.`);
    if (i > max) max = i;
  }
  return max + 1;
}

/** Checks that a size is a non-negative integer (fractions and NaN would corrupt pointers). */
export function checkSizes(...sizes: number[]): void {
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 0 || s > 0x7fffffff) throw new RangeError(`Invalid size ${s}.`);
  }
}
