/**
 * Attention of one head over its blocks of active rows (see blocks.ts), with the
 * backward right beside it. A head's rows live in compact head-major buffers (its r-th
 * active row at row `base + r`, D wide), so a block's queries `Qb (count, D)`, outputs
 * and their gradients are plain slices: nothing is gathered or scattered per block. A
 * block costs a handful of kernel calls whatever its size:
 *
 * - scores `S = Qb·Kᵀ` over the block's keys (`matmulNT`; a KV cache, which keeps its
 *   keys transposed as well, a plain `matmul` on `Kᵀ`), CoPE biases when enabled;
 * - the masked softmax of every row over its own band (`maskedSoftmaxForward`), which
 *   leaves exact zeros outside the bands;
 * - `Ob = P·V` (`matmul`), straight into the head's output slice.
 *
 * Inactive (row, head) pairs are never part of a block, so they cost nothing.
 *
 * Shapes: D head width, `count` rows and `W` keys in a block; `qc`, `oc`, `dOc`, `dQc`
 * are compact `(Σ_h count_h, D)`; `keys`, `values` rows have stride `G·D` with the
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

/**
 * Keys also stored transposed, `(G·D, ld)`: column `c` of key row `j` at `c·ld + j`, so
 * that a block's scores are a plain `Qb·Kᵀ` product over `D` rows of it. The A·Bᵀ product
 * transposes its whole `(W, D)` key panel into scratch on every call, which for the
 * single query row of a decode step costs more than the product itself; a KV cache
 * writes each key's column once, when it is appended. `ld` is padded by
 * {@link transposedStride}. Both products sum each score in the order of D, so the bits
 * are the same.
 */
export interface TransposedKeys {
  readonly data: Float32Array;
  readonly ld: number;
}

/**
 * The row stride of a `(G·D, kvRows)` transpose: `kvRows` rounded up to an odd number of
 * 64-byte lines. A block product reads D rows of it at once; at a power-of-two stride
 * (a capacity of 512) those rows all fall into one L1 set and evict each other, which
 * made the score product about twice as slow in an earlier experiment.
 */
export function transposedStride(kvRows: number): number {
  const lines = Math.ceil(kvRows / 16);
  return 16 * (lines % 2 === 0 ? lines + 1 : lines);
}

/** Where one head's rows live in the pass buffers. */
export interface HeadView {
  /** Row of the head's first active row in the compact head-major buffers (`Σ_{h' < h} count_h'`). */
  readonly base: number;
  /** Column of the head's KV group in `keys`, `values` (`g·D`). */
  readonly kvCol: number;
  /** `h·P·D`: start of the head's CoPE table. */
  readonly tableOff: number;
}

/** Runs the blocks of one head at a time for a layer's geometry. */
export class HeadBlockEngine {
  private readonly scale: number;
  /** `(count, W)` gradient of the weights, then of the scores. */
  private dP: Float32Array = new Float32Array(0);
  private copeScratch: CopeScratch;
  /** Getters of the CoPE table and its gradient (re-read at each kernel call; see cope.ts). */
  private readonly table: () => Float32Array;
  private readonly dTable: () => Float32Array;

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
    this.table = () => cope?.params.cope as Float32Array;
    this.dTable = () => cope?.grads.cope as Float32Array;
  }

  /**
   * Forward of every block of `stash` (planned by `planBlocks`): weights into the stash,
   * the head's outputs into its rows of `oc`, from its queries in `qc`. With `keysT`
   * (a KV cache), the scores read it instead of `keys`.
   */
  forward(
    stash: HeadStash,
    head: HeadView,
    qc: Float32Array,
    keys: Float32Array,
    keysT: TransposedKeys | null,
    values: Float32Array,
    oc: Float32Array,
  ): void {
    const { kernels, headDim: D, kvStride, cope } = this;
    const blocks = stash.blocks;
    for (let b = 0; b < stash.blockCount; b++) {
      const rec = b * BLOCK_FIELDS;
      const first = blocks[rec + Block.first];
      const count = blocks[rec + Block.count];
      const W = blocks[rec + Block.width];
      const keyRow = blocks[rec + Block.keyRow];
      const kv = keyRow * kvStride + head.kvCol;
      const at = (head.base + first) * D;
      const qb = qc.subarray(at, at + count * D);
      const scores = stash.probs.subarray(blocks[rec + Block.probs], blocks[rec + Block.probs] + count * W);
      if (keysT === null) kernels.matmulNT(scores, qb, keys.subarray(kv), count, D, W, false, D, kvStride, W);
      else kernels.matmul(scores, qb, keysT.data.subarray(head.kvCol * keysT.ld + keyRow), count, D, W, false, D, keysT.ld, W);
      let softmaxScale = this.scale;
      if (cope !== null) {
        const scratch = this.growCope(count, cope.positions);
        blocks[rec + Block.positions] = copeBlockForward(
          kernels, this.table, head.tableOff, cope.positions, D, qb, scores, this.scale, this.copeBlock(stash, first, count, W),
          stash.z, scratch.qe,
        );
        softmaxScale = 1;
      }
      kernels.maskedSoftmaxForward(
        scores, scores, stash.lo.subarray(first, first + count), stash.hi.subarray(first, first + count), softmaxScale, count, W,
      );
      kernels.matmul(oc.subarray(at, at + count * D), scores, values.subarray(kv), count, W, D, false, W, kvStride, D);
    }
  }

  /**
   * Backward of {@link HeadBlockEngine.forward}. `dOc` holds the gradient of the head's
   * outputs on its rows (the gate already applied); writes its query gradients into its
   * rows of `dQc` (overwritten) and adds key/value gradients into `dKeys`/`dValues`
   * (laid out like `keys`).
   */
  backward(
    stash: HeadStash,
    head: HeadView,
    dOc: Float32Array,
    qc: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    dQc: Float32Array,
    dKeys: Float32Array,
    dValues: Float32Array,
  ): void {
    const { kernels, headDim: D, kvStride, cope } = this;
    const blocks = stash.blocks;
    for (let b = 0; b < stash.blockCount; b++) {
      const rec = b * BLOCK_FIELDS;
      const first = blocks[rec + Block.first];
      const count = blocks[rec + Block.count];
      const W = blocks[rec + Block.width];
      const kv = blocks[rec + Block.keyRow] * kvStride + head.kvCol;
      const at = (head.base + first) * D;
      const qb = qc.subarray(at, at + count * D);
      const dOb = dOc.subarray(at, at + count * D);
      const dQb = dQc.subarray(at, at + count * D);
      const probs = stash.probs.subarray(blocks[rec + Block.probs], blocks[rec + Block.probs] + count * W);
      // dV += Pᵀ·dOb, dP = dOb·Vᵀ.
      kernels.matmulTN(dValues.subarray(kv), probs, dOb, W, count, D, true, W, D, kvStride);
      this.dP = this.workspace.grow(this.dP, count * W);
      const dP = this.dP;
      kernels.matmulNT(dP, dOb, values.subarray(kv), count, D, W, false, D, kvStride, W);
      const lo = stash.lo.subarray(first, first + count);
      const hi = stash.hi.subarray(first, first + count);
      let accumulate = false;
      if (cope !== null) {
        kernels.maskedSoftmaxBackward(dP, probs, dP, lo, hi, 1, count, W);
        const scratch = this.growCope(count, cope.positions);
        copeBlockBackward(
          kernels, this.table, this.dTable, head.tableOff, cope.positions, D,
          qb, dP, this.scale, this.copeBlock(stash, first, count, W), stash.z, blocks[rec + Block.positions], dQb, scratch,
        );
        accumulate = true;
      } else {
        kernels.maskedSoftmaxBackward(dP, probs, dP, lo, hi, this.scale, count, W);
      }
      // dQb (+)= dS·K, dK += dSᵀ·Qb.
      kernels.matmul(dQb, dP, keys.subarray(kv), count, W, D, accumulate, W, kvStride, D);
      kernels.matmulTN(dKeys.subarray(kv), dP, qb, W, count, D, true, W, D, kvStride);
    }
  }

  /** Sizes the CoPE scratch for a block of `count` rows. */
  private growCope(count: number, positions: number): CopeScratch {
    const s = this.copeScratch;
    if (s.qe.length >= count * positions && s.dqe.length >= count * positions) return s;
    const w = this.workspace;
    this.copeScratch = { qe: w.grow(s.qe, count * positions), dqe: w.grow(s.dqe, count * positions) };
    return this.copeScratch;
  }

  private copeBlock(stash: HeadStash, first: number, count: number, width: number): CopeBlock {
    return { count, width, first, lo: stash.lo, hi: stash.hi, packed: stash.packed };
  }
}
