/**
 * Argument checks of the fused attention kernels (`kernels/attention.ts`), shared by both
 * backends so that they reject the same calls: inside WebAssembly a block record or band
 * past its arrays would read or write other tensors. The walk also measures what the
 * blocks span, which the fast backend needs to marshal the arrays and size its scratch.
 *
 * @internal
 */
import { ATTENTION_BLOCK_FIELDS, AttentionBlock } from '../kernels/attention.js';
import { checkCopeTable } from './bands.js';
import { checkSizes, rowExtent } from './fast/shapes.js';

/** What the blocks of one call read and write, in elements, and their largest block. */
export interface BlockExtents {
  /** Rows of `q`, `out`, `lo`, `hi`, `packed` the blocks use (one past the last). */
  readonly rows: number;
  /** Elements of `probs` spanned. */
  readonly probs: number;
  /** Elements of the packed gates `z` spanned (0 without CoPE). */
  readonly gates: number;
  /** Elements of `keys` (and `dKeys`) spanned. */
  readonly keys: number;
  /** Elements of `values` (and `dValues`) spanned. */
  readonly values: number;
  /** Most rows in one block. */
  readonly maxCount: number;
  /** Most keys in one block. */
  readonly maxWidth: number;
}

/** The layout of one call, as the kernels receive it. */
export interface BlockLayout {
  readonly blocks: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly packed: Int32Array;
  readonly scale: number;
  /** CoPE positions P, or 0 without CoPE. */
  readonly positions: number;
  readonly keysTransposed: boolean;
  readonly blockCount: number;
  readonly headDim: number;
  readonly ldk: number;
  readonly ldv: number;
  /** Whether each record's `positions` field must already hold a valid `Pb` (the backward). */
  readonly tableWidths: boolean;
}

/**
 * Throws a `RangeError` unless each array holds the elements the blocks reach: the fast
 * backend's marshalling rejects a short array by itself, the reference needs this check
 * to reject the same calls (a typed-array view would read past its end as `undefined`).
 */
export function checkLengths(arrays: Record<string, [Float32Array | Int32Array | null, number]>): void {
  for (const [name, [array, need]] of Object.entries(arrays)) {
    if (array !== null && array.length < need) throw new RangeError(`${name} has ${array.length} elements where ${need} are needed.`);
  }
}

/**
 * Checks every block record and band (a `RangeError` otherwise) and returns what the
 * blocks span. Bands must lie inside `[0, W]` of their block; with CoPE the gates of a
 * block start at `packed[first]`.
 */
export function checkAttentionBlocks(layout: BlockLayout): BlockExtents {
  const { blocks, lo, hi, packed, scale, positions, keysTransposed, blockCount, headDim: D, ldk, ldv } = layout;
  checkSizes(blockCount, D, ldk, ldv, positions);
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`The attention scale must be positive and finite, got ${scale}.`);
  if (blocks.length < blockCount * ATTENTION_BLOCK_FIELDS) {
    throw new RangeError(`${blockCount} block records need ${blockCount * ATTENTION_BLOCK_FIELDS} ints, got ${blocks.length}.`);
  }
  const cope = positions > 0;
  let rows = 0;
  let probs = 0;
  let gates = 0;
  let keys = 0;
  let values = 0;
  let maxCount = 0;
  let maxWidth = 0;
  for (let b = 0; b < blockCount; b++) {
    const rec = b * ATTENTION_BLOCK_FIELDS;
    const first = blocks[rec + AttentionBlock.first];
    const count = blocks[rec + AttentionBlock.count];
    const keyRow = blocks[rec + AttentionBlock.keyRow];
    const W = blocks[rec + AttentionBlock.width];
    const at = blocks[rec + AttentionBlock.probs];
    if (first < 0 || count < 0 || keyRow < 0 || W < 0 || at < 0) {
      throw new RangeError(`Block ${b} has a negative field: [${Array.from(blocks.subarray(rec, rec + ATTENTION_BLOCK_FIELDS))}].`);
    }
    if (cope && layout.tableWidths) checkCopeTable(positions, blocks[rec + AttentionBlock.positions]);
    if (count === 0) continue;
    // checkBands' rule, inline: a decode step calls this per head for one row, and views
    // of lo/hi per block would cost more than the check.
    if (lo.length < first + count || hi.length < first + count) {
      throw new RangeError(`Block ${b} needs bands for rows ${first} … ${first + count - 1}; the lists have ${lo.length} and ${hi.length}.`);
    }
    for (let r = first; r < first + count; r++) {
      if (!(lo[r] >= 0 && lo[r] <= hi[r] && hi[r] <= W)) throw new RangeError(`Row ${r} has the band [${lo[r]}, ${hi[r]}), not inside [0, ${W}].`);
    }
    rows = Math.max(rows, first + count);
    probs = Math.max(probs, at + count * W);
    maxCount = Math.max(maxCount, count);
    maxWidth = Math.max(maxWidth, W);
    if (cope) {
      if (packed.length < first + count || packed[first] < 0) throw new RangeError(`Block ${b} has no valid start in packed.`);
      let n = packed[first];
      for (let r = first; r < first + count; r++) n += hi[r] - lo[r];
      gates = Math.max(gates, n);
    }
    if (W === 0 || D === 0) continue;
    keys = Math.max(keys, keysTransposed ? (D - 1) * ldk + keyRow + W : (keyRow + W - 1) * ldk + D);
    values = Math.max(values, (keyRow + W - 1) * ldv + D);
  }
  return { rows, probs, gates, keys, values, maxCount, maxWidth };
}

/**
 * Checks a head-gate call (`headGateForward`/`Backward`) for both backends: sizes, the
 * head, and that every listed row lies inside the wide arrays (`wide` elements, `(·, heads·D)`),
 * the gates (`gates` elements) and the compact ones (`compact` elements, `(count, D)`).
 * Returns the rows the call spans (one past the largest listed row).
 */
export function checkHeadGate(
  wide: number, gates: number, compact: number, rows: Int32Array, head: number, count: number, heads: number, headDim: number,
): number {
  checkSizes(head, count, heads, headDim);
  if (head >= heads) throw new RangeError(`head ${head} is not one of ${heads} heads.`);
  const extent = rowExtent(rows, count);
  if (wide < extent * heads * headDim || gates < extent * heads || compact < count * headDim) {
    throw new RangeError('A kernel argument has fewer elements than the rows and heads need.');
  }
  return extent;
}
