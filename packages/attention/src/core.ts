/**
 * The sparse head pipeline shared by the full forward ({@link Attention}) and the KV
 * cache: K/V projection, per-head query projection on active rows only, the per-row
 * attention of {@link HeadRowEngine}, gating and the output projection; and the
 * backward of the same steps.
 *
 * Shapes: d model width, H query heads, G KV heads, D head width, P CoPE positions.
 * `x` is `(rows, d)`; `q`, `o`, `gated` are `(rows, H·D)` with head `h` in columns
 * `h·D … h·D+D−1` (only active (row, head) blocks are ever written or read); `keys`,
 * `values` are `(kvRows, G·D)`. Rows are sequence-major: a pass has `rowsPerSeq` rows
 * per sequence starting at position `startPos`, and its sequences' keys start at row
 * `b·kvRowsPerSeq` of `keys`.
 *
 * Gradients: weight gradients accumulate (`+=`); `dX`, `dGates` are overwritten.
 *
 * @packageDocumentation
 */
import type { HeadRouting } from '@moh/head-router';
import type { Kernels } from '@moh/tensor';
import type { AttentionConfig } from './config.js';
import { HeadRowEngine, type CopeRow } from './head-row.js';
import type { AttentionParams } from './params.js';
import { RopeTable } from './rope.js';
import { firstVisibleKey } from './window.js';

/** How a pass's rows map to sequences, positions and key rows. */
export interface PassLayout {
  /** Query rows per sequence in this pass (T for a full forward, n for a decode chunk). */
  readonly rowsPerSeq: number;
  /** Position of each sequence's first query row (0, or the cache length). */
  readonly startPos: number;
  /** Key/value rows per sequence in the K/V buffers (T, or the cache capacity). */
  readonly kvRowsPerSeq: number;
}

/** What one head's rows of a forward keep for the backward. */
export interface HeadStash {
  /** `(count + 1)`: start of each active row's attention weights in `probs`. */
  offsets: Int32Array;
  /** `(Σ L)`: attention weights, row after row. */
  probs: Float32Array;
  /** `(Σ L)`: CoPE gates (empty without CoPE). */
  z: Float32Array;
  /** `(Σ L)`: unclamped CoPE positions. */
  pos: Float64Array;
  /** `(count, P)`: `q·E[p]` per row. */
  qe: Float32Array;
}

/** An empty stash, grown on demand. */
export function emptyStash(): HeadStash {
  return { offsets: new Int32Array(1), probs: new Float32Array(0), z: new Float32Array(0), pos: new Float64Array(0), qe: new Float32Array(0) };
}

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
  readonly engine: HeadRowEngine;

  constructor(
    readonly config: AttentionConfig,
    readonly kernels: Kernels,
    readonly params: AttentionParams,
    readonly grads: AttentionParams,
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
    this.engine = new HeadRowEngine(kernels, this.D, this.G * this.D, cope);
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
   * Runs every head on its active rows: query projection (and rotation), attention per
   * row into `o`, then `gated = gate·o` and the output `y` (`(rows, d)`, overwritten).
   */
  forwardHeads(
    x: Float32Array,
    routing: HeadRouting,
    layout: PassLayout,
    window: number | null,
    keys: Float32Array,
    values: Float32Array,
    q: Float32Array,
    o: Float32Array,
    gated: Float32Array,
    y: Float32Array,
    stashes: HeadStash[],
  ): void {
    const { d, H, D, G, kernels, params } = this;
    const hd = H * D;
    const kv = G * D;
    const P = this.positions;
    const { rowsPerSeq, startPos, kvRowsPerSeq } = layout;
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      const count = rows.length;
      if (count === 0) continue;
      kernels.matmulRows(q.subarray(h * D), x, params.wq.subarray(h * D), rows, count, d, D, false, d, hd, hd);
      const stash = stashes[h];
      // Row lengths first, so the stash is sized once per head.
      if (stash.offsets.length < count + 1) stash.offsets = new Int32Array(count + 1);
      let total = 0;
      for (let r = 0; r < count; r++) {
        const t = startPos + (rows[r] % rowsPerSeq);
        stash.offsets[r] = total;
        total += t - firstVisibleKey(t, window) + 1;
      }
      stash.offsets[count] = total;
      if (stash.probs.length < total) stash.probs = new Float32Array(total);
      if (P > 0) {
        if (stash.z.length < total) stash.z = new Float32Array(total);
        if (stash.pos.length < total) stash.pos = new Float64Array(total);
        if (stash.qe.length < count * P) stash.qe = new Float32Array(count * P);
      }
      const g = Math.floor(h / this.ratio);
      for (let r = 0; r < count; r++) {
        const row = rows[r];
        const b = Math.floor(row / rowsPerSeq);
        const t = startPos + (row - b * rowsPerSeq);
        const lo = firstVisibleKey(t, window);
        const length = t - lo + 1;
        const qOff = row * hd + h * D;
        if (this.rope !== null) this.rope.rotate(q, qOff, t);
        const start = stash.offsets[r];
        const copeRow = P > 0 ? this.copeRow(stash, h, r, start, length) : null;
        this.engine.forward(
          q, qOff, keys, values, (b * kvRowsPerSeq + lo) * kv + g * D, length,
          stash.probs.subarray(start, start + length), o, qOff, copeRow,
        );
      }
    }
    this.combine(routing, o, gated, y);
  }

  private copeRow(stash: HeadStash, h: number, r: number, start: number, length: number): CopeRow {
    const P = this.positions;
    return {
      tableOff: h * P * this.D,
      slots: {
        z: stash.z.subarray(start, start + length),
        pos: stash.pos.subarray(start, start + length),
        qe: stash.qe.subarray(r * P, (r + 1) * P),
      },
    };
  }

  /** `gated_h[r] = gate[r,h]·o_h[r]` on active pairs (0 elsewhere), then `y = gated` or `gated·W_o`. */
  private combine(routing: HeadRouting, o: Float32Array, gated: Float32Array, y: Float32Array): void {
    const { d, H, D, kernels } = this;
    const hd = H * D;
    const wo = this.params.wo;
    gated.fill(0);
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      for (let r = 0; r < rows.length; r++) {
        const gate = routing.gates[rows[r] * H + h];
        const off = rows[r] * hd + h * D;
        for (let c = 0; c < D; c++) gated[off + c] = gate * o[off + c];
      }
    }
    if (wo === undefined) {
      if (y !== gated) y.set(gated);
      return;
    }
    y.fill(0);
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      if (rows.length === 0) continue;
      // Only the W_o rows of head h, and only for its active rows.
      kernels.matmulRows(y, gated.subarray(h * D), wo.subarray(h * D * d), rows, rows.length, D, d, true, hd, d, d);
    }
  }

  /**
   * Backward of a full pass (`layout.startPos` 0, keys computed from this `x`): returns
   * through `dX` (overwritten) and `dGates` (overwritten; 0 on inactive pairs), adding
   * weight gradients into `grads`. `dGated`, `dQ`, `dKeys`, `dValues` are scratch of the
   * shapes of `gated`, `q`, `keys`, `values`.
   */
  backwardHeads(
    dY: Float32Array,
    x: Float32Array,
    routing: HeadRouting,
    layout: PassLayout,
    window: number | null,
    keys: Float32Array,
    values: Float32Array,
    q: Float32Array,
    o: Float32Array,
    gated: Float32Array,
    stashes: HeadStash[],
    dGated: Float32Array,
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
    const P = this.positions;
    const { rowsPerSeq, startPos, kvRowsPerSeq } = layout;
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
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      const stash = stashes[h];
      const g = Math.floor(h / this.ratio);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        const b = Math.floor(row / rowsPerSeq);
        const t = startPos + (row - b * rowsPerSeq);
        const lo = firstVisibleKey(t, window);
        const length = t - lo + 1;
        const off = row * hd + h * D;
        let dGate = 0;
        for (let c = 0; c < D; c++) dGate += dGatedIn[off + c] * o[off + c];
        dGates[row * H + h] = dGate;
        const start = stash.offsets[r];
        const copeRow = P > 0 ? this.copeRow(stash, h, r, start, length) : null;
        this.engine.backward(
          dGatedIn, off, routing.gates[row * H + h], q, off, keys, values, dKeys, dValues,
          (b * kvRowsPerSeq + lo) * kv + g * D, length, stash.probs.subarray(start, start + length), dQ, off, copeRow,
        );
        if (this.rope !== null) this.rope.rotateBack(dQ, off, t);
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
    for (let h = 0; h < H; h++) {
      const rows = routing.activeRows[h];
      if (rows.length === 0) continue;
      kernels.matmulNTRows(dX, dQ.subarray(h * D), params.wq.subarray(h * D), rows, rows.length, D, d, true, hd, hd, d);
      kernels.matmulTNRows(grads.wq.subarray(h * D), x, dQ.subarray(h * D), rows, rows.length, d, D, true, d, hd, hd);
    }
  }
}
