/**
 * Contextual position encoding (CoPE, Golovneva et al. 2024; SPEC §3) for a block of
 * query rows of one head (see blocks.ts). For row `i` and its visible keys
 * `j = lo … i` (`L` of them, index 0 is `lo`):
 *
 * - gate `z_j = σ(q·k_j)` on the raw dot product;
 * - position `p_j = Σ_{m=j..i} z_m` (a suffix sum: the key itself and every later one),
 *   clamped to `P − 1`;
 * - bias `c_j = (1 − φ)·q·E[⌊p⌋] + φ·q·E[⌈p⌉]` with `φ = p − ⌊p⌋`.
 *
 * `q·E[p]` is one product per block, for `p = 0 … Pb − 1` where `Pb − 1` is the highest
 * entry any row of the block reaches (`min(P−1, ⌈p_lo⌉)`), not one per (row, key) pair.
 * The gates of every band are packed one after another, so a single sigmoid covers the
 * block's visible keys and nothing else. Gradients reach q (bias and gates), k (gates)
 * and E.
 *
 * The per-key loops (gates, positions, interpolation and their gradients) are the
 * kernels `copeGatesForward`, `copeBiasForward` and `copeBiasBackward` of `@moh/tensor`
 * (WebAssembly on the fast backend); this file states a block's calls around the two
 * table products. The layer runs the very same steps, and their backward, inside the
 * fused kernels `attentionBlocksForward` / `attentionBlocksBackward` of `@moh/tensor`
 * (all of a head's blocks in one call; see head-block.ts), whose specs hold them to the
 * per-block kernel sequence bit for bit.
 *
 * Memory: only the gates are kept for the backward. Positions (suffix sums of the gates)
 * and `q·E` are recomputed there by the same arithmetic, which is cheap next to the
 * 12 bytes per (row, key, head) that keeping them cost at long contexts.
 *
 * Shapes: P positions, D head width; the block's scores are a `(count, W)` rectangle
 * with row `r`'s band at columns `lo[r] … hi[r]−1`; `Qb (count, D)`; `table()` returns
 * the `(H, P, D)` tables and `tableOff = h·P·D` selects the head's `E`. Tables come as
 * getters, read at each kernel call: without shared WebAssembly memory a kernel call may
 * grow the memory and detach a view taken earlier.
 *
 * @packageDocumentation
 */
import type { Kernels } from '@moh/tensor';

/** The block a CoPE step works on: its rows' bands and where their packed values live. */
export interface CopeBlock {
  /** Rows of the block. */
  readonly count: number;
  /** Columns W of its score rectangle. */
  readonly width: number;
  /** `(count)` bands, relative to the rectangle. */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** `(count + 1)` start of each band in `z` (absolute indices). */
  readonly packed: Int32Array;
  /** Index of the block's first row in `lo`, `hi`, `packed`. */
  readonly first: number;
}

/** The block's bands and its stretch of the head's packed gates `z (Σ L)`. */
function blockBands(block: CopeBlock, z: Float32Array): { lo: Int32Array; hi: Int32Array; gates: Float32Array } {
  const { count, lo, hi, packed, first } = block;
  return {
    lo: lo.subarray(first, first + count),
    hi: hi.subarray(first, first + count),
    gates: z.subarray(packed[first], packed[first + count]),
  };
}

/**
 * Turns the block's raw dot products `scores` (in place, on the bands) into
 * `qk·scale + c_j`, filling the block's packed gates in `z (Σ L)` (kept for the
 * backward) and writing `q·E` into `qe (count, Pb)`. Returns `Pb`.
 */
export function copeBlockForward(
  kernels: Kernels,
  table: () => Float32Array,
  tableOff: number,
  positions: number,
  headDim: number,
  qb: Float32Array,
  scores: Float32Array,
  scale: number,
  block: CopeBlock,
  z: Float32Array,
  qe: Float32Array,
): number {
  const { count, width: W } = block;
  const { lo, hi, gates } = blockBands(block, z);
  const width = kernels.copeGatesForward(gates, scores, lo, hi, positions, count, W);
  kernels.matmulNT(qe, qb, table().subarray(tableOff), count, headDim, width);
  kernels.copeBiasForward(scores, gates, qe, lo, hi, scale, positions, width, count, W);
  return width;
}
