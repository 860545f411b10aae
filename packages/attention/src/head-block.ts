/**
 * Attention of one head over its blocks of active rows (see blocks.ts), with the
 * backward right beside it. A head's rows live in compact head-major buffers (its r-th
 * active row at row `base + r`, D wide), so a block's queries `Qb (count, D)`, outputs
 * and their gradients are plain slices: nothing is gathered or scattered per block. Per
 * block the forward is
 *
 * - scores `S = Qb·Kᵀ` over the block's keys (`matmulNT`; a KV cache, which keeps its
 *   keys transposed as well, a plain `matmul` on `Kᵀ`), CoPE biases when enabled;
 * - the masked softmax of every row over its own band (`maskedSoftmaxForward`), which
 *   leaves exact zeros outside the bands;
 * - `Ob = P·V` (`matmul`), straight into the head's output slice.
 *
 * All the blocks of a head are one call (`attentionBlocksForward`,
 * `attentionBlocksBackward` of `@moh/tensor`), which runs exactly that sequence of kernels
 * block after block: a block used to cost ~6 kernel calls forward and ~10 backward, whose
 * marshalling outweighed the arithmetic of small blocks (a decode step's single rows, a
 * routed head's sparse rows). Inactive (row, head) pairs are never part of a block, so
 * they cost nothing.
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
import type { AttentionBackwardCall, AttentionForwardCall } from '@moh/tensor';
import type { HeadStash } from './blocks.js';

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
  /** The head's index h. */
  readonly head: number;
}

/**
 * Makes each head's fused-kernel call for a layer's geometry; the layer hands all its
 * heads' calls to the kernels at once (`attentionHeadsForward` / `attentionHeadsBackward`).
 */
export class HeadBlockEngine {
  private readonly scale: number;

  constructor(
    private readonly headDim: number,
    private readonly kvStride: number,
    private readonly cope: CopeTables | null,
  ) {
    this.scale = 1 / Math.sqrt(headDim);
  }

  /**
   * The call that runs the forward of every block of `stash` (planned by `planBlocks`):
   * weights into the stash, the head's outputs into its rows of `oc`, from its queries in
   * `qc`. With `keysT` (a KV cache), the scores read it instead of `keys`. Heads are
   * independent in the forward, so each is its own `group` (`h`).
   */
  forwardCall(
    stash: HeadStash,
    head: HeadView,
    qc: Float32Array,
    keys: Float32Array,
    keysT: TransposedKeys | null,
    values: Float32Array,
    oc: Float32Array,
  ): AttentionForwardCall {
    const { headDim: D, kvStride, cope } = this;
    const at = head.base * D;
    const [k, ldk] = keysT === null ? [keys.subarray(head.kvCol), kvStride] : [keysT.data.subarray(head.kvCol * keysT.ld), keysT.ld];
    // The table view is taken at the call: a kernel call may grow the memory and detach an older one.
    const table = cope === null ? null : (cope.params.cope as Float32Array).subarray(head.tableOff);
    return {
      args: [
        oc.subarray(at), stash.probs, stash.z, stash.blocks, qc.subarray(at), k, values.subarray(head.kvCol),
        stash.lo, stash.hi, stash.packed, table, this.scale, cope?.positions ?? 0, keysT !== null,
        stash.blockCount, D, ldk, kvStride,
      ],
      group: head.head,
    };
  }

  /**
   * The call that runs the backward of {@link HeadBlockEngine.forwardCall}. `dOc` holds
   * the gradient of the head's outputs on its rows (the gate already applied); the call
   * writes its query gradients into its rows of `dQc` (overwritten) and adds key/value
   * gradients into `dKeys`/`dValues` (laid out like `keys`), and CoPE table gradients
   * into the layer's. Its `group` is the head's KV group: the heads of a group add into
   * the same key and value gradients, in head order.
   */
  backwardCall(
    stash: HeadStash,
    head: HeadView,
    dOc: Float32Array,
    qc: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    dQc: Float32Array,
    dKeys: Float32Array,
    dValues: Float32Array,
  ): AttentionBackwardCall {
    const { headDim: D, kvStride, cope } = this;
    const at = head.base * D;
    const col = head.kvCol;
    const table = cope === null ? null : (cope.params.cope as Float32Array).subarray(head.tableOff);
    const dTable = cope === null ? null : (cope.grads.cope as Float32Array).subarray(head.tableOff);
    return {
      args: [
        dQc.subarray(at), dKeys.subarray(col), dValues.subarray(col), dTable, dOc.subarray(at), qc.subarray(at),
        keys.subarray(col), values.subarray(col), stash.probs, stash.z, stash.blocks, stash.lo, stash.hi, stash.packed,
        table, this.scale, cope?.positions ?? 0, stash.blockCount, D, kvStride, kvStride,
      ],
      group: col / D,
    };
  }
}
