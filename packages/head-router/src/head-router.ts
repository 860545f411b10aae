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
import { routingStats } from '@moh/routing';
import { Workspace, type Kernels } from '@moh/tensor';
import type { HeadSelection } from './config.js';
import { MixtureRouter } from './mixture.js';
import { checkRouterParams, type RouterParams } from './params.js';
import type { HeadRouting, HeadRoutingStats, RouterProbabilities } from './routing.js';
import { checkHeadSelection, constantRouting } from './selection.js';

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
  /** The Mixture-of-Heads forward and backward; null for the parameter-free selections. */
  private readonly mixture: MixtureRouter | null;
  private constant: HeadRouting | null = null;
  private last: HeadRouting | null = null;
  /** The input gradient of a parameter-free router (zeros). */
  private dX: Float32Array = new Float32Array(0);
  private readonly workspace: Workspace;

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
    this.workspace = workspace;
    this.mixture = moh ? new MixtureRouter(selection, modelDim, heads, kernels, params as RouterParams, grads, workspace) : null;
  }

  /** Returns a constant routing's arrays to the workspace. */
  private releaseRouting(routing: HeadRouting | null): void {
    if (routing === null) return;
    this.workspace.release(routing.gates);
    this.workspace.release(routing.activeRows[0]);
  }

  /**
   * Routes `rows` rows of `x (rows, d)`: the gates `(rows, H)` and each head's active
   * rows. Keeps what {@link HeadRouter.backward} needs: a copy of `x`, so the caller may
   * reuse its buffer, unless `inputKept` promises that `x` stays unchanged until the
   * backward (a model's blocks keep their inputs anyway). The routing, its record and
   * its arrays, is the router's own and valid until the next call: while `rows` stays
   * the same the same record is returned, updated in place.
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
    if (this.mixture !== null) return this.mixture.route(x, rows, inputKept);
    const selection = this.selection;
    const active = selection.kind === 'staticPruning' ? selection.activeHeads : this.heads;
    if (this.constant === null || this.constant.rows !== rows) {
      this.releaseRouting(this.constant);
      this.constant = constantRouting(active, rows, this.heads, this.workspace);
    }
    return this.constant;
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
    const mixture = this.mixture;
    const rows = mixture !== null ? mixture.rows : (this.constant?.rows ?? -1);
    if (rows < 0) throw new Error('HeadRouter.backward called before route');
    if (dGates.length < rows * this.heads) {
      throw new RangeError(`dGates must hold rows·H = ${rows * this.heads} values, got ${dGates.length}`);
    }
    if (into !== undefined && into.length < rows * this.modelDim) {
      throw new RangeError(`into must hold rows·d = ${rows * this.modelDim} values, got ${into.length}`);
    }
    if (mixture !== null) return mixture.backward(dGates, balanceScale, into);
    if (into !== undefined) return into;
    this.dX = this.workspace.ensure(this.dX, rows * this.modelDim);
    this.dX.fill(0);
    return this.dX;
  }

  /** The load-balance loss `L_b` of the last forward pass; 0 without routed heads or rows. */
  get balanceLoss(): number {
    return this.mixture?.balanceLoss ?? 0;
  }

  /** The probabilities and selection of the last Mixture-of-Heads forward pass, or null. */
  get probabilities(): RouterProbabilities | null {
    return this.mixture?.probabilities ?? null;
  }

  /** Telemetry of the last forward pass: head load, mean gates, `L_b`, `L_b / k`, entropy. */
  stats(): HeadRoutingStats {
    const m = this.mixture?.lastForward ?? null;
    const routing = m?.routing ?? this.constant;
    if (routing === null) throw new Error('HeadRouter.stats called before route');
    const { rows, heads: H, gates } = routing;
    const load = new Float64Array(H);
    const meanGate = new Float64Array(H);
    for (let h = 0; h < H; h++) {
      load[h] = rows === 0 ? 0 : routing.activeRows[h].length / rows;
      for (let t = 0; t < rows; t++) meanGate[h] += gates[t * H + h];
      if (rows > 0) meanGate[h] /= rows;
    }
    if (m === null) return { load, meanGate, balanceLoss: 0, balanceRatio: 1, entropy: 0 };
    const routed = routingStats(m.r, m.base, m.indices, rows, this.routedHeads, this.activeRoutedHeads);
    return { load, meanGate, balanceLoss: routed.balanceLoss, balanceRatio: routed.balanceRatio, entropy: routed.entropy };
  }
}
