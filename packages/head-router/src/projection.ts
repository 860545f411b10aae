/**
 * The router's three scorings of a layer's input, as one product: shared
 * `s = softmax(x·W_sᵀ)`, routed `r = softmax(x·W_rᵀ)` and mix `α = softmax(x·W_hᵀ)`
 * (SPEC §4). Three thin products of hs, hr and 2 columns each pay a kernel call, a pass
 * over `x` and the tiles' slow narrow tails; their stacked weights make one product of
 * `E` columns, padded with zero rows to a multiple of 4 so that every tile is vector-wide.
 * On a training step at T = 80 the router is then a small share of a head's saving.
 *
 * Shapes: N rows, d model width; `w`, `dW (E, d)` rows `[W_s; W_r; W_h; 0]`;
 * `logits`, `dLogits (N, E)`; `s (N, hs)`, `r (N, hr)`, `α (N, 2)`.
 *
 * @packageDocumentation
 */
import type { Kernels, Workspace } from '@moh/tensor';
import type { RouterParams } from './params.js';

/** The stacked router product of one layer, with its scratch (reused from call to call). */
export class RouterProjection {
  /** Columns of the stacked product: hs + hr + 2, padded to a multiple of 4. */
  readonly columns: number;
  /** `(E, d)`: the stacked weights, copied at each forward (the views may move). */
  private w: Float32Array = new Float32Array(0);
  private logits: Float32Array = new Float32Array(0);
  private dLogits: Float32Array = new Float32Array(0);
  private dW: Float32Array = new Float32Array(0);

  constructor(
    private readonly kernels: Kernels,
    private readonly workspace: Workspace,
    private readonly sharedHeads: number,
    private readonly routedHeads: number,
    private readonly modelDim: number,
  ) {
    this.columns = Math.ceil((sharedHeads + routedHeads + 2) / 4) * 4;
  }

  /** Writes the probabilities `s`, `r`, `α` of `x (rows, d)`. */
  forward(s: Float32Array, r: Float32Array, alpha: Float32Array, x: Float32Array, params: RouterParams, rows: number): void {
    const { kernels, sharedHeads: hs, routedHeads: hr, modelDim: d, columns: E } = this;
    this.w = this.workspace.ensure(this.w, E * d);
    this.w.set(params.ws.subarray(0, hs * d), 0);
    this.w.set(params.wr.subarray(0, hr * d), hs * d);
    this.w.set(params.wh.subarray(0, 2 * d), (hs + hr) * d);
    this.w.fill(0, (hs + hr + 2) * d, E * d);
    if (rows === 0) return;
    this.logits = this.workspace.ensure(this.logits, rows * E);
    const logits = this.logits;
    kernels.matmulNT(logits, x, this.w, rows, d, E);
    for (let t = 0; t < rows; t++) {
      const o = t * E;
      for (let j = 0; j < hs; j++) s[t * hs + j] = logits[o + j];
      for (let j = 0; j < hr; j++) r[t * hr + j] = logits[o + hs + j];
      alpha[2 * t] = logits[o + hs + hr];
      alpha[2 * t + 1] = logits[o + hs + hr + 1];
    }
    if (hs > 0) kernels.softmaxForward(s, s, rows, hs);
    kernels.softmaxForward(r, r, rows, hr);
    kernels.softmaxForward(alpha, alpha, rows, 2);
  }

  /**
   * Backward of {@link RouterProjection.forward} from the probability gradients `dS`,
   * `dR`, `dAlpha` (overwritten with the logit gradients): `dX (+)=` the input gradient
   * (added when `accumulate`), and the weight gradients added into `grads`. With
   * `routedOnly` (binary gating, whose gates ignore `s` and `α`) `dS` and `dAlpha` are
   * not read and `W_s`, `W_h` get no gradient.
   */
  backward(
    dX: Float32Array,
    grads: RouterParams,
    dS: Float32Array,
    dR: Float32Array,
    dAlpha: Float32Array,
    x: Float32Array,
    probs: { readonly s: Float32Array; readonly r: Float32Array; readonly alpha: Float32Array },
    rows: number,
    accumulate: boolean,
    routedOnly: boolean,
  ): void {
    const { kernels, sharedHeads: hs, routedHeads: hr, modelDim: d, columns: E } = this;
    if (rows === 0) return;
    kernels.softmaxBackward(dR, probs.r, dR, rows, hr);
    if (!routedOnly) {
      if (hs > 0) kernels.softmaxBackward(dS, probs.s, dS, rows, hs);
      kernels.softmaxBackward(dAlpha, probs.alpha, dAlpha, rows, 2);
    }
    this.dLogits = this.workspace.ensure(this.dLogits, rows * E);
    const dL = this.dLogits;
    for (let t = 0; t < rows; t++) {
      const o = t * E;
      for (let j = 0; j < hs; j++) dL[o + j] = routedOnly ? 0 : dS[t * hs + j];
      for (let j = 0; j < hr; j++) dL[o + hs + j] = dR[t * hr + j];
      dL[o + hs + hr] = routedOnly ? 0 : dAlpha[2 * t];
      dL[o + hs + hr + 1] = routedOnly ? 0 : dAlpha[2 * t + 1];
      for (let j = hs + hr + 2; j < E; j++) dL[o + j] = 0;
    }
    kernels.matmul(dX, dL, this.w, rows, E, d, accumulate);
    this.dW = this.workspace.ensure(this.dW, E * d);
    kernels.matmulTN(this.dW, dL, x, E, rows, d);
    kernels.add(grads.wr, grads.wr, this.dW.subarray(hs * d), hr * d);
    if (!routedOnly) {
      if (hs > 0) kernels.add(grads.ws, grads.ws, this.dW, hs * d);
      kernels.add(grads.wh, grads.wh, this.dW.subarray((hs + hr) * d), 2 * d);
    }
  }
}
