/**
 * Benchmark plumbing: resident buffers, a timer robust to this shared machine's noise,
 * and float64 checks run before anything is timed.
 */
import type { Rng } from '../src/index.js';

/** Fills `out` with uniform values in [−scale, scale) from `rng`. */
export function fillUniform(out: Float32Array, rng: Rng, scale = 1): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = scale * (rng.uniform() * 2 - 1);
  return out;
}

/**
 * Seconds per call: the fastest of `samples` timed batches, each batch long enough
 * (≥ 2 ms) for the timer to resolve. The minimum is the stable statistic on a shared
 * machine whose speed swings under load; every variant is measured the same way.
 */
export function secondsPerCall(fn: () => void, samples = 15): number {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    if (performance.now() - t0 >= 2) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return best;
}

/** Throws when `actual` differs from the float64 `expected` by more than `atol + rtol·|e|` anywhere. */
export function assertClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${label}: element ${i} is ${a}, expected ${e} (atol ${atol}, rtol ${rtol}). Not timing a wrong kernel.`);
    }
  }
}

/** Formats rows as an aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
