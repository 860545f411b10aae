/**
 * How one head's active rows are cut into blocks for batched attention (head-block.ts):
 * a block is a run of active rows of one sequence whose positions lie within
 * {@link BLOCK_SPAN} of each other. Its queries meet one contiguous range of keys, the
 * union of the rows' visible ranges, so scores, softmax and `A·V` of the whole block
 * are three products on a `(count, W)` rectangle (all blocks of a head go to the fused
 * attention kernels in one call); each row's band inside it (its visible keys `lo … t`)
 * is what the masked softmax reads.
 *
 * The span bounds the padding: a row at position `t` of a block starting at `t0` pays
 * for at most `t0 + SPAN − t − 1` masked columns, so for long contexts the rectangle is
 * close to the causal triangle, whatever fraction of rows the head runs on.
 *
 * Shapes: `count` active rows of the head, `W` the block width (keys), P CoPE positions.
 *
 * @packageDocumentation
 */
import { ATTENTION_BLOCK_FIELDS, AttentionBlock, type Workspace } from '@moh/tensor';
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

/**
 * Positions one block may span. 32 keeps the padding of a T = 512 causal pass near 6 %
 * while the blocks stay tall enough for the matrix kernels (measured against 16 and 64).
 */
export const BLOCK_SPAN = 32;

/**
 * Fields of one block record in {@link HeadStash.blocks}, `BLOCK_FIELDS` ints each: the
 * records the fused attention kernels of `@moh/tensor` read (`AttentionBlock`), so that a
 * head's blocks go to them as planned. `first` indexes the head's active-row list,
 * `keyRow` the K/V buffers, `probs` {@link HeadStash.probs}; CoPE's `positions` (`Pb`,
 * its `q·E` is `(count, Pb)`) is written by the forward.
 */
export const Block = AttentionBlock;

/** Ints per block record. */
export const BLOCK_FIELDS = ATTENTION_BLOCK_FIELDS;

/** What one head's blocks of a forward keep for the backward, grown on demand. */
export interface HeadStash {
  /** Blocks in use. */
  blockCount: number;
  /** `(blocks, BLOCK_FIELDS)` block records (see {@link Block}). */
  blocks: Int32Array;
  /** `(count)`: each row's band `[lo, hi)` in its block's columns. */
  lo: Int32Array;
  hi: Int32Array;
  /** `(Σ count·W)`: attention weights, one rectangle per block, 0 outside the bands. */
  probs: Float32Array;
  /** `(count + 1)`: start of each row's band in the packed CoPE gates. */
  packed: Int32Array;
  /** `(Σ L)`: CoPE gates, band after band (empty without CoPE). */
  z: Float32Array;
}

/** An empty stash. */
export function emptyStash(): HeadStash {
  return {
    blockCount: 0,
    blocks: new Int32Array(0),
    lo: new Int32Array(0),
    hi: new Int32Array(0),
    probs: new Float32Array(0),
    packed: new Int32Array(1),
    z: new Float32Array(0),
  };
}

/** Returns a stash's buffers to `workspace`. */
export function releaseStash(stash: HeadStash, workspace: Workspace): void {
  for (const buffer of [stash.blocks, stash.lo, stash.hi, stash.probs, stash.packed, stash.z]) workspace.release(buffer);
  Object.assign(stash, emptyStash());
}

/** Position of pass row `row` in its sequence. */
function positionOf(row: number, layout: PassLayout): number {
  return layout.startPos + (row % layout.rowsPerSeq);
}

/**
 * Cuts the ascending active `rows` of one head into blocks and sizes the stash for them
 * (`positions` > 0: with CoPE, whose packed arrays are sized too). Arrays come from
 * `workspace` and only grow, so steady-state training allocates nothing here.
 */
export function planBlocks(
  stash: HeadStash,
  rows: Int32Array,
  layout: PassLayout,
  window: number | null,
  positions: number,
  workspace: Workspace,
): void {
  const count = rows.length;
  const { rowsPerSeq, kvRowsPerSeq } = layout;
  stash.lo = workspace.growInt32(stash.lo, count);
  stash.hi = workspace.growInt32(stash.hi, count);
  stash.packed = workspace.growInt32(stash.packed, count + 1);
  stash.blocks = workspace.growInt32(stash.blocks, count * BLOCK_FIELDS);
  const { lo, hi, packed, blocks } = stash;
  let blockCount = 0;
  let probs = 0;
  let bands = 0;
  let r = 0;
  while (r < count) {
    const first = r;
    const seq = Math.floor(rows[r] / rowsPerSeq);
    const t0 = positionOf(rows[r], layout);
    const base = firstVisibleKey(t0, window);
    let last = t0;
    for (; r < count && Math.floor(rows[r] / rowsPerSeq) === seq; r++) {
      const t = positionOf(rows[r], layout);
      if (t - t0 >= BLOCK_SPAN) break;
      last = t;
      lo[r] = firstVisibleKey(t, window) - base;
      hi[r] = t + 1 - base;
      packed[r] = bands;
      bands += hi[r] - lo[r];
    }
    const width = last + 1 - base;
    const o = blockCount * BLOCK_FIELDS;
    blocks[o + Block.first] = first;
    blocks[o + Block.count] = r - first;
    blocks[o + Block.keyRow] = seq * kvRowsPerSeq + base;
    blocks[o + Block.width] = width;
    blocks[o + Block.probs] = probs;
    blocks[o + Block.positions] = 0;
    probs += (r - first) * width;
    blockCount++;
  }
  packed[count] = bands;
  stash.blockCount = blockCount;
  stash.probs = workspace.grow(stash.probs, probs);
  if (positions > 0) stash.z = workspace.grow(stash.z, bands);
}
