/**
 * Small array helpers for writing float64 reference computations in tests.
 *
 * @packageDocumentation
 */

/** A float64 copy of any numeric array, for writing float64 reference computations. */
export function toFloat64(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x);
}

/** `Σ a_i b_i` in float64: the usual scalar loss `L = Σ w ⊙ y` of a gradient check. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dot: lengths differ (${a.length} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
