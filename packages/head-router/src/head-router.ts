/**
 * The head router of one layer: reads the attention input X and decides, per token,
 * which query heads run and with what gate (SPEC §4).
 *
 * Shapes: N rows (B·T tokens), d model width, H query heads, hs shared heads,
 * hr = H − hs routed heads, k routed heads active per row. `x`, `dX (N, d)`;
 * `gates`, `dGates (N, H)`; weights as in {@link RouterParams}.
 *
 * Gradients: `backward` overwrites and returns `dX` and accumulates (`+=`) the weight
 * gradients into the gradient views; the trainer clears those once per step.
 *
 * @packageDocumentation
 */
import {
  expertRows,
  linearRouterBackward,
  linearRouterForward,
  loadBalanceLoss,
  loadBalanceLossBackward,
  routingStats,
  topKExperts,
} from '@moh/routing';
import type { Kernels } from '@moh/tensor';
import type { HeadSelection, MixtureOfHeadsSelection } from './config.js';
import { headGatesBackward, headGatesForward } from './gating.js';
import { checkRouterParams, type RouterParams } from './params.js';
import type { HeadRouting, HeadRoutingStats, RouterProbabilities } from './routing.js';
import { checkHeadSelection, constantRouting } from './selection.js';

/** What one Mixture-of-Heads forward pass keeps for its backward. */
interface MixtureState {
  readonly rows: number;
  /** `(N, d)` a copy of the input: the caller may reuse its buffer before the backward. */
  readonly x: Float32Array;
  /** `(N, hs)`, `(N, hr)`, `(N, 2)`, `(N, k)`. */
  readonly s: Float32Array;
  readonly r: Float32Array;
  readonly alpha: Float32Array;
  readonly indices: Int32Array;
  /** `(N, hr)` the routed factor of the gates (see gating.ts). */
  readonly base: Float32Array;
  /** `(hr)` f_j, the share of rows that selected routed head j. */
  readonly fraction: Float64Array;
  readonly balanceLoss: number;
  readonly routing: HeadRouting;
}

/**
 * A layer's head router. `allHeads` and `staticPruning` have no parameters and
 * constant gates; `mixtureOfHeads` scores heads with `ws`, `wr`, `wh` and learns through
 * the gates and the load-balance loss.
 *
 * @example
 * ```ts
 * import { referenceBackend } from '@moh/tensor';
 * const d = 4;
 * const params = { ws: new Float32Array(1 * d), wr: new Float32Array(3 * d), wh: new Float32Array(2 * d) };
 * const grads = { ws: new Float32Array(1 * d), wr: new Float32Array(3 * d), wh: new Float32Array(2 * d) };
 * const selection = { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2, loadBalanceWeight: 0.01, gating: 'scaled' } as const;
 * const router = new HeadRouter(selection, d, 4, referenceBackend(), params, grads);
 * const routing = router.route(new Float32Array(2 * d), 2); // zero weights: every active gate is 1
 * const dX = router.backward(new Float32Array(2 * 4).fill(1), 0.01 / 3);
 * ```
 */
export class HeadRouter {
  /** The head selection this router implements. */
  readonly selection: HeadSelection;
  /** Model width d. */
  readonly modelDim: number;
  /** Query heads H. */
  readonly heads: number;
  /** Shared heads hs (0 unless mixture of heads). */
  readonly sharedHeads: number;
  /** Routed heads hr = H − hs (0 unless mixture of heads). */
  readonly routedHeads: number;
  /** Routed heads active per row, k (0 unless mixture of heads). */
  readonly activeRoutedHeads: number;
  private readonly kernels: Kernels;
  private readonly params: RouterParams | undefined;
  private readonly grads: RouterParams | undefined;
  private mixture: MixtureState | null = null;
  private constant: HeadRouting | null = null;

  /**
   * @param selection - Which heads each token uses.
   * @param modelDim - d, the width of the attention input.
   * @param heads - H, the query heads.
   * @param kernels - The backend whose kernels compute the router.
   * @param params - `mixtureOfHeads` only: views of `ws (hs, d)`, `wr (hr, d)`, `wh (2, d)`.
   * @param grads - `mixtureOfHeads` only: the mirrored gradient views; omit for inference.
   */
  private last: HeadRouting | null = null;

  constructor(
    selection: HeadSelection,
    modelDim: number,
    heads: number,
    kernels: Kernels,
    params?: RouterParams,
    grads?: RouterParams,
  ) {
    checkHeadSelection(selection, heads);
    if (!Number.isInteger(modelDim) || modelDim < 1) throw new RangeError(`modelDim must be an integer ≥ 1, got ${modelDim}`);
    this.selection = selection;
    this.modelDim = modelDim;
    this.heads = heads;
    this.kernels = kernels;
    const moh = selection.kind === 'mixtureOfHeads';
    this.sharedHeads = moh ? selection.sharedHeads : 0;
    this.routedHeads = moh ? heads - selection.sharedHeads : 0;
    this.activeRoutedHeads = moh ? selection.activeRoutedHeads : 0;
    if (moh) {
      if (params === undefined) throw new RangeError('a mixtureOfHeads router needs its parameter views (ws, wr, wh)');
      checkRouterParams(params, 'params', this.sharedHeads, this.routedHeads, modelDim);
      if (grads !== undefined) checkRouterParams(grads, 'grads', this.sharedHeads, this.routedHeads, modelDim);
    } else if (params !== undefined || grads !== undefined) {
      throw new RangeError(`a ${selection.kind} router has no parameters; pass none`);
    }
    this.params = params;
    this.grads = grads;
  }

  /**
   * Routes `rows` rows of `x (rows, d)`: the gates `(rows, H)` and each head's active
   * rows. Keeps what {@link HeadRouter.backward} needs (a copy of `x`, so the caller may
   * reuse its buffer). Every call returns fresh arrays.
   */
  route(x: Float32Array, rows: number): HeadRouting {
    const routing = this.routeRows(x, rows);
    this.last = routing;
    return routing;
  }

  /** The routing returned by the last {@link HeadRouter.route} call, or null before the first (telemetry, inspection). */
  get lastRouting(): HeadRouting | null {
    return this.last;
  }

  private routeRows(x: Float32Array, rows: number): HeadRouting {
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be an integer ≥ 0, got ${rows}`);
    if (x.length < rows * this.modelDim) {
      throw new RangeError(`x must hold rows·d = ${rows * this.modelDim} values, got ${x.length}`);
    }
    const selection = this.selection;
    if (selection.kind !== 'mixtureOfHeads') {
      const active = selection.kind === 'allHeads' ? this.heads : selection.activeHeads;
      this.constant = constantRouting(active, rows, this.heads);
      this.mixture = null;
      return this.constant;
    }
    this.constant = null;
    this.mixture = this.routeMixture(selection, x.slice(0, rows * this.modelDim), rows);
    return this.mixture.routing;
  }

  private routeMixture(selection: MixtureOfHeadsSelection, x: Float32Array, rows: number): MixtureState {
    const params = this.requireParams();
    const { kernels, modelDim: d, heads: H, sharedHeads: hs, routedHeads: hr, activeRoutedHeads: k } = this;
    const s = new Float32Array(rows * hs);
    const r = new Float32Array(rows * hr);
    const alpha = new Float32Array(rows * 2);
    linearRouterForward(kernels, s, x, params.ws, rows, d, hs);
    linearRouterForward(kernels, r, x, params.wr, rows, d, hr);
    linearRouterForward(kernels, alpha, x, params.wh, rows, d, 2);
    const indices = new Int32Array(rows * k);
    topKExperts(kernels, indices, new Float32Array(rows * k), r, rows, hr, k);
    const base = new Float32Array(rows * hr);
    const gates = new Float32Array(rows * H);
    headGatesForward(gates, base, { s, r, alpha, indices }, selection.gating, rows, hs, hr, k);
    const fraction = new Float64Array(hr);
    const balanceLoss = loadBalanceLoss(fraction, new Float64Array(hr), r, indices, rows, hr, k);
    const everyRow = (): Int32Array => Int32Array.from({ length: rows }, (_, t) => t);
    const routed = expertRows(indices, rows, hr, k);
    const activeRows = Array.from({ length: H }, (_, h) => (h < hs ? everyRow() : routed[h - hs]));
    const routing: HeadRouting = { heads: H, rows, gates, activeRows };
    return { rows, x, s, r, alpha, indices, base, fraction, balanceLoss, routing };
  }

  /**
   * Backward of the last {@link HeadRouter.route}. Returns `dX (rows, d)` (a fresh array:
   * the router's share of the gradient of its input) and adds the weight gradients into
   * the gradient views: those of `Σ dGates ⊙ gates` plus `balanceScale · ∂L_b/∂W`
   * (through the mean probabilities only). Pass `balanceScale = β / L · dLoss`.
   * Routers without parameters return zeros.
   *
   * @param dGates - `(rows, H)`: gradient of the loss with respect to the gates.
   * @param balanceScale - Gradient of the loss with respect to this layer's `L_b`.
   */
  backward(dGates: Float32Array, balanceScale: number): Float32Array {
    const state = this.mixture;
    const rows = state?.rows ?? this.constant?.rows;
    if (rows === undefined) throw new Error('HeadRouter.backward called before route');
    if (dGates.length < rows * this.heads) {
      throw new RangeError(`dGates must hold rows·H = ${rows * this.heads} values, got ${dGates.length}`);
    }
    const dX = new Float32Array(rows * this.modelDim);
    if (state === null || this.selection.kind !== 'mixtureOfHeads') return dX;
    const params = this.requireParams();
    const grads = this.grads;
    if (grads === undefined) throw new Error('this router was built without gradient views (inference only)');
    checkRouterParams(grads, 'grads', this.sharedHeads, this.routedHeads, this.modelDim);
    const { kernels, modelDim: d, sharedHeads: hs, routedHeads: hr, activeRoutedHeads: k } = this;
    const gating = this.selection.gating;
    const dS = new Float32Array(rows * hs);
    const dR = new Float32Array(rows * hr);
    const dAlpha = new Float32Array(rows * 2);
    headGatesBackward(dS, dR, dAlpha, dGates, state, state.base, gating, rows, hs, hr, k);
    if (balanceScale !== 0) loadBalanceLossBackward(dR, state.fraction, balanceScale, rows, hr, true);
    // Each softmax's logit gradient overwrites its probability gradient in place.
    linearRouterBackward(kernels, dX, grads.wr, dR, state.x, params.wr, state.r, dR, rows, d, hr);
    if (gating !== 'binary') {
      // binary gates do not depend on s or α: their weights get no gradient.
      linearRouterBackward(kernels, dX, grads.ws, dS, state.x, params.ws, state.s, dS, rows, d, hs, true);
      linearRouterBackward(kernels, dX, grads.wh, dAlpha, state.x, params.wh, state.alpha, dAlpha, rows, d, 2, true);
    }
    return dX;
  }

  /** The load-balance loss `L_b` of the last forward pass; 0 without routed heads or rows. */
  get balanceLoss(): number {
    return this.mixture?.balanceLoss ?? 0;
  }

  /** The probabilities and selection of the last Mixture-of-Heads forward pass, or null. */
  get probabilities(): RouterProbabilities | null {
    const m = this.mixture;
    return m === null ? null : { shared: m.s, routed: m.r, mix: m.alpha, selected: m.indices };
  }

  /** Telemetry of the last forward pass: head load, mean gates, `L_b`, `L_b / k`, entropy. */
  stats(): HeadRoutingStats {
    const routing = this.mixture?.routing ?? this.constant;
    if (routing === null) throw new Error('HeadRouter.stats called before route');
    const { rows, heads: H, gates } = routing;
    const load = new Float64Array(H);
    const meanGate = new Float64Array(H);
    for (let h = 0; h < H; h++) {
      load[h] = rows === 0 ? 0 : routing.activeRows[h].length / rows;
      for (let t = 0; t < rows; t++) meanGate[h] += gates[t * H + h];
      if (rows > 0) meanGate[h] /= rows;
    }
    const m = this.mixture;
    if (m === null) return { load, meanGate, balanceLoss: 0, balanceRatio: 1, entropy: 0 };
    const routed = routingStats(m.r, m.base, m.indices, rows, this.routedHeads, this.activeRoutedHeads);
    return { load, meanGate, balanceLoss: routed.balanceLoss, balanceRatio: routed.balanceRatio, entropy: routed.entropy };
  }

  private requireParams(): RouterParams {
    const params = this.params;
    if (params === undefined) throw new Error('this router has no parameters');
    checkRouterParams(params, 'params', this.sharedHeads, this.routedHeads, this.modelDim);
    return params;
  }
}
