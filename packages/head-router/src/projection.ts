/**
 * The router's three scorings of a layer's input, as one product: shared
 * `s = softmax(x·W_sᵀ)`, routed `r = softmax(x·W_rᵀ)` and mix `α = softmax(x·W_hᵀ)`
 * (SPEC §4). Three thin products of hs, hr and 2 columns each pay a kernel call, a pass
 * over `x` and the tiles' slow narrow tails; their stacked weights make one product.
 *
 * The forward computes the logits transposed, `Wᵀ`-side first: `(E, N) = W · xᵀ`. Its
 * E = hs + hr + 2 rows fill whole five-row tiles (E = 10 in the seed) and N runs along
 * the vector lanes, so no padding is needed, and `W` is read in place where the model
 * keeps `W_s`, `W_r`, `W_h` back to back in its flat parameters: this is the cheapest
 * layout at one row (a decode step) as at 80 or 1280. Every layout of the products sums
 * each element over d in the same order, so the logits have the same bits as `x · Wᵀ`.
 *
 * The backward works on `(N, E′)` logit gradients, E′ = E padded with zero columns to a
 * multiple of 4 so that its tiles are vector-wide.
 *
 * The forward's product runs inside `Kernels.headRouteProjectForward`, with the
 * softmaxes, the selection and the gates, in one call (this class supplies the stacked
 * weights and the `logitsT` buffer); the backward's `Kernels.headRouteBackward` writes
 * `dLogits` in the layout above.
 *
 * Shapes: N rows, d model width; `w (E, d)` rows `[W_s; W_r; W_h]`; `logitsT (E, N)`;
 * `dLogits (N, E′)`; `dW (E, d)`.
 *
 * @packageDocumentation
 */
import type { Kernels, Workspace } from '@moh/tensor';
import { checkRouterParams, type RouterParams } from './params.js';

/** Whether `b` starts where `a` ends, in the same buffer. */
function adjacent(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && b.byteOffset === a.byteOffset + a.byteLength;
}

/** The stacked router product of one layer, with its scratch (reused from call to call). */
export class RouterProjection {
  /** Rows of the stacked weights: E = hs + hr + 2. */
  readonly scores: number;
  /** Columns of the backward's logit gradients: E padded to a multiple of 4. */
  readonly paddedScores: number;
  /** The parameter views of the last call, and the one view spanning them (null when they are apart). */
  private seen: readonly Float32Array[] = [];
  private view: Float32Array | null = null;
  /** `(E, d)` or `(E′, d)` (zero rows past E): the stacked weights, copied. */
  private copy: Float32Array = new Float32Array(0);
  private logitsT: Float32Array = new Float32Array(0);
  private dLogits: Float32Array = new Float32Array(0);
  private dW: Float32Array = new Float32Array(0);

  constructor(
    private readonly kernels: Kernels,
    private readonly workspace: Workspace,
    private readonly sharedHeads: number,
    private readonly routedHeads: number,
    private readonly modelDim: number,
  ) {
    this.scores = sharedHeads + routedHeads + 2;
    this.paddedScores = Math.ceil(this.scores / 4) * 4;
  }

  /**
   * The stacked weights `(E, d)` of `params` as they are now: one view over the three
   * when they lie back to back in one buffer (the model's flat parameters), kept while
   * the same three views are passed; otherwise a copy, made afresh, since a caller may
   * change separate weight arrays between calls. The views are read at each call (a
   * model re-takes them after its memory grows) and checked by length: a detached view
   * has length 0.
   */
  weights(params: RouterParams): Float32Array {
    const { sharedHeads: hs, routedHeads: hr, modelDim: d } = this;
    const { ws, wr, wh } = params;
    if (ws.length !== hs * d || wr.length !== hr * d || wh.length !== 2 * d) checkRouterParams(params, 'params', hs, hr, d);
    if (ws !== this.seen[0] || wr !== this.seen[1] || wh !== this.seen[2]) {
      this.seen = [ws, wr, wh];
      const first = hs > 0 ? ws : wr;
      // Reading a typed array's `buffer` is slow enough to matter in a decode step: done only for new views.
      this.view = (hs === 0 || adjacent(ws, wr)) && adjacent(wr, wh) ? new Float32Array(first.buffer, first.byteOffset, this.scores * d) : null;
    }
    return this.view ?? this.copied(params, this.scores);
  }

  /** The stacked weights copied into a buffer of `height` rows (zero past E). */
  private copied(params: RouterParams, height: number): Float32Array {
    const { sharedHeads: hs, routedHeads: hr, modelDim: d } = this;
    this.copy = this.workspace.grow(this.copy, this.paddedScores * d);
    const w = this.copy;
    w.set(params.ws.subarray(0, hs * d), 0);
    w.set(params.wr.subarray(0, hr * d), hs * d);
    w.set(params.wh.subarray(0, 2 * d), (hs + hr) * d);
    w.fill(0, this.scores * d, height * d);
    return w;
  }

  /** Whether the last {@link RouterProjection.weights} was a view of the weights where they lie (else a copy). */
  get inPlace(): boolean {
    return this.view !== null;
  }

  /**
   * The `(E, rows)` buffer of the transposed logits (valid until the next call), which
   * `Kernels.headRouteProjectForward` fills with `w·xᵀ` for the weights of
   * {@link RouterProjection.weights} and routes in the same call.
   */
  logits(rows: number): Float32Array {
    this.logitsT = this.workspace.grow(this.logitsT, this.scores * rows);
    return this.logitsT;
  }

  /** The `(rows, E′)` buffer that `Kernels.headRouteBackward` writes the logits' gradient into, for {@link RouterProjection.backward}. */
  logitGradients(rows: number): Float32Array {
    this.dLogits = this.workspace.grow(this.dLogits, rows * this.paddedScores);
    return this.dLogits;
  }

  /**
   * Backward of {@link RouterProjection.forward} from the logits' gradient in
   * {@link RouterProjection.logitGradients}: `dX (+)=` the input gradient (added when
   * `accumulate`), and the weight gradients added into `grads`. With `routedOnly`
   * (binary gating, whose gates ignore `s` and `α`) `W_s` and `W_h` get no gradient.
   */
  backward(
    dX: Float32Array,
    grads: RouterParams,
    x: Float32Array,
    params: RouterParams,
    rows: number,
    accumulate: boolean,
    routedOnly: boolean,
  ): void {
    const { kernels, sharedHeads: hs, routedHeads: hr, modelDim: d, scores: E, paddedScores: Ep } = this;
    if (grads.ws.length !== hs * d || grads.wr.length !== hr * d || grads.wh.length !== 2 * d) checkRouterParams(grads, 'grads', hs, hr, d);
    if (rows === 0) return;
    const dL = this.dLogits;
    // dX sums over the padded E′ columns, zero weights past E included, as it always
    // has: a sum that ends in +0 terms turns a −0 into +0, so dropping them could flip
    // the sign of an exactly-zero gradient.
    kernels.matmul(dX, dL, this.copied(params, Ep), rows, Ep, d, accumulate);
    this.dW = this.workspace.grow(this.dW, E * d);
    const dW = this.dW;
    kernels.matmulTN(dW, dL, x, E, rows, d, false, Ep);
    if (routedOnly) {
      kernels.add(grads.wr, grads.wr, dW.subarray(hs * d), hr * d);
      return;
    }
    const first = hs > 0 ? grads.ws : grads.wr;
    if ((hs === 0 || adjacent(grads.ws, grads.wr)) && adjacent(grads.wr, grads.wh)) {
      const all = new Float32Array(first.buffer, first.byteOffset, E * d);
      kernels.add(all, all, dW, E * d);
      return;
    }
    if (hs > 0) kernels.add(grads.ws, grads.ws, dW, hs * d);
    kernels.add(grads.wr, grads.wr, dW.subarray(hs * d), hr * d);
    kernels.add(grads.wh, grads.wh, dW.subarray((hs + hr) * d), 2 * d);
  }
}
