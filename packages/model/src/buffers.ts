/**
 * Residual-stream helpers. Activation buffers themselves come from the model's
 * `Workspace` (`@moh/tensor`): backend storage where its views are stable, so the fast
 * kernels read them in place, reused across steps while their size stays the same.
 */

/** `out = a + b` elementwise (plain loop: a residual add is memory-bound anyway). */
export function addInto(out: Float32Array, a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
}

/** `out += a` elementwise. */
export function accumulate(out: Float32Array, a: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] += a[i];
}
