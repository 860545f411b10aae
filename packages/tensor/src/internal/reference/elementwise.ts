/**
 * Reference elementwise kernels and row gathers.
 *
 * Shapes: flat buffers of `n` elements; `gatherRows`/`scatterAddRows` move `count` rows
 * of `cols` between a `(vocab, cols)` table and a `(count, cols)` buffer.
 *
 * @packageDocumentation
 */

/** `out = a + b`; reading index `i` before writing it makes `out` safe to alias an input. */
export function add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/** `out = a ⊙ b`. `out` may alias `a` or `b`. */
export function mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
}

/** `out = s · a`. `out` may alias `a`. */
export function scale(out: Float32Array, a: Float32Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) out[i] = s * a[i];
}

/** `y += alpha · x`. */
export function axpy(y: Float32Array, alpha: number, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}

/** Embedding lookup: `out[r] = table[ids[r]]` for `r < count`. */
export function gatherRows(out: Float32Array, table: Float32Array, ids: Int32Array, count: number, cols: number): void {
  for (let r = 0; r < count; r++) {
    const src = ids[r] * cols;
    out.set(table.subarray(src, src + cols), r * cols);
  }
}

/** Embedding gradient: `dTable[ids[r]] += dOut[r]`; repeated ids add up (a parameter gradient). */
export function scatterAddRows(
  dTable: Float32Array,
  dOut: Float32Array,
  ids: Int32Array,
  count: number,
  cols: number,
): void {
  for (let r = 0; r < count; r++) {
    const dst = ids[r] * cols;
    const src = r * cols;
    for (let j = 0; j < cols; j++) dTable[dst + j] += dOut[src + j];
  }
}
