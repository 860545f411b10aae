/**
 * Reference fused attention (`kernels/attention.ts`): the loop over one head's blocks,
 * each block the sequence of existing kernels that defines it. The kernels are those of
 * the object the fused kernel is called on (`this`), so a backend wrapped to count or
 * time its kernels (as the sparsity specs do) sees every step of every block; called
 * unbound, it composes the reference kernels.
 *
 * Shapes: see `kernels/attention.ts`.
 *
 * @packageDocumentation
 */
import type { Kernels } from '../../kernels.js';
import { ATTENTION_BLOCK_FIELDS, AttentionBlock, type AttentionBackwardCall, type AttentionForwardCall } from '../../kernels/attention.js';
import { checkAttentionBlocks, checkHeadGate, checkLengths } from '../attention-blocks.js';
import { copeBiasBackward, copeBiasForward, copeGatesForward } from './cope.js';
import { matmul, matmulNT, matmulTN } from './matmul.js';
import { maskedSoftmaxBackward, maskedSoftmaxForward } from './softmax.js';

/** The kernels a block is made of. */
export type BlockSteps = Pick<
  Kernels,
  | 'matmul'
  | 'matmulNT'
  | 'matmulTN'
  | 'maskedSoftmaxForward'
  | 'maskedSoftmaxBackward'
  | 'copeGatesForward'
  | 'copeBiasForward'
  | 'copeBiasBackward'
>;

const REFERENCE_STEPS: BlockSteps = {
  matmul,
  matmulNT,
  matmulTN,
  maskedSoftmaxForward,
  maskedSoftmaxBackward,
  copeGatesForward,
  copeBiasForward,
  copeBiasBackward,
};

/** See `AttentionKernels.attentionBlocksForward`. */
export function attentionBlocksForward(
  this: BlockSteps | undefined,
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
): void {
  const k = this ?? REFERENCE_STEPS;
  const P = table === null ? 0 : positions;
  const D = headDim;
  const e = checkAttentionBlocks({
    blocks, lo, hi, packed, scale, positions: P, keysTransposed, blockCount, headDim, ldk, ldv, tableWidths: false,
  });
  const rows = e.rows * D;
  checkLengths({
    out: [out, rows], probs: [probs, e.probs], z: [z, e.gates], q: [q, rows], keys: [keys, e.keys], values: [values, e.values],
    table: [table, P * D],
  });
  const maxCount = e.maxCount;
  const qe = new Float32Array(maxCount * P);
  for (let b = 0; b < blockCount; b++) {
    const rec = b * ATTENTION_BLOCK_FIELDS;
    const first = blocks[rec + AttentionBlock.first];
    const count = blocks[rec + AttentionBlock.count];
    const keyRow = blocks[rec + AttentionBlock.keyRow];
    const W = blocks[rec + AttentionBlock.width];
    const at = blocks[rec + AttentionBlock.probs];
    const qb = q.subarray(first * D, (first + count) * D);
    const scores = probs.subarray(at, at + count * W);
    if (keysTransposed) k.matmul(scores, qb, keys.subarray(keyRow), count, D, W, false, D, ldk, W);
    else k.matmulNT(scores, qb, keys.subarray(keyRow * ldk), count, D, W, false, D, ldk, W);
    const bandLo = lo.subarray(first, first + count);
    const bandHi = hi.subarray(first, first + count);
    let softmaxScale = scale;
    if (table !== null) {
      const gates = count === 0 ? z.subarray(0, 0) : z.subarray(packed[first]);
      const width = k.copeGatesForward(gates, scores, bandLo, bandHi, P, count, W);
      k.matmulNT(qe, qb, table, count, D, width);
      k.copeBiasForward(scores, gates, qe, bandLo, bandHi, scale, P, width, count, W);
      blocks[rec + AttentionBlock.positions] = width;
      softmaxScale = 1;
    }
    k.maskedSoftmaxForward(scores, scores, bandLo, bandHi, softmaxScale, count, W);
    k.matmul(out.subarray(first * D), scores, values.subarray(keyRow * ldv), count, W, D, false, W, ldv, D);
  }
}

/** See `AttentionKernels.attentionBlocksBackward`. */
export function attentionBlocksBackward(
  this: BlockSteps | undefined,
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
): void {
  const k = this ?? REFERENCE_STEPS;
  const cope = table !== null && dTable !== null;
  const P = cope ? positions : 0;
  const D = headDim;
  const e = checkAttentionBlocks({
    blocks, lo, hi, packed, scale, positions: P, keysTransposed: false, blockCount, headDim, ldk, ldv, tableWidths: true,
  });
  const rows = e.rows * D;
  checkLengths({
    dQ: [dQ, rows], dKeys: [dKeys, e.keys], dValues: [dValues, e.values], dTable: [dTable, P * D], dOut: [dOut, rows],
    q: [q, rows], keys: [keys, e.keys], values: [values, e.values], probs: [probs, e.probs], z: [z, e.gates],
    table: [table, P * D],
  });
  const { maxCount, maxWidth } = e;
  const dP = new Float32Array(maxCount * maxWidth);
  const qe = new Float32Array(maxCount * P);
  const dqe = new Float32Array(maxCount * P);
  for (let b = 0; b < blockCount; b++) {
    const rec = b * ATTENTION_BLOCK_FIELDS;
    const first = blocks[rec + AttentionBlock.first];
    const count = blocks[rec + AttentionBlock.count];
    const W = blocks[rec + AttentionBlock.width];
    const kv = blocks[rec + AttentionBlock.keyRow];
    const at = blocks[rec + AttentionBlock.probs];
    const qb = q.subarray(first * D, (first + count) * D);
    const dOb = dOut.subarray(first * D, (first + count) * D);
    const dQb = dQ.subarray(first * D, (first + count) * D);
    const weights = probs.subarray(at, at + count * W);
    const bandLo = lo.subarray(first, first + count);
    const bandHi = hi.subarray(first, first + count);
    // dV += Pᵀ·dOb, dP = dOb·Vᵀ.
    k.matmulTN(dValues.subarray(kv * ldv), weights, dOb, W, count, D, true, W, D, ldv);
    k.matmulNT(dP, dOb, values.subarray(kv * ldv), count, D, W, false, D, ldv, W);
    if (cope) {
      // The softmax backward at scale 1, then CoPE's: dS·scale plus the gate path into the
      // raw scores, the bias path into dQb (overwritten) and the table.
      k.maskedSoftmaxBackward(dP, weights, dP, bandLo, bandHi, 1, count, W);
      const width = blocks[rec + AttentionBlock.positions];
      const gates = count === 0 ? z.subarray(0, 0) : z.subarray(packed[first]);
      k.matmulNT(qe, qb, table, count, D, width);
      k.copeBiasBackward(dP, dqe, gates, qe, bandLo, bandHi, scale, P, width, count, W);
      k.matmul(dQb, dqe, table, count, width, D);
      k.matmulTN(dTable, dqe, qb, width, count, D, true);
    } else {
      k.maskedSoftmaxBackward(dP, weights, dP, bandLo, bandHi, scale, count, W);
    }
    // dQb (+)= dS·K, dK += dSᵀ·Qb.
    k.matmul(dQb, dP, keys.subarray(kv * ldk), count, W, D, cope, W, ldk, D);
    k.matmulTN(dKeys.subarray(kv * ldk), dP, qb, W, count, D, true, W, D, ldk);
  }
}

/** See `Kernels.headGateForward`. */
export function headGateForward(
  out: Float32Array, o: Float32Array, gates: Float32Array, rows: Int32Array, head: number, count: number, heads: number, D: number,
): void {
  checkHeadGate(out.length, gates.length, o.length, rows, head, count, heads, D);
  for (let r = 0; r < count; r++) {
    const row = rows[r];
    const gate = gates[row * heads + head];
    const off = (row * heads + head) * D;
    for (let c = 0; c < D; c++) out[off + c] = gate * o[r * D + c];
  }
}

/** See `Kernels.headGateBackward`. */
export function headGateBackward(
  dGates: Float32Array, dO: Float32Array, dOut: Float32Array, o: Float32Array, gates: Float32Array, rows: Int32Array,
  head: number, count: number, heads: number, D: number,
): void {
  checkHeadGate(dOut.length, Math.min(gates.length, dGates.length), Math.min(o.length, dO.length), rows, head, count, heads, D);
  for (let r = 0; r < count; r++) {
    const row = rows[r];
    const gate = gates[row * heads + head];
    const off = (row * heads + head) * D;
    let sum = 0;
    for (let c = 0; c < D; c++) {
      const g = dOut[off + c];
      sum += g * o[r * D + c];
      dO[r * D + c] = gate * g;
    }
    dGates[row * heads + head] = sum;
  }
}

/** See `AttentionKernels.attentionHeadsForward`: the calls in order (with the same steps as one call). */
export function attentionHeadsForward(this: BlockSteps | undefined, calls: readonly AttentionForwardCall[]): void {
  for (const call of calls) attentionBlocksForward.call(this, ...call.args);
}

/** See `AttentionKernels.attentionHeadsBackward`: the calls in order (with the same steps as one call). */
export function attentionHeadsBackward(this: BlockSteps | undefined, calls: readonly AttentionBackwardCall[]): void {
  for (const call of calls) attentionBlocksBackward.call(this, ...call.args);
}
