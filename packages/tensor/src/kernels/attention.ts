/**
 * The fused attention kernels of `Kernels`: every block of one head in one call.
 * Conventions: see `kernels.ts`.
 *
 * A head's attention runs over blocks of its active query rows (`@moh/attention` plans
 * them): block `b` is `count` consecutive rows of the head's compact `(rows, D)` queries,
 * starting at row `first`, that meet one contiguous range of `W` keys starting at K/V
 * row `keyRow`; row `r` of the block sees the band `lo[first + r] ≤ j < hi[first + r]` of
 * that range. Per block, the forward is the sequence of existing kernels
 *
 * 1. `S = Qb·Kᵀ` (`matmulNT` on row-major keys; `matmul` on transposed ones),
 * 2. with CoPE: `copeGatesForward`, `q·E` (`matmulNT`) and `copeBiasForward`,
 * 3. `maskedSoftmaxForward` (scale `1/√D` folded into CoPE's bias step when enabled),
 * 4. `Ob = P·V` (`matmul`),
 *
 * and the backward is the reverse sequence. Each fused kernel is exactly that
 * composition, block after block, so its results are the per-block calls' bits; fusing
 * saves the marshalling and checks of ~6 (forward) and ~10 (backward) calls per block.
 *
 * Shapes: D head width, P CoPE positions, `rows` the head's active rows. Block records
 * are `(blockCount, ATTENTION_BLOCK_FIELDS)` ints, laid out as {@link AttentionBlock}.
 * `q`, `out`, `dOut`, `dQ` are `(rows, D)`; `lo`, `hi`, `packed` `(rows)`; `probs`
 * `(Σ count·W)`, one `(count, W)` rectangle per block at its record's `probs`; `z`
 * `(Σ band lengths)`, the CoPE gates, band after band, row `i`'s band from `packed[i]`;
 * `table`, `dTable` `(P, D)`. Keys and values are K/V rows of stride `ldk`/`ldv` (pass
 * `keys.subarray(column)` for a head's group), or transposed keys `(D, ldk)`: column `c`
 * of K/V row `j` at `c·ldk + j`.
 *
 * @packageDocumentation
 */

/** Fields of one block record of the fused attention kernels, `ATTENTION_BLOCK_FIELDS` ints each. */
export const AttentionBlock = {
  /** The block's first row in the head's rows (of `q`, `lo`, `hi`, `packed`, `out`). */
  first: 0,
  /** Rows in the block. */
  count: 1,
  /** K/V row of the block's first key (column 0 of its rectangle). */
  keyRow: 2,
  /** Keys W, the rectangle's width. */
  width: 3,
  /** Start of the block's `(count, W)` weights in `probs`. */
  probs: 4,
  /** CoPE: table entries the block reads, `Pb` (written by the forward, read by the backward). */
  positions: 5,
} as const;

/** Ints per block record (see {@link AttentionBlock}). */
export const ATTENTION_BLOCK_FIELDS = 6;

/** Attention of one head over all its blocks of query rows, forward and backward, and the gating of its outputs. */
export interface AttentionKernels {
  /**
   * A head's gated outputs into the wide layout: `out[rows[r], head·D + c] =
   * gates[rows[r]·heads + head] · o[r, c]` for `r < count`, `c < D`, with `o` the head's
   * compact `(count, D)` rows and `out` `(·, heads·D)`; nothing else of `out` is written.
   * Each product is rounded once. A `RangeError` for a row index outside the arrays.
   */
  headGateForward(
    out: Float32Array,
    o: Float32Array,
    gates: Float32Array,
    rows: Int32Array,
    head: number,
    count: number,
    heads: number,
    headDim: number,
  ): void;
  /**
   * Backward of {@link AttentionKernels.headGateForward}: overwrites `dO[r, c] =
   * gate · dOut[rows[r], head·D + c]` and `dGates[rows[r]·heads + head] = Σ_c
   * dOut[rows[r], head·D + c] · o[r, c]` (summed in float64 in the order of c, rounded
   * once); other entries of `dGates` are left as they are.
   */
  headGateBackward(
    dGates: Float32Array,
    dO: Float32Array,
    dOut: Float32Array,
    o: Float32Array,
    gates: Float32Array,
    rows: Int32Array,
    head: number,
    count: number,
    heads: number,
    headDim: number,
  ): void;
  /**
   * Forward of every block: writes each block's attention weights into `probs` (0
   * outside the bands) and its outputs `P·V` into its rows of `out` (overwritten). With a
   * CoPE `table` (`null`: plain scaled softmax), also packs the gates into `z` and writes
   * each block's `Pb` into its record's `positions` field; the scores are then
   * `scale·q·k + c` under a softmax of scale 1, else `q·k` under a softmax of scale
   * `scale`. `keysTransposed`: `keys` is `(D, ldk)` (a KV cache's transposed keys), read
   * by a plain product; both layouts sum each score over D in order, so the bits agree.
   * Bands as for {@link Kernels.maskedSoftmaxForward}, inside `[0, W]`; a `RangeError`
   * for a band, record or size that would read or write outside the arrays.
   */
  attentionBlocksForward(
    out: Float32Array,
    probs: Float32Array,
    z: Float32Array,
    blocks: Int32Array,
    q: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    lo: Int32Array,
    hi: Int32Array,
    packed: Int32Array,
    table: Float32Array | null,
    scale: number,
    positions: number,
    keysTransposed: boolean,
    blockCount: number,
    headDim: number,
    ldk: number,
    ldv: number,
  ): void;
  /**
   * Backward of {@link AttentionKernels.attentionBlocksForward} (row-major keys), from its
   * `probs`, `z` and block records: overwrites `dQ` on the blocks' rows, adds the key and
   * value gradients into `dKeys` (stride `ldk`) and `dValues` (stride `ldv`), and with
   * CoPE adds the table gradient into `dTable`, block after block (parameter gradients
   * accumulate).
   */
  attentionBlocksBackward(
    dQ: Float32Array,
    dKeys: Float32Array,
    dValues: Float32Array,
    dTable: Float32Array | null,
    dOut: Float32Array,
    q: Float32Array,
    keys: Float32Array,
    values: Float32Array,
    probs: Float32Array,
    z: Float32Array,
    blocks: Int32Array,
    lo: Int32Array,
    hi: Int32Array,
    packed: Int32Array,
    table: Float32Array | null,
    scale: number,
    positions: number,
    blockCount: number,
    headDim: number,
    ldk: number,
    ldv: number,
  ): void;
  /**
   * Several heads' {@link AttentionKernels.attentionBlocksForward}, each call with the
   * bits it has alone. Calls of one `group` run in list order; a backend with a helper
   * thread runs some groups there meanwhile (the calls must not write what another
   * group's read or write).
   */
  attentionHeadsForward(calls: readonly AttentionForwardCall[]): void;
  /**
   * Several heads' {@link AttentionKernels.attentionBlocksBackward}, as
   * {@link AttentionKernels.attentionHeadsForward}: the heads of one KV group share one
   * `group`, since they add into the same key and value gradients, in list order.
   */
  attentionHeadsBackward(calls: readonly AttentionBackwardCall[]): void;
}

/** One head's {@link AttentionKernels.attentionBlocksForward}: its arguments, and the group it runs in. */
export interface AttentionForwardCall {
  readonly args: Parameters<AttentionKernels['attentionBlocksForward']>;
  /** Calls of one group run on one thread, in list order. */
  readonly group: number;
}

/** One head's {@link AttentionKernels.attentionBlocksBackward}: its arguments, and the group it runs in. */
export interface AttentionBackwardCall {
  readonly args: Parameters<AttentionKernels['attentionBlocksBackward']>;
  /** Calls of one group run on one thread, in list order. */
  readonly group: number;
}
