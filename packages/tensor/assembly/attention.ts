// Fused attention of one head over all its blocks of query rows (kernels/attention.ts
// states the contract). Each export is the sequence of existing kernels that the
// per-block calls made, block after block: the same functions with the same arguments
// and the same skips for empty operands, so every bit is what those calls gave. What it
// saves is the JavaScript side: one call marshals a head instead of ~6 (forward) or ~10
// (backward) calls per block, each with its checks, views and copies.
//
// Block records are ATTENTION_BLOCK_FIELDS i32 each (first, count, keyRow, width, probs,
// positions). Pointers are byte offsets; sizes, strides and record fields are elements.
// `scratch` holds the bytes the matching `…ScratchBytes` export asks for; the products
// share its tail, since they run one after another.
//
// At head width 16 the products take the paths of attention-products.ts, with the same
// bits as matmul.ts: the A·Bᵀ ones (scores, `dO·Vᵀ`, CoPE's `q·E`) pack the key or value
// window into strips once per block and the table once per call; the `(count, 16)`
// ones (`P·V`, `dS·K`, `dqe·E`) end a block in a two-row tile.

import { copeBiasForward, copeGatesForward } from './cope';
import { copeBiasBackward } from './cope-backward';
import { NT16_TMP_BYTES, packStrips16, product16, productNT16, stripBytes } from './attention-products';
import { gemmScratchBytes } from './gemm';
import { matmul, matmulNT, matmulTN } from './matmul';
import { maskedSoftmaxBackward, maskedSoftmaxForward } from './softmax';

const FIELDS: i32 = 6;
const FIRST: i32 = 0;
const COUNT: i32 = 1;
const KEY_ROW: i32 = 2;
const WIDTH: i32 = 3;
const PROBS: i32 = 4;
const POSITIONS: i32 = 5;
/** The head width of attention-products.ts. */
const HEAD16: i32 = 16;

// @ts-ignore: decorator
@inline function field(blocks: usize, b: i32, f: i32): i32 {
  return load<i32>(blocks + (<usize>(b * FIELDS + f) << 2));
}

// @ts-ignore: decorator
@inline function align16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

/**
 * Scratch of every product of a block with `count ≤ maxCount` rows, `W ≤ maxWidth` keys,
 * head width D and P table entries: the largest packed-A block of gemm over the inner
 * sizes met (D, W, P, count) and room for any A·Bᵀ panel of D rows by at most
 * `max(W, 64)` columns (matmulNT transposes B whole or 64 columns at a time).
 */
function productBytes(maxCount: i32, maxWidth: i32, D: i32, P: i32): usize {
  const inner = max(max(maxCount, maxWidth), max(D, P));
  return (<usize>D * <usize>max(max(maxWidth, P), 64) << 2) + gemmScratchBytes(inner) + NN16_TMP;
}

/** Bytes of `n` rows packed as strips: the key or value window, the table (width 16 only). */
function stripsBytes(D: i32, n: i32): usize {
  return D == HEAD16 ? align16(stripBytes(n)) : 0;
}

/**
 * Packs rows `done … W − 1` of a window into its strips at `panel` and returns how many
 * columns are now packed in whole strips. Consecutive blocks of a sequence share their
 * first key and only widen, so each block packs just the keys its predecessor did not
 * (and the strip that was partial), instead of the whole window.
 */
function packWindow(panel: usize, b: usize, bRow: usize, W: i32, done: i32): i32 {
  if (W <= done) return done;
  packStrips16(panel + (<usize>done << 6), b + <usize>done * bRow, bRow, W - done);
  return W & ~7;
}

/** Bytes {@link productNN} keeps ahead of gemm's scratch: the tile scratch of attention-products.ts. */
const NN16_TMP: usize = align16(NT16_TMP_BYTES);

/**
 * `C(count, D) (+)= A(count, k)·B(k, D)`, A dense, B rows `bRow` elements apart, as
 * matmul computes it (at width 16 through product16).
 */
function productNN(c: usize, a: usize, b: usize, count: i32, k: i32, D: i32, bRow: i32, accumulate: bool, scratch: usize): void {
  if (D != HEAD16) {
    matmul(c, a, b, count, k, D, accumulate, k, bRow, D, scratch);
    return;
  }
  product16(c, <usize>D << 2, a, <usize>k << 2, 4, b, <usize>bRow << 2, count, k, accumulate, scratch, scratch + NN16_TMP);
}

/**
 * `C(m, D) += Aᵀ·B` with A `(k, m)` dense and B `(k, D)` dense, C rows `cRow` elements
 * apart, as matmulTN computes it (at width 16 through product16).
 */
function productTN(c: usize, a: usize, b: usize, m: i32, k: i32, D: i32, cRow: i32, scratch: usize): void {
  if (D != HEAD16) {
    matmulTN(c, a, b, m, k, D, true, m, D, cRow, scratch);
    return;
  }
  product16(c, <usize>cRow << 2, a, 4, <usize>m << 2, b, <usize>D << 2, m, k, true, scratch, scratch + NN16_TMP);
}

/**
 * `C(count, n) = A·Bᵀ` with A `(count, D)` dense and B `(n, D)` rows `bRow` elements apart,
 * as matmulNT computes it: at width 16 from B's strips (packed by the caller), else
 * matmulNT itself.
 */
function productNT(c: usize, a: usize, b: usize, strips: usize, count: i32, D: i32, n: i32, bRow: i32, scratch: usize): void {
  if (D != HEAD16) {
    matmulNT(c, a, b, count, D, n, false, D, bRow, n, scratch);
    return;
  }
  productNT16(c, <usize>n << 2, a, strips, count, n, scratch);
}

/** Scratch bytes for {@link attentionBlocksForward}: `q·E (maxCount, P)`, then the products'. */
export function attentionForwardScratchBytes(maxCount: i32, maxWidth: i32, D: i32, P: i32): usize {
  return align16(<usize>maxCount * <usize>P << 2) + stripsBytes(D, P) + stripsBytes(D, maxWidth) +
    productBytes(maxCount, maxWidth, D, P);
}

/**
 * Scratch bytes for {@link attentionBlocksBackward}: `dP (maxCount, maxWidth)`, `q·E` and
 * its gradient `(maxCount, P)`, copeBiasBackward's float64 positions (two rows) and
 * `q·E` gradients (two rows, as `[lo, hi]` pairs: `4·P` float64), then the products'.
 */
export function attentionBackwardScratchBytes(maxCount: i32, maxWidth: i32, D: i32, P: i32): usize {
  return align16(<usize>maxCount * <usize>maxWidth << 2) + 2 * align16(<usize>maxCount * <usize>P << 2) +
    align16(<usize>maxWidth << 4) + align16(<usize>P << 5) + stripsBytes(D, P) + stripsBytes(D, maxWidth) +
    productBytes(maxCount, maxWidth, D, P);
}

/** `Σ (hi − lo)` over `count` rows: a block's packed gates. */
function bandTotal(lo: usize, hi: usize, count: i32): i32 {
  let n = 0;
  for (let r = 0; r < count; r++) n += load<i32>(hi + (<usize>r << 2)) - load<i32>(lo + (<usize>r << 2));
  return n;
}

/**
 * Forward of every block: scores, CoPE (when `positions > 0`: gates into `z`, `Pb` into
 * the records), banded softmax into `probs`, `P·V` into `out`. `keysTransposed`: `keys`
 * is `(D, ldk)` and the scores a plain product over it.
 */
export function attentionBlocksForward(
  out: usize, probs: usize, z: usize, blocks: usize, q: usize, keys: usize, values: usize, lo: usize, hi: usize,
  packed: usize, table: usize, scale: f32, positions: i32, keysTransposed: bool, blockCount: i32, D: i32, ldk: i32,
  ldv: i32, scratch: usize,
): void {
  const maxCount = maxField(blocks, blockCount, COUNT);
  const qe = scratch;
  const tableStrips = scratch + align16(<usize>maxCount * <usize>positions << 2);
  const keyStrips = tableStrips + stripsBytes(D, positions);
  const gs = keyStrips + stripsBytes(D, maxField(blocks, blockCount, WIDTH));
  const rowBytes = <usize>D << 2;
  const width16 = D == HEAD16;
  if (width16 && positions > 0) packStrips16(tableStrips, table, <usize>D << 2, positions);
  // The window whose first keys are packed at keyStrips: its first row and packed columns.
  let stripsRow = -1;
  let stripsDone = 0;
  for (let b = 0; b < blockCount; b++) {
    const first = field(blocks, b, FIRST);
    const count = field(blocks, b, COUNT);
    const keyRow = field(blocks, b, KEY_ROW);
    const W = field(blocks, b, WIDTH);
    const rec = blocks + (<usize>(b * FIELDS) << 2);
    if (count == 0) {
      if (positions > 0) store<i32>(rec + (<usize>POSITIONS << 2), 1);
      continue;
    }
    const qb = q + <usize>first * rowBytes;
    const scores = probs + (<usize>field(blocks, b, PROBS) << 2);
    const bandLo = lo + (<usize>first << 2);
    const bandHi = hi + (<usize>first << 2);
    if (W > 0) {
      if (keysTransposed) matmul(scores, qb, keys + (<usize>keyRow << 2), count, D, W, false, D, ldk, W, gs);
      else {
        const kb = keys + (<usize>keyRow * <usize>ldk << 2);
        if (width16) {
          if (keyRow != stripsRow) stripsDone = 0;
          stripsRow = keyRow;
          stripsDone = packWindow(keyStrips, kb, <usize>ldk << 2, W, stripsDone);
        }
        productNT(scores, qb, kb, keyStrips, count, D, W, ldk, gs);
      }
    }
    let softmaxScale = scale;
    if (positions > 0) {
      const gates = z + (<usize>load<i32>(packed + (<usize>first << 2)) << 2);
      const bands = bandTotal(bandLo, bandHi, count);
      const width = bands == 0 ? 1 : copeGatesForward(gates, scores, bandLo, bandHi, positions, count, W);
      productNT(qe, qb, table, tableStrips, count, D, width, D, gs);
      if (bands > 0) copeBiasForward(scores, gates, qe, bandLo, bandHi, scale, positions, width, count, W);
      store<i32>(rec + (<usize>POSITIONS << 2), width);
      softmaxScale = 1;
    }
    if (W > 0) maskedSoftmaxForward(scores, scores, bandLo, bandHi, softmaxScale, count, W);
    if (D > 0) productNN(out + <usize>first * rowBytes, scores, values + (<usize>keyRow * <usize>ldv << 2), count, W, D, ldv, false, gs);
  }
}

/**
 * Backward of {@link attentionBlocksForward} (row-major keys): `dQ` overwritten on the
 * blocks' rows; `dKeys`, `dValues` and, with CoPE, `dTable` accumulate block after block.
 */
export function attentionBlocksBackward(
  dQ: usize, dKeys: usize, dValues: usize, dTable: usize, dOut: usize, q: usize, keys: usize, values: usize,
  probs: usize, z: usize, blocks: usize, lo: usize, hi: usize, packed: usize, table: usize, scale: f32, positions: i32,
  blockCount: i32, D: i32, ldk: i32, ldv: i32, scratch: usize,
): void {
  const maxCount = maxField(blocks, blockCount, COUNT);
  const maxWidth = maxField(blocks, blockCount, WIDTH);
  const dP = scratch;
  const qe = dP + align16(<usize>maxCount * <usize>maxWidth << 2);
  const dqe = qe + align16(<usize>maxCount * <usize>positions << 2);
  const pos = dqe + align16(<usize>maxCount * <usize>positions << 2);
  const dqeRow = pos + align16(<usize>maxWidth << 4);
  const tableStrips = dqeRow + align16(<usize>positions << 5);
  const valueStrips = tableStrips + stripsBytes(D, positions);
  const gs = valueStrips + stripsBytes(D, maxWidth);
  const cope = positions > 0;
  const rowBytes = <usize>D << 2;
  const width16 = D == HEAD16;
  if (width16 && cope) packStrips16(tableStrips, table, <usize>D << 2, positions);
  // The window whose first values are packed at valueStrips (see the forward).
  let stripsRow = -1;
  let stripsDone = 0;
  for (let b = 0; b < blockCount; b++) {
    const first = field(blocks, b, FIRST);
    const count = field(blocks, b, COUNT);
    // An empty block adds nothing anywhere (its products have no inner terms).
    if (count == 0) continue;
    const W = field(blocks, b, WIDTH);
    const keyRow = <usize>field(blocks, b, KEY_ROW);
    const kRow = keys + (keyRow * <usize>ldk << 2);
    const dkRow = dKeys + (keyRow * <usize>ldk << 2);
    const vRow = values + (keyRow * <usize>ldv << 2);
    const dvRow = dValues + (keyRow * <usize>ldv << 2);
    const weights = probs + (<usize>field(blocks, b, PROBS) << 2);
    const qb = q + <usize>first * rowBytes;
    const dOb = dOut + <usize>first * rowBytes;
    const dQb = dQ + <usize>first * rowBytes;
    const bandLo = lo + (<usize>first << 2);
    const bandHi = hi + (<usize>first << 2);
    // dV += Pᵀ·dOb, dP = dOb·Vᵀ.
    if (W > 0 && D > 0) productTN(dvRow, weights, dOb, W, count, D, ldv, gs);
    if (W > 0) {
      if (width16) {
        if (<i32>keyRow != stripsRow) stripsDone = 0;
        stripsRow = <i32>keyRow;
        stripsDone = packWindow(valueStrips, vRow, <usize>ldv << 2, W, stripsDone);
      }
      productNT(dP, dOb, vRow, valueStrips, count, D, W, ldv, gs);
    }
    if (cope) {
      // Softmax backward at scale 1, then CoPE's: the bias path into dQb (overwritten) and
      // the table, `dS·scale` plus the gate path into the raw scores.
      if (W > 0) maskedSoftmaxBackward(dP, weights, dP, bandLo, bandHi, 1, count, W);
      const width = field(blocks, b, POSITIONS);
      const gates = z + (<usize>load<i32>(packed + (<usize>first << 2)) << 2);
      productNT(qe, qb, table, tableStrips, count, D, width, D, gs);
      copeBiasBackward(dP, dqe, gates, qe, bandLo, bandHi, scale, positions, width, count, W, pos, dqeRow);
      if (D > 0) {
        productNN(dQb, dqe, table, count, width, D, D, false, gs);
        productTN(dTable, dqe, qb, width, count, D, D, gs);
      }
    } else if (W > 0) {
      maskedSoftmaxBackward(dP, weights, dP, bandLo, bandHi, scale, count, W);
    }
    // dQb (+)= dS·K, dK += dSᵀ·Qb.
    if (D > 0) productNN(dQb, dP, kRow, count, W, D, ldk, cope, gs);
    if (W > 0 && D > 0) productTN(dkRow, dP, qb, W, count, D, ldk, gs);
  }
}

/** The largest field `f` over the records of non-empty blocks (as the wrapper sized the scratch). */
function maxField(blocks: usize, blockCount: i32, f: i32): i32 {
  let m = 0;
  for (let b = 0; b < blockCount; b++) {
    if (field(blocks, b, COUNT) > 0) m = max(m, field(blocks, b, f));
  }
  return m;
}
