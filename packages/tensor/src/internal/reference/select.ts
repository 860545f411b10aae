/**
 * Reference top-k selection and reductions.
 *
 * Shapes: `x` is `(rows, cols)` for `topK` and `sumRows`, flat `(n)` otherwise;
 * `indices`, `values` are `(rows, k)`; `sumRows` writes `out(cols)`.
 *
 * @packageDocumentation
 */

/** Whether `v` ranks strictly above `w`: larger, or a number against NaN (NaN ranks lowest). */
function ranksAbove(v: number, w: number): boolean {
  return v > w || (w !== w && v === v);
}

/**
 * Top-k per row, descending. An insertion into the row's running top-k list (O(cols·k),
 * fine for the small k of routing): a new entry goes after every entry it does not
 * strictly beat, so equal values (and NaNs) keep their index order, lower index first.
 */
export function topK(
  indices: Int32Array,
  values: Float32Array,
  x: Float32Array,
  k: number,
  rows: number,
  cols: number,
): void {
  if (k < 0 || k > cols) throw new RangeError(`topK needs 0 ≤ k ≤ cols, got k=${k}, cols=${cols}`);
  if (k === 0) return;
  for (let r = 0; r < rows; r++) {
    const xo = r * cols;
    const o = r * k;
    let size = 0;
    for (let j = 0; j < cols; j++) {
      const v = x[xo + j];
      if (size === k && !ranksAbove(v, values[o + k - 1])) continue;
      // Shift the entries that v beats one place down (dropping the last when full).
      let p = size === k ? k - 1 : size;
      while (p > 0 && ranksAbove(v, values[o + p - 1])) {
        values[o + p] = values[o + p - 1];
        indices[o + p] = indices[o + p - 1];
        p--;
      }
      values[o + p] = v;
      indices[o + p] = j;
      if (size < k) size++;
    }
  }
}

/** Σ x, accumulated in float64; 0 for `n = 0`. */
export function sum(x: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  return s;
}

/** Mean of x; `0 / 0` gives NaN for `n = 0`. */
export function mean(x: Float32Array, n: number): number {
  return sum(x, n) / n;
}

/** Max of x; −Infinity for `n = 0`; NaN as soon as an element is NaN. */
export function max(x: Float32Array, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v !== v) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** Column sums `out[j] (+)= Σ_i x[i,j]`, accumulated in float64 scratch (bias gradients). */
export function sumRows(out: Float32Array, x: Float32Array, rows: number, cols: number, accumulate = false): void {
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) acc[j] += x[off + j];
  }
  for (let j = 0; j < cols; j++) out[j] = accumulate ? out[j] + acc[j] : acc[j];
}
