/**
 * Argument checks of the banded (masked) softmax, shared by both backends so that they
 * reject the same calls: inside WebAssembly a band past the row would read or write
 * other tensors.
 *
 * @internal
 */

/** Throws a `RangeError` unless `scale > 0` and `0 ≤ lo[r] ≤ hi[r] ≤ cols` for every row. */
export function checkBands(lo: Int32Array, hi: Int32Array, scale: number, rows: number, cols: number): void {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`The softmax scale must be positive and finite, got ${scale}.`);
  if (lo.length < rows || hi.length < rows) {
    throw new RangeError(`The band lists have ${lo.length} and ${hi.length} entries, fewer than ${rows} rows.`);
  }
  for (let r = 0; r < rows; r++) {
    const a = lo[r];
    const b = hi[r];
    if (!(a >= 0 && a <= b && b <= cols)) throw new RangeError(`Row ${r} has the band [${a}, ${b}), not inside [0, ${cols}].`);
  }
}

/** `Σ (hi[r] − lo[r])`: how many entries the bands hold, packed one after another. */
export function packedLength(lo: Int32Array, hi: Int32Array, rows: number): number {
  let n = 0;
  for (let r = 0; r < rows; r++) n += hi[r] - lo[r];
  return n;
}

/** Throws a `RangeError` unless `1 ≤ width ≤ positions`, both integers: a CoPE table row read past its end would read another tensor. */
export function checkCopeTable(positions: number, width: number): void {
  if (!(Number.isInteger(positions) && Number.isInteger(width) && width >= 1 && width <= positions)) {
    throw new RangeError(`CoPE needs 1 ≤ width ≤ positions (integers), got width ${width} of ${positions} positions.`);
  }
}
