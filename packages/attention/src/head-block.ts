/**
 * Attention of one head over its blocks of active rows (see blocks.ts), with the
 * backward right beside it. A block's queries are gathered into `Qb (count, D)`, and
 * the block then costs a handful of kernel calls whatever its size:
 *
 * - scores `S = Qb·Kᵀ` over the block's keys (`matmulNT`), CoPE biases when enabled;
 * - the masked softmax of every row over its own band (`maskedSoftmaxForward`), which
 *   leaves exact zeros outside the bands;
 * - `Ob = P·V` (`matmul`), scattered back to the head's rows.
 *
 * Inactive (row, head) pairs are never part of a block, so they cost nothing.
 *
 * Shapes: D head width, `count` rows and `W` keys in a block; `q`, `o` rows have stride
 * `H·D` with the head at column `col`; `keys`, `values` rows have stride `G·D` with the
 * head's group at column `kvCol`.
 *
 * Exactness: every kernel here gives an output element the same arithmetic whatever
 * the other rows of its call (products accumulate in order, padded columns add exact
 * zeros, the softmax reads only the band), so a KV-cache decode, whose blocks are single
 * rows, reproduces the full forward's rows bit for bit.
 *
 * @packageDocumentation
 */
import type { Kernels, Workspace } from '@moh/tensor';
import { Block, BLOCK_FIELDS, type HeadStash } from './blocks.js';
import { copeBlockBackward, copeBlockForward, type CopeBlock, type CopeScratch } from './cope.js';

/** The records holding the `(H, P, D)` CoPE tables and their gradient (re-read at each use). */
export interface CopeTables {
  readonly params: { readonly cope?: Float32Array };
  readonly grads: { readonly cope?: Float32Array };
  readonly positions: number;
}

/** Where one head's rows live in the pass buffers. */
export interface HeadView {
  /** The head's active rows, ascending. */
  readonly rows: Int32Array;
  /** Column of the head in `q`, `o`, `dQ`, `dGated` (`h·D`), and their row stride `H·D`. */
  readonly col: number;
  readonly stride: number;
  /** Column of the head's KV group in `keys`, `values` (`g·D`). */
  readonly kvCol: number;
  /** `h·P·D`: start of the head's CoPE table. */
  readonly tableOff: number;
}

/** Runs the blocks of one head at a time for a layer's geometry. */
export class HeadBlockEngine {
  private readonly scale: number;
  /** `(count, D)` gathered queries, block outputs and their gradients. */
  private qb: Float32Array = new Float32Array(0);
  private ob: Float32Array = new Float32Array(0);
  private dOb: Float32Array = new Float32Array(0);
  private dQb: Float32Array = new Float32Array(0);
  /** `(count, W)` gradient of the weights, then of the scores. */
  private dP: Float32Array = new Float32Array(0);
  private copeScratch: CopeScratch;

  constructor(
    private readonly kernels: Kernels,
    private readonly headDim: number,
    private readonly kvStride: number,
    private readonly cope: CopeTables | null,
    private readonly workspace: Workspace,
  ) {
    this.scale = 1 / Math.sqrt(headDim);
    const empty = new Float32Array(0);
    this.copeScratch = { qe: empty, dqe: empty };
  }

  /** Forward of every block of `stash` (planned by `planBlocks`): weights into the stash, `O` into `o`. */
  forward(stash: HeadStash, head: HeadView, q: Float32Array, keys: Float32Array, values: Float32Array, o: Float32Array): void {
    const { kernels, headDim: D, kvStride, cope } = this;
    for (let b = 0; b < stash.blockCount; b++) {
      const rec = b * BLOCK_FIELDS;
      const { count, width: W, first } = this.block(stash, rec);
      const kv = stash.blocks[rec + Block.keyRow] * kvStride + head.kvCol;
      const scores = stash.probs.subarray(stash.blocks[rec + Block.probs], stash.blocks[rec + Block.probs] + count * W);
      const qb = this.gather(q, head, first, count);
      kernels.matmulNT(scores, qb, keys.subarray(kv), count, D, W, false, D, kvStride, W);
      const lo = stash.lo.subarray(first, first + count);
      const hi = stash.hi.subarray(first, first + count);
      let softmaxScale = this.scale;
      if (cope !== null) {
        const table = (): Float32Array => cope.params.cope as Float32Array;
        const scratch = this.growCope(count, cope.positions);
        stash.blocks[rec + Block.positions] = copeBlockForward(
          kernels, table, head.tableOff, cope.positions, D, qb, scores, this.scale, this.copeBlock(stash, rec),
          stash.z, scratch.qe,
        );
        softmaxScale = 1;
      }
      kernels.maskedSoftmaxForward(scores, scores, lo, hi, softmaxScale, count, W);
      this.ob = this.workspace.grow(this.ob, count * D);
      kernels.matmul(this.ob, scores, values.subarray(kv), count, W, D, false, W, kvStride, D);
      this.scatter(o, this.ob, head, first, count);
    }
  }

  /**
   * Backward of {@link HeadBlockEngine.forward}. `dGated (rows, H·D)` is the gradient of
   * the gated outputs `gate·O`, `gates (rows, H)` the gates of head `h`; writes the head's query
   * gradients into `dQ` (overwritten on its rows) and adds key/value gradients into
   * `dKeys`/`dValues` (laid out like `keys`).
   */
  backward(
    stash: HeadStash,
    head: HeadView,
    dGated: Float32Array,
    gates: Float32Array,
    h: number,
    heads: number,
    q: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    dQ: Float32Array,
    dKeys: Float32Array,
    dValues: Float32Array,
  ): void {
    const { kernels, headDim: D, kvStride, cope } = this;
    for (let b = 0; b < stash.blockCount; b++) {
      const rec = b * BLOCK_FIELDS;
      const { count, width: W, first } = this.block(stash, rec);
      const kv = stash.blocks[rec + Block.keyRow] * kvStride + head.kvCol;
      const probs = stash.probs.subarray(stash.blocks[rec + Block.probs], stash.blocks[rec + Block.probs] + count * W);
      const dOb = this.gatherGated(dGated, gates, h, heads, head, first, count);
      const qb = this.gather(q, head, first, count);
      // dV += Pᵀ·dOb, dP = dOb·Vᵀ.
      kernels.matmulTN(dValues.subarray(kv), probs, dOb, W, count, D, true, W, D, kvStride);
      this.dP = this.workspace.grow(this.dP, count * W);
      const dP = this.dP;
      kernels.matmulNT(dP, dOb, values.subarray(kv), count, D, W, false, D, kvStride, W);
      const lo = stash.lo.subarray(first, first + count);
      const hi = stash.hi.subarray(first, first + count);
      this.dQb = this.workspace.grow(this.dQb, count * D);
      let accumulate = false;
      if (cope !== null) {
        kernels.maskedSoftmaxBackward(dP, probs, dP, lo, hi, 1, count, W);
        const qeWidth = stash.blocks[rec + Block.positions];
        const scratch = this.growCope(count, cope.positions);
        copeBlockBackward(
          kernels, () => cope.params.cope as Float32Array, () => cope.grads.cope as Float32Array, head.tableOff, cope.positions, D,
          qb, dP, this.scale, this.copeBlock(stash, rec), stash.z, qeWidth, this.dQb, scratch,
        );
        accumulate = true;
      } else {
        kernels.maskedSoftmaxBackward(dP, probs, dP, lo, hi, this.scale, count, W);
      }
      // dQb (+)= dS·K, dK += dSᵀ·Qb.
      kernels.matmul(this.dQb, dP, keys.subarray(kv), count, W, D, accumulate, W, kvStride, D);
      kernels.matmulTN(dKeys.subarray(kv), dP, qb, W, count, D, true, W, D, kvStride);
      this.scatter(dQ, this.dQb, head, first, count);
    }
  }

  /** Sizes the CoPE scratch for a block of `count` rows. */
  private growCope(count: number, positions: number): CopeScratch {
    const s = this.copeScratch;
    const w = this.workspace;
    this.copeScratch = { qe: w.grow(s.qe, count * positions), dqe: w.grow(s.dqe, count * positions) };
    return this.copeScratch;
  }

  private block(stash: HeadStash, rec: number): { count: number; width: number; first: number } {
    return { count: stash.blocks[rec + Block.count], width: stash.blocks[rec + Block.width], first: stash.blocks[rec + Block.first] };
  }

  private copeBlock(stash: HeadStash, rec: number): CopeBlock {
    const { count, width, first } = this.block(stash, rec);
    return { count, width, first, lo: stash.lo, hi: stash.hi, packed: stash.packed };
  }

  /** `Qb[r] = q[rows[first + r], col … col+D)`, into the engine's `qb` scratch. */
  private gather(q: Float32Array, head: HeadView, first: number, count: number): Float32Array {
    const D = this.headDim;
    const out = (this.qb = this.workspace.grow(this.qb, count * D));
    for (let r = 0; r < count; r++) {
      const from = head.rows[first + r] * head.stride + head.col;
      for (let c = 0; c < D; c++) out[r * D + c] = q[from + c];
    }
    return out;
  }

  /** `dOb[r] = gate · dGated[row, col … col+D)` for `row = rows[first + r]`: the gradient of `O`. */
  private gatherGated(dGated: Float32Array, gates: Float32Array, h: number, heads: number, head: HeadView, first: number, count: number): Float32Array {
    const D = this.headDim;
    const out = (this.dOb = this.workspace.grow(this.dOb, count * D));
    for (let r = 0; r < count; r++) {
      const row = head.rows[first + r];
      const gate = gates[row * heads + h];
      const from = row * head.stride + head.col;
      for (let c = 0; c < D; c++) out[r * D + c] = gate * dGated[from + c];
    }
    return out;
  }

  /** `dst[rows[first + r], col … col+D) = block[r]`. */
  private scatter(dst: Float32Array, block: Float32Array, head: HeadView, first: number, count: number): void {
    const D = this.headDim;
    for (let r = 0; r < count; r++) {
      const to = head.rows[first + r] * head.stride + head.col;
      for (let c = 0; c < D; c++) dst[to + c] = block[r * D + c];
    }
  }
}
