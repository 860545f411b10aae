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
  loadBalanceLoss,
  loadBalanceLossBackward,
  routingStats,
  topKExperts,
} from '@moh/routing';
import { Workspace, type Kernels } from '@moh/tensor';
import type { HeadSelection, MixtureOfHeadsSelection } from './config.js';
import { headGatesBackward, headGatesForward } from './gating.js';
import { checkRouterParams, type RouterParams } from './params.js';
import type { HeadRouting, HeadRoutingStats, RouterProbabilities } from './routing.js';
import { RouterProjection } from './projection.js';
import { checkHeadSelection, constantRouting, everyRow } from './selection.js';

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
  /** `(hr)`: the load-balance terms f and P of the last routing (f is kept for the backward). */
  private fraction = new Float64Array(0);
  private meanProb = new Float64Array(0);
  /** `(rows·k)`: the routed heads' row lists, head after head. */
  private routedRows: Int32Array = new Int32Array(0);
  private constant: HeadRouting | null = null;
  /** The stacked product of the three scorings (mixture of heads). */
  private readonly projection: RouterProjection | null;

  /**
   * @param selection - Which heads each token uses.
   * @param modelDim - d, the width of the attention input.
   * @param heads - H, the query heads.
   * @param kernels - The backend whose kernels compute the router.
   * @param params - `mixtureOfHeads` only: views of `ws (hs, d)`, `wr (hr, d)`, `wh (2, d)`.
   * @param grads - `mixtureOfHeads` only: the mirrored gradient views; omit for inference.
   * @param workspace - Where the router keeps its buffers (reused from call to call); pass
   *   the model's so the kernels read them in place. Defaults to ordinary arrays.
   */
  private last: HeadRouting | null = null;
  /** Reused buffers of the mixture path (see {@link MixtureState}), and of the backward. */
  private readonly buffers: Record<'x' | 's' | 'r' | 'alpha' | 'values' | 'base' | 'gates' | 'dX' | 'dS' | 'dR' | 'dAlpha', Float32Array>;
  private indices: Int32Array = new Int32Array(0);
  /** The shared heads' row list `0 … rows−1` (mixture of heads). */
  private allRows: Int32Array = new Int32Array(0);
  private readonly workspace: Workspace;

  constructor(
    selection: HeadSelection,
    modelDim: number,
    heads: number,
    kernels: Kernels,
    params?: RouterParams,
    grads?: RouterParams,
    workspace: Workspace = new Workspace(),
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
    this.workspace = workspace;
    this.projection = moh ? new RouterProjection(kernels, workspace, this.sharedHeads, this.routedHeads, modelDim) : null;
    const empty = new Float32Array(0);
    this.buffers = { x: empty, s: empty, r: empty, alpha: empty, values: empty, base: empty, gates: empty, dX: empty, dS: empty, dR: empty, dAlpha: empty };
  }

  /** Returns a constant routing's arrays to the workspace. */
  private releaseRouting(routing: HeadRouting | null): void {
    if (routing === null) return;
    this.workspace.release(routing.gates);
    this.workspace.release(routing.activeRows[0]);
  }

  /** The reused buffer `name`, with exactly `n` elements (zeroed when it is new). */
  private buffer(name: keyof HeadRouter['buffers'], n: number): Float32Array {
    this.buffers[name] = this.workspace.ensure(this.buffers[name], n);
    return this.buffers[name];
  }

  /**
   * Routes `rows` rows of `x (rows, d)`: the gates `(rows, H)` and each head's active
   * rows. Keeps what {@link HeadRouter.backward} needs: a copy of `x`, so the caller may
   * reuse its buffer, unless `inputKept` promises that `x` stays unchanged until the
   * backward (a model's blocks keep their inputs anyway). The routing's arrays are the router's own, valid until the next
   * call (a constant routing is returned again while `rows` stays the same).
   */
  route(x: Float32Array, rows: number, inputKept = false): HeadRouting {
    const routing = this.routeRows(x, rows, inputKept);
    this.last = routing;
    return routing;
  }

  /** The routing returned by the last {@link HeadRouter.route} call, or null before the first (telemetry, inspection). */
  get lastRouting(): HeadRouting | null {
    return this.last;
  }

  private routeRows(x: Float32Array, rows: number, inputKept: boolean): HeadRouting {
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be an integer ≥ 0, got ${rows}`);
    if (x.length < rows * this.modelDim) {
      throw new RangeError(`x must hold rows·d = ${rows * this.modelDim} values, got ${x.length}`);
    }
    const selection = this.selection;
    if (selection.kind !== 'mixtureOfHeads') {
      const active = selection.kind === 'allHeads' ? this.heads : selection.activeHeads;
      if (this.constant === null || this.constant.rows !== rows) {
        this.releaseRouting(this.constant);
        this.constant = constantRouting(active, rows, this.heads, this.workspace);
      }
      this.mixture = null;
      return this.constant;
    }
    this.constant = null;
    let input = x.subarray(0, rows * this.modelDim);
    if (!inputKept) {
      input = this.buffer('x', rows * this.modelDim);
      input.set(x.subarray(0, rows * this.modelDim));
    }
    this.mixture = this.routeMixture(selection, input, rows);
    return this.mixture.routing;
  }

  private routeMixture(selection: MixtureOfHeadsSelection, x: Float32Array, rows: number): MixtureState {
    const params = this.requireParams();
    const { kernels, heads: H, sharedHeads: hs, routedHeads: hr, activeRoutedHeads: k } = this;
    const s = this.buffer('s', rows * hs);
    const r = this.buffer('r', rows * hr);
    const alpha = this.buffer('alpha', rows * 2);
    (this.projection as RouterProjection).forward(s, r, alpha, x, params, rows);
    this.indices = this.workspace.growInt32(this.indices, rows * k);
    const indices = this.indices.subarray(0, rows * k);
    topKExperts(kernels, indices, this.buffer('values', rows * k), r, rows, hr, k);
    const base = this.buffer('base', rows * hr);
    const gates = this.buffer('gates', rows * H);
    headGatesForward(gates, base, { s, r, alpha, indices }, selection.gating, rows, hs, hr, k);
    if (this.fraction.length !== hr) {
      this.fraction = new Float64Array(hr);
      this.meanProb = new Float64Array(hr);
    }
    const fraction = this.fraction;
    const balanceLoss = loadBalanceLoss(fraction, this.meanProb, r, indices, rows, hr, k);
    if (this.allRows.length !== rows) {
      this.workspace.release(this.allRows);
      this.allRows = everyRow(rows, this.workspace);
    }
    // Row lists as views of one workspace buffer: kernels read them in place, and a
    // decode step allocates no arrays for them.
    this.routedRows = this.workspace.growInt32(this.routedRows, rows * k);
    const routed = expertRows(indices, rows, hr, k, this.routedRows);
    const activeRows = Array.from({ length: H }, (_, h) => (h < hs ? this.allRows : routed[h - hs]));
    const routing: HeadRouting = { heads: H, rows, gates, activeRows };
    return { rows, x, s, r, alpha, indices, base, fraction, balanceLoss, routing };
  }

  /**
   * Backward of the last {@link HeadRouter.route}. Returns `dX (rows, d)`, its share of
   * the gradient of its input (the router's own buffer, valid until the next call, or
   * `into`), and adds the weight gradients into the gradient views: those of `Σ dGates ⊙ gates` plus `balanceScale · ∂L_b/∂W`
   * (through the mean probabilities only). Pass `balanceScale = β / L · dLoss`.
   * Routers without parameters return zeros.
   *
   * @param dGates - `(rows, H)`: gradient of the loss with respect to the gates.
   * @param balanceScale - Gradient of the loss with respect to this layer's `L_b`.
   * @param into - When given, `(rows, d)`: the input gradient is added into it (and it is
   *   returned) instead of being written to a buffer of the router's own; routers
   *   without parameters then touch nothing.
   */
  backward(dGates: Float32Array, balanceScale: number, into?: Float32Array): Float32Array {
    const state = this.mixture;
    const rows = state?.rows ?? this.constant?.rows;
    if (rows === undefined) throw new Error('HeadRouter.backward called before route');
    if (dGates.length < rows * this.heads) {
      throw new RangeError(`dGates must hold rows·H = ${rows * this.heads} values, got ${dGates.length}`);
    }
    const accumulate = into !== undefined;
    if (into !== undefined && into.length < rows * this.modelDim) {
      throw new RangeError(`into must hold rows·d = ${rows * this.modelDim} values, got ${into.length}`);
    }
    const dX = into ?? this.buffer('dX', rows * this.modelDim);
    if (state === null || this.selection.kind !== 'mixtureOfHeads') {
      if (!accumulate) dX.fill(0);
      return dX;
    }
    this.requireParams();
    const grads = this.grads;
    if (grads === undefined) throw new Error('this router was built without gradient views (inference only)');
    checkRouterParams(grads, 'grads', this.sharedHeads, this.routedHeads, this.modelDim);
    const { sharedHeads: hs, routedHeads: hr, activeRoutedHeads: k } = this;
    const gating = this.selection.gating;
    const dS = this.buffer('dS', rows * hs);
    const dR = this.buffer('dR', rows * hr);
    const dAlpha = this.buffer('dAlpha', rows * 2);
    headGatesBackward(dS, dR, dAlpha, dGates, state, state.base, gating, rows, hs, hr, k);
    if (balanceScale !== 0) loadBalanceLossBackward(dR, state.fraction, balanceScale, rows, hr, true);
    // Binary gates do not depend on s or α: their weights get no gradient.
    (this.projection as RouterProjection).backward(dX, grads, dS, dR, dAlpha, state.x, state, rows, accumulate, gating === 'binary');
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
