/**
 * The CoPE kernels of `Kernels` (contextual position encoding, SPEC §3).
 * Conventions: see `kernels.ts`.
 *
 * @packageDocumentation
 */
/** CoPE gates, position biases and their backward over blocks of banded score rows. */
export interface CopeKernels {
  /**
   * CoPE gates (contextual position encoding, SPEC §3) of a block of banded score rows:
   * packs `z = σ(x[r, j])` of every band `lo[r] ≤ j < hi[r]`, row after row, into
   * `z (Σ_r (hi[r] − lo[r]))` and returns `width`, how many table entries the rows read:
   * `1 + max_r min(P − 1, ⌈p_r⌉)` where `p_r` is the sum of row `r`'s gates (the position
   * of its first key; `P` is `positions`). Empty bands read nothing; the result is ≥ 1.
   * Positions are suffix sums accumulated in float64 from a band's last key down to its
   * first, the very order {@link Kernels.copeBiasForward} and
   * {@link Kernels.copeBiasBackward} use. Band checks as for
   * {@link Kernels.maskedSoftmaxForward}.
   *
   * A key whose later keys' gates already sum to `P − 1` or more sits at the clamped
   * position `P − 1` whatever its own gate, and neither CoPE kernel reads that gate for
   * anything but NaN: its entry of `z` is unspecified but finite (the fast backend writes
   * 0 there instead of computing σ), unless its score is NaN. Only the gates of the other
   * keys are `σ(x)`; pass `z` on to the bias kernels unchanged.
   */
  copeGatesForward(
    z: Float32Array,
    x: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    positions: number,
    rows: number,
    cols: number,
  ): number;
  /**
   * CoPE position bias, in place on the bands of `scores (rows, cols)`: with the gates
   * `z` of {@link Kernels.copeGatesForward}, key `j` of row `r` gets the position
   * `p = min(P − 1, Σ_{m ≥ j in the band} z_m)` and
   * `scores[r, j] = scale · scores[r, j] + (1 − φ)·qe[r, ⌊p⌋] + φ·qe[r, ⌈p⌉]`, `φ = p − ⌊p⌋`.
   * `qe (rows, width)` holds each row's products with the first `width` table entries
   * (`q·E[p]`); `width` must be at least what {@link Kernels.copeGatesForward} returned,
   * and `1 ≤ width ≤ positions` (a `RangeError` otherwise). Entries outside the bands are
   * neither read nor written. A row's result depends only on that row.
   */
  copeBiasForward(
    scores: Float32Array,
    z: Float32Array,
    qe: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    scale: number,
    positions: number,
    width: number,
    rows: number,
    cols: number,
  ): void;
  /**
   * Backward of {@link Kernels.copeBiasForward} and of the gates' sigmoid. On entry
   * `dScores` holds the gradient of the biased scores on the bands; it is turned in place
   * into the gradient of the raw scores `x` of {@link Kernels.copeGatesForward}:
   * `scale · dS[r, j] + z_j(1 − z_j) · Σ_{i ≤ j, p_i ≤ P − 1} dS[r, i]·(qe[r, ⌈p_i⌉] − qe[r, ⌊p_i⌋])`
   * (a position past the clamp no longer moves with the gates). Overwrites
   * `dqe (rows, width)` with the gradient of `qe`, accumulated per row in float64.
   * Entries outside the bands are neither read nor written.
   */
  copeBiasBackward(
    dScores: Float32Array,
    dqe: Float32Array,
    z: Float32Array,
    qe: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    scale: number,
    positions: number,
    width: number,
    rows: number,
    cols: number,
  ): void;
}
