/**
 * The sparse head pipeline shared by the full forward ({@link Attention}) and the KV
 * cache: K/V projection, per-head query projection on active rows only, the blocked
 * attention of {@link HeadBlockEngine}, gating and the output projection; and the
 * backward of the same steps.
 *
 * Shapes: d model width, H query heads, G KV heads, D head width, P CoPE positions.
 * `x` is `(rows, d)`; `q`, `gated`, `dGated` are `(rows, H·D)` with head `h` in columns
 * `h·D … h·D+D−1` (only active (row, head) blocks are ever written or read); `keys`,
 * `values` are `(kvRows, G·D)`. Per-head queries, outputs and their gradients are
 * compact and head-major (`qc`, `oc`, `dOc`, `dQc`, `(Σ_h count_h, D)`: head `h`'s r-th
 * active row at row `Σ_{h' < h} count_h' + r`), so that every block reads and writes
 * plain slices (see head-block.ts); a lone head active on every row needs no copy at
 * all, a run of them is projected as one product and copied once (`gatherRows`), and a
 * routed head's gathered products write and read its compact rows directly. Rows are
 * sequence-major: a pass has `rowsPerSeq` rows per sequence starting at position
 * `startPos`, and its sequences' keys start at row `b·kvRowsPerSeq` of `keys`.
 *
 * Gradients: weight gradients accumulate (`+=`); `dX`, `dGates` are overwritten.
 *
 * @packageDocumentation
 */
import type { HeadRouting } from '@moh/head-router';
import { referenceBackend, type AttentionBackwardCall, type AttentionForwardCall, type Kernels, type Workspace } from '@moh/tensor';
import type { AttentionConfig } from './config.js';
import { planBlocks, type HeadStash, type PassLayout } from './blocks.js';
import { HeadBlockEngine, type HeadView, type TransposedKeys } from './head-block.js';
import type { AttentionParams } from './params.js';
import { RopeTable } from './rope.js';

/** The numbers and parameters of one layer, and the steps of its pipeline. */
export class AttentionCore {
  readonly d: number;
  readonly H: number;
  readonly G: number;
  readonly D: number;
  /** Query heads per KV group, H / G. */
  readonly ratio: number;
  /** CoPE positions P (0 without CoPE). */
  readonly positions: number;
  readonly rope: RopeTable | null;
  readonly engine: HeadBlockEngine;
  /** See {@link AttentionCore.everyHeadRow}. */
  private headRows: Int32Array = new Int32Array(0);
  /** `(H)`: the heads a one-row pass runs, in order (see {@link AttentionCore.projectOneRow}). */
  private readonly activeHeads: Int32Array;

  constructor(
    readonly config: AttentionConfig,
    readonly kernels: Kernels,
    readonly params: AttentionParams,
    readonly grads: AttentionParams,
    /** Where the layer's buffers come from (backend storage where the kernels read it in place). */
    readonly workspace: Workspace,
  ) {
    this.d = config.modelDim;
    this.H = config.queryHeads;
    this.G = config.kvHeads;
    this.D = config.headDim;
    this.ratio = this.H / this.G;
    const position = config.position;
    this.positions = position.kind === 'cope' ? position.maxPositions : 0;
    this.rope = position.kind === 'rope' ? new RopeTable(this.D, position.base) : null;
    // The records, not their arrays: the views are re-read at each use, so a model that
    // re-takes its views after memory growth is seen here too.
    const cope =
      position.kind === 'cope' && params.cope !== undefined && grads.cope !== undefined
        ? { params, grads, positions: this.positions }
        : null;
    this.engine = new HeadBlockEngine(this.D, this.G * this.D, cope);
    this.activeHeads = workspace.int32(this.H);
  }

  /**
   * `keys[kvRow + i] = x[xRow + i]·W_k` (then rotated to position `firstPos + i` with
   * RoPE), likewise `values`, for `count` consecutive rows of one sequence.
   */
  projectKeysValues(x: Float32Array, xRow: number, count: number, keys: Float32Array, values: Float32Array, kvRow: number, firstPos: number): void {
    const { d, G, D } = this;
    const kv = G * D;
    const xs = x.subarray(xRow * d, (xRow + count) * d);
    this.kernels.matmul(keys.subarray(kvRow * kv, (kvRow + count) * kv), xs, this.params.wk, count, d, kv);
    this.kernels.matmul(values.subarray(kvRow * kv, (kvRow + count) * kv), xs, this.params.wv, count, d, kv);
    const rope = this.rope;
    if (rope === null) return;
    for (let i = 0; i < count; i++) {
      for (let g = 0; g < G; g++) rope.rotate(keys, (kvRow + i) * kv + g * D, firstPos + i);
    }
  }

  /**
   * Runs every head on its active rows: query projection (and rotation) into `qc`,
   * blocked attention into `oc`, then `gated = gate·o` (with W_o; without it `gated` is
   * unused) and the output `y` (`(rows, d)`, overwritten). `q (rows, H·D)` is scratch.
   * `keysT`: the keys also transposed (a KV cache), read by the scores; null otherwise.
   */
  forwardHeads(
    x: Float32Array,
    routing: HeadRouting,
    layout: PassLayout,
    window: number | null,
    keys: Float32Array,
    keysT: TransposedKeys | null,
    values: Float32Array,
    q: Float32Array,
    qc: Float32Array,
    oc: Float32Array,
    gated: Float32Array,
    y: Float32Array,
    stashes: HeadStash[],
  ): void {
    const { d, H, D, kernels, params } = this;
    const hd = H * D;
    const n = routing.rows;
    if (n === 1) this.projectOneRow(x, routing, qc);
    const calls: AttentionForwardCall[] = [];
    let base = 0;
    let runEnd = 0;
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      const count = rows.length;
      stashes[h].blockCount = 0;
      if (count === 0) continue;
      const at = base * D;
      if (n === 1 || h < runEnd) {
        // Projected above, with the head's neighbours.
      } else if (count === n) {
        // Every row (ascending rows are then 0 … n−1): the compact rows are the rows. A
        // run of such heads is one product over their columns of W_q (a 16-wide product
        // runs at half the speed of a wide one), whose columns then move to their compact
        // rows; each element is still summed over d in order: same bits.
        runEnd = this.allRowsRun(routing, h);
        const width = (runEnd - h) * D;
        if (runEnd - h === 1) kernels.matmul(qc.subarray(at), x, params.wq.subarray(h * D), n, d, D, false, d, hd, D);
        else {
          kernels.matmul(q.subarray(h * D), x, params.wq.subarray(h * D), n, d, width, false, d, hd, hd);
          // Row r of head g's columns is row r·H of `q` seen as (rows·H, D) from column g·D.
          const every = this.everyHeadRow(n);
          for (let g = h; g < runEnd; g++) kernels.gatherRows(qc.subarray((base + (g - h) * n) * D), q.subarray(g * D), every, n, D);
        }
      } else {
        this.projectRoutedHead(x, rows, h, qc, base);
      }
      if (this.rope !== null) {
        for (let r = 0; r < count; r++) this.rope.rotate(qc, at + r * D, layout.startPos + (rows[r] % layout.rowsPerSeq));
      }
      planBlocks(stashes[h], rows, layout, window, this.positions, this.workspace);
      calls.push(this.engine.forwardCall(stashes[h], this.headView(h, base), qc, keys, keysT, values, oc));
      base += count;
    }
    // Every head at once: a backend with a helper thread runs some of them there.
    kernels.attentionHeadsForward(calls);
    this.combine(routing, oc, gated, y);
  }

  /**
   * The queries of a one-row pass (a decode step of one sequence): its active heads'
   * compact rows are then adjacent, in head order, so one gathered product over their
   * column blocks of W_q writes them all, wherever the skipped heads fall. Each element
   * is still summed over d in order: the bits of one product per head, in one call.
   */
  private projectOneRow(x: Float32Array, routing: HeadRouting, qc: Float32Array): void {
    const { d, H, D } = this;
    const heads = this.activeHeads;
    let count = 0;
    for (let h = 0; h < H; h++) if (routing.activeRows[h].length > 0) heads[count++] = h;
    this.kernels.matmulColumnBlocks(qc, x, this.params.wq, heads, count, 1, d, D, false, d, H * D, count * D);
  }

  /**
   * The queries of a head active on some rows only (a routed head), into its compact
   * rows of `qc` from `base` on: the gathered product writes them there directly
   * (`compact`), with the bits they would have at their own rows.
   */
  private projectRoutedHead(x: Float32Array, rows: Int32Array, h: number, qc: Float32Array, base: number): void {
    const { d, H, D, kernels, params } = this;
    kernels.matmulRows(qc.subarray(base * D), x, params.wq.subarray(h * D), rows, rows.length, d, D, false, d, H * D, D, true);
  }

  /** `(n)`: `r·H` for every row r, the row of a head's columns in `(rows·H, D)` views of wide buffers. */
  private everyHeadRow(n: number): Int32Array {
    if (this.headRows.length !== n) {
      this.workspace.release(this.headRows);
      this.headRows = this.workspace.int32(n);
      for (let r = 0; r < n; r++) this.headRows[r] = r * this.H;
    }
    return this.headRows;
  }

  /** The end of the run of consecutive heads from `h` on that are active on every row (h itself is). */
  private allRowsRun(routing: HeadRouting, h: number): number {
    let end = h + 1;
    while (end < this.H && routing.activeRows[end].length === routing.rows) end++;
    return end;
  }

  /** Where head `h`, whose compact rows start at `base`, lives in the pass buffers. */
  private headView(h: number, base: number): HeadView {
    const D = this.D;
    return { base, kvCol: Math.floor(h / this.ratio) * D, tableOff: h * this.positions * D, head: h };
  }

  /** `gated_h[row] = gate[row,h]·o_h[row]` on active pairs (0 elsewhere), then `y = gated` (written into `y` directly) or `gated·W_o`. */
  private combine(routing: HeadRouting, oc: Float32Array, gated: Float32Array, y: Float32Array): void {
    const { d, H, D, kernels } = this;
    const hd = H * D;
    const wo = this.params.wo;
    // Without W_o the gated outputs are the output: written there directly, `gated` unused.
    const target = wo === undefined ? y : gated;
    target.fill(0);
    let base = 0;
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      if (rows.length > 0) gateKernels(kernels, rows.length).headGateForward(target, oc.subarray(base * D), routing.gates, rows, h, rows.length, H, D);
      base += rows.length;
    }
    if (wo === undefined) return;
    y.fill(0);
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      if (rows.length === 0) continue;
      // Only the W_o rows of head h, and only for its active rows. The view is re-read per
      // call: without shared memory, a kernel call may grow the memory and detach it.
      const woNow = this.params.wo as Float32Array;
      kernels.matmulRows(y, gated.subarray(h * D), woNow.subarray(h * D * d), rows, rows.length, D, d, true, hd, d, d);
    }
  }

  /**
   * Backward of a full pass (`layout.startPos` 0, keys computed from this `x`), over the
   * blocks its forward left in `stashes` (so with the same window) and its `qc`, `oc`:
   * returns through `dX` (overwritten) and `dGates` (overwritten; 0 on inactive pairs),
   * adding weight gradients into `grads`. Scratch: `dQ (rows, H·D)`; `dGated` of the
   * shape of `gated` (W_o only); `dOc`, `dQc` of that of `qc`; `dKeys`, `dValues` of
   * that of `keys`.
   */
  backwardHeads(
    dY: Float32Array,
    x: Float32Array,
    routing: HeadRouting,
    layout: PassLayout,
    keys: Float32Array,
    values: Float32Array,
    qc: Float32Array,
    oc: Float32Array,
    gated: Float32Array,
    stashes: HeadStash[],
    dGated: Float32Array,
    dOc: Float32Array,
    dQc: Float32Array,
    dQ: Float32Array,
    dKeys: Float32Array,
    dValues: Float32Array,
    dX: Float32Array,
    dGates: Float32Array,
  ): void {
    const { d, H, G, D, kernels, params, grads } = this;
    const hd = H * D;
    const kv = G * D;
    const n = routing.rows;
    const { rowsPerSeq, startPos } = layout;
    let dGatedIn = dY;
    if (params.wo !== undefined && grads.wo !== undefined) {
      dGatedIn = dGated;
      for (let h = 0; h < H; h++) {
        const rows = routing.activeRows[h];
        if (rows.length === 0) continue;
        const woH = params.wo.subarray(h * D * d);
        kernels.matmulNTRows(dGated.subarray(h * D), dY, woH, rows, rows.length, d, D, false, d, d, hd);
        kernels.matmulTNRows(grads.wo.subarray(h * D * d), gated.subarray(h * D), dY, rows, rows.length, D, d, true, hd, d, d);
      }
    }
    dGates.fill(0);
    dKeys.fill(0);
    dValues.fill(0);
    const gates = routing.gates;
    const calls: AttentionBackwardCall[] = [];
    let base = 0;
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      const count = rows.length;
      if (count === 0) continue;
      gateKernels(kernels, count).headGateBackward(dGates, dOc.subarray(base * D), dGatedIn, oc.subarray(base * D), gates, rows, h, count, H, D);
      calls.push(this.engine.backwardCall(stashes[h], this.headView(h, base), dOc, qc, keys, values, dQc, dKeys, dValues));
      base += count;
    }
    // Every head at once (a KV group's heads add into its key and value gradients in head order).
    kernels.attentionHeadsBackward(calls);
    if (this.rope !== null) {
      base = 0;
      for (let h = 0; h < H; h++) {
        const rows = routing.activeRows[h];
        for (let r = 0; r < rows.length; r++) this.rope.rotateBack(dQc, (base + r) * D, startPos + (rows[r] % rowsPerSeq));
        base += rows.length;
      }
    }
    if (this.rope !== null) {
      for (let row = 0; row < n; row++) {
        const t = startPos + (row % rowsPerSeq);
        for (let g = 0; g < G; g++) this.rope.rotateBack(dKeys, row * kv + g * D, t);
      }
    }
    // dX = dK·W_kᵀ + dV·W_vᵀ + Σ_h dQ_h·W_q,hᵀ (the last only on each head's active rows).
    kernels.matmulNT(dX, dKeys, params.wk, n, kv, d, false);
    kernels.matmulNT(dX, dValues, params.wv, n, kv, d, true);
    kernels.matmulTN(grads.wk, x, dKeys, d, n, kv, true);
    kernels.matmulTN(grads.wv, x, dValues, d, n, kv, true);
    base = 0;
    let cleared = false;
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      const count = rows.length;
      if (count === 0) continue;
      const first = base;
      base += count;
      if (count === n) {
        // A run of heads active on every row: one product pair over their columns, as in
        // the forward (each element continues the same chain over the heads in order).
        const end = this.allRowsRun(routing, h);
        if (end - h === 1) {
          kernels.matmulNT(dX, dQc.subarray(first * D), params.wq.subarray(h * D), n, D, d, true, D, hd, d);
          kernels.matmulTN(grads.wq.subarray(h * D), x, dQc.subarray(first * D), d, n, D, true, d, D, hd);
          continue;
        }
        const width = (end - h) * D;
        // The inverse move of the forward's: added onto −0, which gives every value
        // exactly (onto +0, a −0 would become +0). The routed heads overwrite their columns.
        const every = this.everyHeadRow(n);
        if (!cleared) dQ.fill(-0, 0, n * hd);
        cleared = true;
        for (let g = h; g < end; g++) {
          kernels.scatterAddRows(dQ.subarray(g * D), dQc.subarray((first + (g - h) * n) * D), every, n, D);
        }
        kernels.matmulNT(dX, dQ.subarray(h * D), params.wq.subarray(h * D), n, width, d, true, hd, hd, d);
        kernels.matmulTN(grads.wq.subarray(h * D), x, dQ.subarray(h * D), d, n, width, true, d, hd, hd);
        base += (end - h - 1) * n;
        h = end - 1;
        continue;
      }
      // The head's compact query gradients are read in place (`compact`), as the forward wrote them.
      const dq = dQc.subarray(first * D);
      kernels.matmulNTRows(dX, dq, params.wq.subarray(h * D), rows, count, D, d, true, D, hd, d, true);
      kernels.matmulTNRows(grads.wq.subarray(h * D), x, dq, rows, count, d, D, true, d, D, hd, true);
    }
  }
}

/** Rows of a head from which its gating runs as a kernel call; fewer are a plain loop (a decode step's one row). */
const GATE_KERNEL_MIN_ROWS = 32;

/**
 * The kernels that gate `count` rows of a head: the backend's, or for a few rows the
 * reference ones, the very same arithmetic without a call's marshalling (a decode step
 * gates one row per head, where the call costs more than the work).
 */
function gateKernels(kernels: Kernels, count: number): Pick<Kernels, 'headGateForward' | 'headGateBackward'> {
  return count >= GATE_KERNEL_MIN_ROWS ? kernels : REFERENCE_GATES;
}

const REFERENCE_GATES = referenceBackend();
