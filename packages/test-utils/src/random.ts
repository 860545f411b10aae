/**
 * A tiny deterministic generator for tests only (mulberry32-style 32-bit mixing). It is
 * not the library's RNG and makes no statistical promises beyond "varied and repeatable";
 * keeping it here lets test data stay fixed without importing any `@moh` package.
 *
 * @packageDocumentation
 */

/**
 * Returns a function yielding repeatable pseudo-random numbers in `[0, 1)` for `seed`.
 * Test-only: use `@moh/tensor`'s RNG in library code.
 *
 * @example
 * ```ts
 * const next = testRandom(7);
 * const u = next(); // the same value on every run
 * ```
 */
export function testRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` repeatable values uniform in `[−scale, scale)`, as a `Float32Array` (the kernels'
 * element type). Test-only.
 *
 * @example
 * ```ts
 * const x = seededValues(1, 12, 0.5); // 12 values in [−0.5, 0.5)
 * ```
 */
export function seededValues(seed: number, n: number, scale = 1): Float32Array {
  const next = testRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * next() - 1) * scale;
  return out;
}

/** `n` repeatable integers uniform in `[lo, hi)`, as an `Int32Array` (index lists, targets). Test-only. */
export function seededInts(seed: number, n: number, lo: number, hi: number): Int32Array {
  const next = testRandom(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(next() * (hi - lo));
  return out;
}
