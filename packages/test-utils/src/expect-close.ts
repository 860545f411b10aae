/**
 * `expectClose`: elementwise closeness with an absolute and a relative tolerance.
 *
 * @packageDocumentation
 */

/** Allowed error `atol + rtol · |expected|` per element. */
export interface Tolerance {
  /** Absolute tolerance. */
  readonly atol: number;
  /** Relative tolerance, scaled by the magnitude of the expected value. */
  readonly rtol: number;
}

/** A number or any array-like of numbers (plain arrays, typed arrays). */
export type Numeric = number | ArrayLike<number>;

/** Formats a number compactly but exactly enough to see float32 differences. */
function fmt(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v.toPrecision(9);
}

/**
 * Whether `actual` is within `atol + rtol · |expected|` of `expected`. NaN matches only
 * NaN; infinities match only the same infinity.
 */
export function isClose(actual: number, expected: number, tolerance: Tolerance): boolean {
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Number.isNaN(actual) && Number.isNaN(expected);
  if (actual === expected) return true; // covers equal infinities
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return false; // rtol·∞ would accept anything
  return Math.abs(actual - expected) <= tolerance.atol + tolerance.rtol * Math.abs(expected);
}

/**
 * Asserts that `actual` matches `expected` elementwise within `tolerance`
 * (`|a − e| ≤ atol + rtol · |e|`). Lengths must agree; NaN equals NaN only when both
 * are NaN. On failure throws an `Error` naming the label, the first failing index, both
 * values, the allowed error and how many elements failed.
 *
 * @example
 * ```ts
 * expectClose(new Float32Array([1, 2]), [1, 2.000001], { atol: 1e-6, rtol: 1e-5 }, 'matmul');
 * ```
 */
export function expectClose(actual: Numeric, expected: Numeric, tolerance: Tolerance, label = 'value'): void {
  const a: ArrayLike<number> = typeof actual === 'number' ? [actual] : actual;
  const e: ArrayLike<number> = typeof expected === 'number' ? [expected] : expected;
  if ((typeof actual === 'number') !== (typeof expected === 'number')) {
    throw new Error(`${label}: comparing a number with an array`);
  }
  if (a.length !== e.length) {
    throw new Error(`${label}: length ${a.length} differs from expected length ${e.length}`);
  }
  let failures = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!isClose(a[i], e[i], tolerance)) {
      if (first < 0) first = i;
      failures++;
    }
  }
  if (failures === 0) return;
  const allowed = tolerance.atol + tolerance.rtol * Math.abs(e[first]);
  const where = typeof actual === 'number' ? '' : ` at index ${first}`;
  throw new Error(
    `${label}: ${failures} of ${a.length} element(s) not close; first${where}: ` +
      `actual ${fmt(a[first])}, expected ${fmt(e[first])}, |diff| ${fmt(Math.abs(a[first] - e[first]))} > ` +
      `allowed ${fmt(allowed)} (atol ${tolerance.atol}, rtol ${tolerance.rtol})`,
  );
}
