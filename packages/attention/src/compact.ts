/**
 * Moves between the wide `(rows, H·D)` layout of per-head rows (head `h` in columns
 * `h·D … h·D+D−1`) and the compact head-major one of core.ts (head `h`'s r-th active row
 * at row `base + r`, D wide). Plain copies: no arithmetic, so no bit changes.
 *
 * @packageDocumentation
 */

/** `compact[base + r] = wide[rows[r], col … col+D)`: a routed head's rows into the compact layout. */
export function toCompact(compact: Float32Array, wide: Float32Array, rows: Int32Array, col: number, stride: number, D: number, base: number): void {
  for (let r = 0; r < rows.length; r++) {
    const from = rows[r] * stride + col;
    const to = (base + r) * D;
    for (let c = 0; c < D; c++) compact[to + c] = wide[from + c];
  }
}

/** `wide[rows[r], col … col+D) = compact[base + r]`: the inverse of {@link toCompact}. */
export function fromCompact(wide: Float32Array, compact: Float32Array, rows: Int32Array, col: number, stride: number, D: number, base: number): void {
  for (let r = 0; r < rows.length; r++) {
    const from = (base + r) * D;
    const to = rows[r] * stride + col;
    for (let c = 0; c < D; c++) wide[to + c] = compact[from + c];
  }
}
