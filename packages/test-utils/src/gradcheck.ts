/**
 * `gradcheck`: compares analytic gradients with central finite differences.
 *
 * For each checked element `x_i` of each named input, the numeric derivative is
 * `(L(x + h·e_i) − L(x − h·e_i)) / (x⁺_i − x⁻_i)`, where `x⁺_i`, `x⁻_i` are the values
 * actually stored: in a `Float32Array`, `x + h` rounds, and dividing by the stored step
 * rather than by `2h` removes that rounding from the estimate. The loss is a plain JS
 * number, so it is evaluated in float64 however the kernels under test compute.
 *
 * @packageDocumentation
 */
import { isClose, type Tolerance } from './expect-close.js';
import { testRandom } from './random.js';

/** An input that gradcheck perturbs in place (and restores exactly). */
export type GradInput = Float32Array | Float64Array;

/** How to perturb and how close the two gradients must be. */
export interface GradcheckOptions extends Tolerance {
  /** Finite-difference step. About `1e-2`–`1e-3` for float32 kernels, `1e-6` for float64. */
  readonly h: number;
  /**
   * Check at most this many elements per input: a seeded random subset when an input is
   * larger. Defaults to 256.
   */
  readonly maxElements?: number;
  /** Seed of the subset choice. Defaults to 1. */
  readonly seed?: number;
  /** Names the check in failure messages. */
  readonly label?: string;
}

/**
 * Settings for float32 kernels: `h = 1e-2` keeps float32 rounding of the outputs
 * (relative 6e-8) well below the difference being measured; the tolerance allows the
 * resulting ~1e-4 noise plus O(h²) truncation.
 */
export const FLOAT32_GRADCHECK: GradcheckOptions = { h: 1e-2, atol: 2e-3, rtol: 2e-2 };

/** Settings for float64 reference code: `h = 1e-6` balances truncation (h²) and rounding (ε/h). */
export const FLOAT64_GRADCHECK: GradcheckOptions = { h: 1e-6, atol: 1e-7, rtol: 1e-5 };

/** One compared element. */
export interface GradcheckEntry {
  /** Name of the input, a key of the `inputs` record. */
  readonly input: string;
  /** Flat index in that input. */
  readonly index: number;
  /** The gradient under test. */
  readonly analytic: number;
  /** The central-difference estimate. */
  readonly numeric: number;
  /** `|analytic − numeric|`. */
  readonly error: number;
  /** `atol + rtol · |numeric|`: the error allowed here. */
  readonly allowed: number;
}

/** The outcome of a gradient check. */
export interface GradcheckReport {
  /** Whether every checked element matched. */
  readonly ok: boolean;
  /** Number of elements compared, over all inputs. */
  readonly checked: number;
  /** Number of elements that did not match. */
  readonly failures: number;
  /** The element with the largest `error / allowed` (even when all passed); null if none was checked. */
  readonly worst: GradcheckEntry | null;
}

/** The flat indices to check: all of them, or a seeded sorted random subset of `limit`. */
function chooseIndices(length: number, limit: number, next: () => number): number[] {
  const all = Array.from({ length }, (_, i) => i);
  if (length <= limit) return all;
  // Partial Fisher–Yates: the first `limit` slots become a uniform random subset.
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(next() * (length - i));
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, limit).sort((a, b) => a - b);
}

/**
 * Runs the gradient check and returns a report without throwing. `loss` must read the
 * arrays of `inputs` (it receives them); only the inputs named in `analytic` are
 * checked, so fixed inputs need no gradient.
 */
export function gradcheckReport<I extends Record<string, GradInput>>(
  loss: (inputs: I) => number,
  inputs: I,
  analytic: Partial<Record<keyof I & string, ArrayLike<number>>>,
  options: GradcheckOptions,
): GradcheckReport {
  const { h, maxElements = 256, seed = 1 } = options;
  const next = testRandom(seed);
  let checked = 0;
  let failures = 0;
  let worst: GradcheckEntry | null = null;
  let worstRatio = -1;
  for (const name of Object.keys(analytic) as (keyof I & string)[]) {
    const grad = analytic[name];
    const x = inputs[name];
    if (grad === undefined) continue;
    if (x === undefined) throw new Error(`gradcheck: analytic gradient "${name}" names no input`);
    if (grad.length !== x.length) {
      throw new Error(`gradcheck: gradient "${name}" has length ${grad.length}, input has ${x.length}`);
    }
    for (const i of chooseIndices(x.length, maxElements, next)) {
      const original = x[i];
      x[i] = original + h;
      const up = x[i];
      const lossUp = loss(inputs);
      x[i] = original - h;
      const down = x[i];
      const lossDown = loss(inputs);
      x[i] = original;
      const numeric = (lossUp - lossDown) / (up - down);
      const entry: GradcheckEntry = {
        input: name,
        index: i,
        analytic: grad[i],
        numeric,
        error: Math.abs(grad[i] - numeric),
        allowed: options.atol + options.rtol * Math.abs(numeric),
      };
      const pass = isClose(entry.analytic, numeric, options);
      const ratio = pass ? entry.error / entry.allowed : Infinity;
      checked++;
      if (!pass) failures++;
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = entry;
      }
    }
  }
  return { ok: failures === 0, checked, failures, worst };
}

/**
 * Checks analytic gradients of a scalar `loss` against central differences, and throws
 * when any checked element differs by more than `atol + rtol · |numeric|`; the message
 * names the input and index of the worst mismatch. Returns the report when all match.
 *
 * Inputs are perturbed in place and restored exactly, so `loss` should recompute from
 * them each call (run the forward kernels inside it). A common loss is `Σ w ⊙ y` with
 * fixed random `w`, whose gradient with respect to `y` is `w` (see `dot`).
 *
 * @example
 * ```ts
 * const x = seededValues(1, 5);
 * const w = seededValues(2, 5);
 * // L = Σ w·x², so dL/dx = 2·w·x
 * const dx = x.map((v, i) => 2 * w[i] * v);
 * gradcheck(({ x }) => dot(w, x.map((v) => v * v)), { x }, { x: dx }, FLOAT32_GRADCHECK);
 * ```
 */
export function gradcheck<I extends Record<string, GradInput>>(
  loss: (inputs: I) => number,
  inputs: I,
  analytic: Partial<Record<keyof I & string, ArrayLike<number>>>,
  options: GradcheckOptions,
): GradcheckReport {
  const report = gradcheckReport(loss, inputs, analytic, options);
  if (!report.ok && report.worst !== null) {
    const w = report.worst;
    const label = options.label === undefined ? 'gradcheck' : `gradcheck ${options.label}`;
    throw new Error(
      `${label}: ${report.failures} of ${report.checked} checked element(s) mismatch; worst at input "${w.input}" ` +
        `index ${w.index}: analytic ${w.analytic}, numeric ${w.numeric}, |diff| ${w.error} > allowed ${w.allowed} ` +
        `(h ${options.h}, atol ${options.atol}, rtol ${options.rtol})`,
    );
  }
  return report;
}
