/**
 * Activation buffers. Activations are plain `Float32Array`s on the JavaScript heap,
 * reused across steps while their size stays the same: only parameters and gradients
 * live in backend storage (see store.ts), so activations never go stale when the
 * backend's memory grows.
 */

/** Returns `buffer` when it has exactly `n` elements, else a fresh zeroed one. */
export function ensure(buffer: Float32Array | undefined, n: number): Float32Array {
  return buffer !== undefined && buffer.length === n ? buffer : new Float32Array(n);
}

/** `out = a + b` elementwise (plain loop: a residual add is memory-bound anyway). */
export function addInto(out: Float32Array, a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
}

/** `out += a` elementwise. */
export function accumulate(out: Float32Array, a: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] += a[i];
}
