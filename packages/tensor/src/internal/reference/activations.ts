/**
 * Reference activations, each forward beside its backward.
 *
 * Shapes: flat buffers of `n` elements. Backwards overwrite `dx` (activation gradients)
 * and may alias `dx` with `dy`: each index is read before it is written.
 *
 * @packageDocumentation
 */

/** The logistic function; `1 / (1 + e^−x)` saturates to exactly 0 or 1 without overflow trouble. */
function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** `out = σ(x)`. `out` may alias `x`. */
export function sigmoidForward(out: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]);
}

/** `dx = dy · y(1 − y)` from the output `y`. */
export function sigmoidBackward(dx: Float32Array, y: Float32Array, dy: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = y[i];
    dx[i] = dy[i] * s * (1 - s);
  }
}

/** `out = x · σ(x)`. `out` may alias `x`. */
export function siluForward(out: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = v * sigmoid(v);
  }
}

/** `dx = dy · σ(x)(1 + x(1 − σ(x)))` from the input `x`. */
export function siluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const s = sigmoid(v);
    dx[i] = dy[i] * s * (1 + v * (1 - s));
  }
}

/** `out = silu(a) · b`, silu rounded to float32 first (as `siluForward` then `mul`). */
export function swigluForward(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = a[i];
    out[i] = Math.fround(v * sigmoid(v)) * b[i];
  }
}

/** `dB = silu(a) · dOut`, `dA = σ(a)(1 + a(1 − σ(a))) · (dOut · b)`, each factor rounded as the unfused kernels round it. */
export function swigluBackward(dA: Float32Array, dB: Float32Array, a: Float32Array, b: Float32Array, dOut: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = a[i];
    const s = sigmoid(v);
    const g = dOut[i];
    const t = Math.fround(g * b[i]);
    dB[i] = Math.fround(v * s) * g;
    dA[i] = t * s * (1 + v * (1 - s));
  }
}

/** `out = max(x, 0)`; `Math.max` keeps NaN as NaN. `out` may alias `x`. */
export function reluForward(out: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = Math.max(x[i], 0);
}

/** `dx = dy · [x > 0]` from the input `x`. */
export function reluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}
