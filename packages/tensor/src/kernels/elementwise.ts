/**
 * Element-wise kernels of `Kernels`: arithmetic, row gathers and activations.
 * Conventions: see `kernels.ts`.
 *
 * @packageDocumentation
 */
/** Element-wise arithmetic, row gather/scatter and activations with their gradients. */
export interface ElementwiseKernels {
  /** `out = a + b`. `out` may alias `a` or `b`. */
  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  /** `out = a ⊙ b`. `out` may alias `a` or `b`. */
  mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  /** `out = s · a`. `out` may alias `a`. */
  scale(out: Float32Array, a: Float32Array, s: number, n: number): void;
  /** `y += alpha · x`. */
  axpy(y: Float32Array, alpha: number, x: Float32Array, n: number): void;

  // ---------------------------------------------------------------- gather
  /** Embedding lookup: `out[r] = table[ids[r]]` for `r < count`, rows of `cols`. */
  gatherRows(out: Float32Array, table: Float32Array, ids: Int32Array, count: number, cols: number): void;
  /** Embedding gradient: `dTable[ids[r]] += dOut[r]` for `r < count` (repeated ids add up). */
  scatterAddRows(dTable: Float32Array, dOut: Float32Array, ids: Int32Array, count: number, cols: number): void;

  // ---------------------------------------------------------------- activations
  /** `out = σ(x)`. `out` may alias `x`. */
  sigmoidForward(out: Float32Array, x: Float32Array, n: number): void;
  /** `dx = dy · y(1 − y)` from the output `y`. `dx` may alias `dy`. */
  sigmoidBackward(dx: Float32Array, y: Float32Array, dy: Float32Array, n: number): void;
  /** `out = x · σ(x)`. `out` may alias `x`. */
  siluForward(out: Float32Array, x: Float32Array, n: number): void;
  /** `dx = dy · σ(x)(1 + x(1 − σ(x)))` from the input `x`. `dx` may alias `dy`. */
  siluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number): void;
  /**
   * SwiGLU's gate: `out = silu(a) ⊙ b`, with `silu(a) = a·σ(a)` rounded to float32 before
   * the product (exactly `siluForward` then `mul`, in one pass). `out` may alias `a` or `b`.
   */
  swigluForward(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  /**
   * Backward of {@link ElementwiseKernels.swigluForward} from `dOut`: overwrites
   * `dB = silu(a) ⊙ dOut` and `dA = silu'(a) ⊙ (dOut ⊙ b)`, exactly as `siluForward`,
   * `mul` and `siluBackward` would, with one σ per element. `dA` or `dB` (not both) may
   * alias `dOut`.
   */
  swigluBackward(dA: Float32Array, dB: Float32Array, a: Float32Array, b: Float32Array, dOut: Float32Array, n: number): void;
  /** `out = max(x, 0)`; NaN stays NaN. `out` may alias `x`. */
  reluForward(out: Float32Array, x: Float32Array, n: number): void;
  /** `dx = dy · [x > 0]` from the input `x`. `dx` may alias `dy`. */
  reluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number): void;
}
