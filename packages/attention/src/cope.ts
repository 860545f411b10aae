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
  /** `(count + 1)` start of each band in `z`/`pos` (absolute indices). */
  readonly packed: Int32Array;
  /** Index of the block's first row in `lo`, `hi`, `packed`. */
  readonly first: number;
}

/** Where a block's CoPE values live. */
export interface CopeSlots {
  /** `(Σ L)` the head's packed gates (kept for the backward). */
  readonly z: Float32Array;
  /** `(≥ Σ L of the block)` scratch: the block's unclamped positions, from its first band on. */
  readonly pos: Float64Array;
}

/**
 * Writes the unclamped positions `Σ_{m=j..i} z_m` of the block's bands into `pos`
 * (relative to the block's first band) and returns `Pb`, the table entries the block
 * reads. Forward and backward both call it, so they see the very same positions.
 */
function blockPositions(block: CopeBlock, z: Float32Array, pos: Float64Array, positions: number): number {
  const { count, packed, first } = block;
  const start = packed[first];
  let top = 0;
  for (let r = 0; r < count; r++) {
    const i = first + r;
    let acc = 0;
    for (let j = packed[i + 1] - 1; j >= packed[i]; j--) {
      acc += z[j];
      pos[j - start] = acc;
    }
    top = Math.max(top, maxIndex(pos[packed[i] - start], positions));
  }
  return top + 1;
}

/** The highest table index a row whose first key has position `pos0` reads. */
function maxIndex(pos0: number, positions: number): number {
  return Math.min(positions - 1, Math.ceil(Math.min(pos0, positions - 1)));
}

/**
 * Turns the block's raw dot products `scores` (in place, on the bands) into
 * `qk·scale + c_j`, filling the packed gates and positions and writing `q·E` into
 * `qe (count, Pb)`. Returns `Pb`.
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
  slots: CopeSlots,
  qe: Float32Array,
): number {
  const { count, width: W, lo, hi, packed, first } = block;
  const { z, pos } = slots;
  const start = packed[first];
  for (let r = 0; r < count; r++) {
    const i = first + r;
    z.set(scores.subarray(r * W + lo[i], r * W + hi[i]), packed[i]);
  }
  const bands = z.subarray(start, packed[first + count]);
  kernels.sigmoidForward(bands, bands, bands.length);
  const width = blockPositions(block, z, pos, positions);
  kernels.matmulNT(qe, qb, table().subarray(tableOff), count, headDim, width);
  const last = positions - 1;
  for (let r = 0; r < count; r++) {
    const i = first + r;
    const row = r * W + lo[i] - packed[i];
    const e = r * width;
    for (let j = packed[i]; j < packed[i + 1]; j++) {
      const p = Math.min(pos[j - start], last);
      const low = Math.floor(p);
      const phi = p - low;
      const bias = (1 - phi) * qe[e + low] + phi * qe[e + Math.ceil(p)];
      scores[row + j] = scores[row + j] * scale + bias;
    }
  }
  return width;
}

/** Scratch of {@link copeBlockBackward}, grown by the caller. */
export interface CopeScratch {
  /** `(≥ count·Pb)`: the block's `q·E`, recomputed. */
  readonly qe: Float32Array;
  /** `(≥ Σ L of the block)`: position, then gate gradients. */
  readonly dz: Float32Array;
  /** `(P)`: one row's gradient of `q·E`, accumulated in float64. */
  readonly dqeRow: Float64Array;
  /** `(≥ count·Pb)`: the block's gradient of `q·E`. */
  readonly dqe: Float32Array;
}

/**
 * Backward of {@link copeBlockForward}, whose `Pb` is `qeWidth`. `dS` holds the score
 * gradients on the bands; it is turned in place into the gradient of the raw dot products (`dS·scale` plus the
 * gate path). Writes `dqb (count, D)` (overwritten) with the bias path into `q`, and
 * accumulates `dqeᵀ·Qb` into `dTable`.
 */
export function copeBlockBackward(
  kernels: Kernels,
  table: () => Float32Array,
  dTable: () => Float32Array,
  tableOff: number,
  positions: number,
  headDim: number,
  qb: Float32Array,
  dS: Float32Array,
  scale: number,
  block: CopeBlock,
  slots: CopeSlots,
  qeWidth: number,
  dqb: Float32Array,
  scratch: CopeScratch,
): void {
  const { count, width: W, lo, hi, packed, first } = block;
  const { z, pos } = slots;
  const { dqeRow, dqe, qe } = scratch;
  const start = packed[first];
  blockPositions(block, z, pos, positions);
  kernels.matmulNT(qe, qb, table().subarray(tableOff), count, headDim, qeWidth);
  const dz = scratch.dz.subarray(0, packed[first + count] - start);
  const last = positions - 1;
  for (let r = 0; r < count; r++) {
    const i = first + r;
    const row = r * W + lo[i] - packed[i];
    const e = r * qeWidth;
    dqeRow.fill(0, 0, qeWidth);
    for (let j = packed[i]; j < packed[i + 1]; j++) {
      const p = Math.min(pos[j - start], last);
      const low = Math.floor(p);
      const high = Math.ceil(p);
      const phi = p - low;
      const g = dS[row + j];
      dqeRow[low] += g * (1 - phi);
      dqeRow[high] += g * phi;
      // Past the clamp the position no longer moves with the gates.
      dz[j - start] = pos[j - start] > last ? 0 : g * (qe[e + high] - qe[e + low]);
    }
    for (let p = 0; p < qeWidth; p++) dqe[e + p] = dqeRow[p];
    // p_j sums z_m for m ≥ j, so z_m collects the position gradients of every j ≤ m.
    let acc = 0;
    for (let j = packed[i] - start; j < packed[i + 1] - start; j++) {
      acc += dz[j];
      dz[j] = acc;
    }
  }
  kernels.sigmoidBackward(dz, z.subarray(start, start + dz.length), dz, dz.length);
  for (let r = 0; r < count; r++) {
    const i = first + r;
    const row = r * W + lo[i];
    const n = hi[i] - lo[i];
    const off = packed[i] - start;
    for (let j = 0; j < n; j++) dS[row + j] = dS[row + j] * scale + dz[off + j];
  }
  kernels.matmul(dqb, dqe, table().subarray(tableOff), count, qeWidth, headDim);
  kernels.matmulTN(dTable().subarray(tableOff), dqe, qb, qeWidth, count, headDim, true);
}
