/**
 * The Mixture-of-Heads router of one layer (SPEC §4): forward, backward and the buffers
 * they keep from call to call. {@link HeadRouter} is its public face.
 *
 * A layer's routing is one kernel call, `headRouteProjectForward`: the stacked product
 * of the logits (weights and buffer from {@link RouterProjection}), the softmaxes, the
 * top-k selection and the gates of every row; then the row lists of the selected heads.
 * The call is prepared once for its arrays (`prepareHeadRouteProjectForward`) and made
 * again while they stay the same: in a decode step the checks, the marshalling and the
 * general row lists cost more than the routing itself, and a one-row call needs no
 * lists but the every-row one.
 * The backward is the route kernel's backward and the projection's products. A decode
 * step routes one row per layer and a prefill a few dozen, and at those sizes fixed
 * costs outweigh arithmetic. So the buffers, their views, the row lists and the routing
 * record are cut once per row count and reused while it repeats; a row list that did
 * not move is kept, and a head chosen by every row (any head of a one-row call) gets the
 * shared every-row list, so a decode step makes no views; the load-balance loss, which
 * only training and telemetry read, is computed on first use; and the weights are
 * checked by their lengths, not re-validated in full.
 *
 * Shapes: N rows, d model width, H = hs + hr heads, k selected routed heads per row.
 * `x`, `dX (N, d)`; `gates`, `dGates (N, H)`; `s (N, hs)`; `r`, `base (N, hr)`;
 * `α (N, 2)`; `indices (N, k)`; `fraction`, `meanProb`, `balanceRow (hr)`.
 *
 * @packageDocumentation
 */
import {
  expertRowLists,
  expertRows,
  loadBalanceLoss,
  loadBalanceRowGradient,
  type ExpertRowLists,
} from '@moh/routing';
import type { Kernels, Workspace } from '@moh/tensor';
import type { MixtureOfHeadsSelection } from './config.js';
import type { RouterParams } from './params.js';
import { RouterProjection } from './projection.js';
import type { HeadRouting, RouterProbabilities } from './routing.js';

const NO_FLOATS: Float32Array = new Float32Array(0);
const NO_INTS: Int32Array = new Int32Array(0);

/** The forward's probabilities and selection, cut for one row count. */
interface ForwardViews {
  readonly s: Float32Array;
  readonly r: Float32Array;
  readonly alpha: Float32Array;
  readonly indices: Int32Array;
  readonly base: Float32Array;
  readonly routing: HeadRouting;
  readonly probabilities: RouterProbabilities;
}

/** A prepared routing call and the arrays it holds the places of. */
interface PreparedRoute {
  readonly call: () => void;
  readonly input: Float32Array;
  readonly views: ForwardViews;
  readonly ws: Float32Array;
  readonly wr: Float32Array;
  readonly wh: Float32Array;
  /** Whether the call reads the weights where they lie (else it reads {@link RouterProjection}'s copy). */
  readonly inPlace: boolean;
}

/** A layer's Mixture-of-Heads router; see the module comment. */
export class MixtureRouter {
  private readonly hs: number;
  private readonly hr: number;
  private readonly k: number;
  private readonly H: number;
  private readonly projection: RouterProjection;
  /** Rows of the last forward; −1 before the first. */
  private rowsRouted = -1;
  /** What the backward reads: the caller's `x` when kept, else {@link MixtureRouter.xCopy}. */
  private x: Float32Array = NO_FLOATS;
  private views: ForwardViews | null = null;
  // Workspace buffers behind the views (only re-cut when the row count changes; the
  // input copy and dX only when a caller needs them).
  private xCopy = NO_FLOATS;
  /** `s` then `α`. */
  private sharedMix = NO_FLOATS;
  private r = NO_FLOATS;
  private base = NO_FLOATS;
  private gates = NO_FLOATS;
  private indices = NO_INTS;
  /** `0, 1, 2, …`: the storage of {@link MixtureRouter.every}. */
  private counting = NO_INTS;
  /** The row list `0 … rows−1`: the shared heads' and any head's that every row chose. */
  private every = NO_INTS;
  /** The routed heads' row lists, head after head. */
  private routedRows = NO_INTS;
  private dX = NO_FLOATS;
  /** `(H)`: each head's active rows, updated in place. */
  private readonly activeRows: Int32Array[];
  private readonly lists: ExpertRowLists;
  /** `f (hr)` and `P (hr)` of the last forward, once {@link MixtureRouter.balanceLoss} has run. */
  private readonly fraction: Float64Array;
  private readonly meanProb: Float64Array;
  /** The load-balance loss's gradient that every row's `r` gets, for the backward kernel. */
  private readonly balanceRow: Float64Array;
  /** The routing call prepared for the last forward's arrays, and what it was prepared for. */
  private prepared: PreparedRoute | null = null;
  /** `L_b` of the last forward, or NaN until computed. */
  private balance = Number.NaN;

  constructor(
    private readonly selection: MixtureOfHeadsSelection,
    private readonly modelDim: number,
    heads: number,
    private readonly kernels: Kernels,
    private readonly params: RouterParams,
    private readonly grads: RouterParams | undefined,
    private readonly workspace: Workspace,
  ) {
    this.hs = selection.sharedHeads;
    this.hr = heads - selection.sharedHeads;
    this.k = selection.activeRoutedHeads;
    this.H = heads;
    this.projection = new RouterProjection(kernels, workspace, this.hs, this.hr, modelDim);
    this.activeRows = Array.from({ length: heads }, () => NO_INTS);
    this.lists = expertRowLists(this.hr);
    this.fraction = new Float64Array(this.hr);
    this.meanProb = new Float64Array(this.hr);
    this.balanceRow = new Float64Array(this.hr);
  }

  /** Rows of the last forward, or −1 before the first. */
  get rows(): number {
    return this.rowsRouted;
  }

  /** See {@link HeadRouter.route}; `rows` and the length of `x` are checked there. */
  route(x: Float32Array, rows: number, inputKept: boolean): HeadRouting {
    const views = this.views !== null && this.views.routing.rows === rows ? this.views : this.cut(rows);
    const { hs, hr, k, modelDim: d } = this;
    let input = x;
    if (!inputKept) {
      // Only a caller that does not keep its input pays for the copy's memory.
      this.xCopy = this.workspace.ensure(this.xCopy, rows * d);
      input = this.xCopy;
      input.set(x.subarray(0, rows * d));
    }
    this.x = input;
    this.rowsRouted = rows;
    this.balance = Number.NaN;
    if (rows > 0) this.project(input, views);
    const active = this.activeRows;
    if (rows === 1) {
      // One row (a decode step): each selected head, distinct by top-k, gets the every-row list.
      for (let j = 0; j < hr; j++) active[hs + j] = NO_INTS;
      for (let q = 0; q < k; q++) active[hs + views.indices[q]] = this.every;
      return views.routing;
    }
    const routed = expertRows(views.indices, rows, hr, k, this.routedRows, this.lists, this.every);
    for (let j = 0; j < hr; j++) active[hs + j] = routed[j];
    return views.routing;
  }

  /**
   * The routing kernel on `input`: a call prepared for these views, this input array
   * and these weight views, made again while they stay the same (a decode step's) and
   * prepared afresh otherwise. Views are compared by identity: a model re-takes its
   * views after its memory grows, and a prepared call keeps their places.
   */
  private project(input: Float32Array, views: ForwardViews): void {
    const { ws, wr, wh } = this.params;
    const bound = this.prepared;
    if (bound !== null && bound.input === input && bound.views === views && bound.ws === ws && bound.wr === wr && bound.wh === wh) {
      // Separate weight arrays reach the kernel through a copy, which must follow their changes.
      if (!bound.inPlace) this.projection.weights(this.params);
      bound.call();
      return;
    }
    const { hs, hr, k, modelDim: d } = this;
    const rows = views.routing.rows;
    const { s, r, alpha, indices, base, routing } = views;
    const w = this.projection.weights(this.params);
    const logitsT = this.projection.logits(rows);
    const call = this.kernels.prepareHeadRouteProjectForward(
      routing.gates, base, s, r, alpha, indices, logitsT, input, w, this.selection.gating, rows, d, hs, hr, k,
    );
    this.prepared = { call, input, views, ws, wr, wh, inPlace: this.projection.inPlace };
    call();
  }

  /**
   * Re-cuts every forward buffer and view for `rows` rows. Workspace buffers are backend
   * storage only where its views never move, so the views stay valid while `rows` does.
   */
  private cut(rows: number): ForwardViews {
    const { hs, hr, k, H, workspace: ws } = this;
    this.sharedMix = ws.ensure(this.sharedMix, rows * (hs + 2));
    this.r = ws.ensure(this.r, rows * hr);
    this.base = ws.ensure(this.base, rows * hr);
    this.gates = ws.ensure(this.gates, rows * H);
    this.indices = ws.growInt32(this.indices, rows * k);
    this.routedRows = ws.growInt32(this.routedRows, rows * k);
    if (this.counting.length < rows) {
      this.counting = ws.growInt32(this.counting, rows);
      for (let t = 0; t < this.counting.length; t++) this.counting[t] = t;
    }
    this.every = this.counting.subarray(0, rows);
    for (let h = 0; h < H; h++) this.activeRows[h] = h < hs ? this.every : NO_INTS;
    const s = this.sharedMix.subarray(0, rows * hs);
    const alpha = this.sharedMix.subarray(rows * hs);
    const indices = this.indices.subarray(0, rows * k);
    const r = this.r;
    this.views = {
      s,
      r,
      alpha,
      indices,
      base: this.base,
      routing: { heads: H, rows, gates: this.gates, activeRows: this.activeRows },
      probabilities: { shared: s, routed: r, mix: alpha, selected: indices },
    };
    return this.views;
  }

  /** `L_b` of the last forward (0 before any or without rows), computed on first use. */
  get balanceLoss(): number {
    return this.computeBalance();
  }

  /** `L_b`, and `f`, `P` into their buffers, unless already computed for this forward. */
  private computeBalance(): number {
    const views = this.views;
    if (this.rowsRouted < 0 || views === null) return 0;
    if (Number.isNaN(this.balance)) {
      this.balance = loadBalanceLoss(this.fraction, this.meanProb, views.r, views.indices, this.rowsRouted, this.hr, this.k);
    }
    return this.balance;
  }

  /** The probabilities and selection of the last forward, or null before the first. */
  get probabilities(): RouterProbabilities | null {
    return this.rowsRouted < 0 || this.views === null ? null : this.views.probabilities;
  }

  /** The last forward's routing, probabilities and routed gate factors, or null before the first. */
  get lastForward(): ForwardViews | null {
    return this.rowsRouted < 0 ? null : this.views;
  }

  /** See {@link HeadRouter.backward}; the sizes of `dGates` and `into` are checked there. */
  backward(dGates: Float32Array, balanceScale: number, into?: Float32Array): Float32Array {
    const rows = this.rowsRouted;
    const views = this.views as ForwardViews;
    const grads = this.grads;
    if (grads === undefined) throw new Error('this router was built without gradient views (inference only)');
    const { hs, hr, k, projection } = this;
    if (into === undefined) this.dX = this.workspace.ensure(this.dX, rows * this.modelDim);
    const dX = into ?? this.dX;
    const gating = this.selection.gating;
    let balance: Float64Array | null = null;
    if (balanceScale !== 0) {
      this.computeBalance(); // f of this forward
      loadBalanceRowGradient(this.balanceRow, this.fraction, balanceScale, rows, hr);
      balance = this.balanceRow;
    }
    if (rows > 0) {
      const { s, r, alpha, base, indices } = views;
      const dLogits = projection.logitGradients(rows);
      this.kernels.headRouteBackward(dLogits, dGates, s, r, alpha, base, indices, balance, gating, rows, hs, hr, k, projection.paddedScores);
    }
    // Binary gates do not depend on s or α: their weights get no gradient.
    projection.backward(dX, grads, this.x, this.params, rows, into !== undefined, gating === 'binary');
    return dX;
  }
}
