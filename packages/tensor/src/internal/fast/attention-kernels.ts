/**
 * The fused attention kernels of the fast backend: one check of every block record and
 * band, one marshalling of the head's arrays and one call into assembly/attention.ts,
 * which runs all the blocks. Scratch (score gradients, `q·E`, CoPE's float64 rows, the
 * products' packing) is call-frame scratch sized for the largest block.
 *
 * @internal
 */
import type { Kernels } from '../../kernels.js';
import { ATTENTION_BLOCK_FIELDS, AttentionBlock } from '../../kernels/attention.js';
import { checkAttentionBlocks, checkHeadGate } from '../attention-blocks.js';
import { AttentionHeads } from './attention-heads.js';
import type { CallFrame } from './frame.js';
import type { WasmHeap } from './heap.js';
import type { HelperThread } from './helper.js';
import type { WasmExports } from './wasm-exports.js';

type AttentionKernels = Pick<
  Kernels,
  'attentionBlocksForward' | 'attentionBlocksBackward' | 'attentionHeadsForward' | 'attentionHeadsBackward' | 'headGateForward' | 'headGateBackward'
>;

/**
 * Builds the fused attention kernels over one module instance and call frame. With a
 * helper thread, several heads' calls split over it (see attention-heads.ts).
 */
export function attentionKernels(wasm: WasmExports, frame: CallFrame, heap: WasmHeap, helper: HelperThread | null = null): AttentionKernels {
  const single = singleHeadKernels(wasm, frame);
  const heads = helper === null ? null : new AttentionHeads(wasm, heap, helper);
  return {
    ...single,
    attentionHeadsForward(calls) {
      if (heads === null || !heads.forward(calls)) for (const call of calls) single.attentionBlocksForward(...call.args);
    },
    attentionHeadsBackward(calls) {
      if (heads === null || !heads.backward(calls)) for (const call of calls) single.attentionBlocksBackward(...call.args);
    },
  };
}

/** The kernels of one call each. */
function singleHeadKernels(wasm: WasmExports, frame: CallFrame): Omit<AttentionKernels, 'attentionHeadsForward' | 'attentionHeadsBackward'> {
  return {
    headGateForward(out, o, gates, rows, head, count, heads, headDim) {
      const extent = checkHeadGate(out.length, gates.length, o.length, rows, head, count, heads, headDim);
      if (count === 0 || headDim === 0) return;
      const po = frame.output(out, extent * heads * headDim);
      const pa = frame.input(o, count * headDim);
      const pg = frame.input(gates, extent * heads);
      const pr = frame.input(rows, count);
      frame.begin();
      try {
        wasm.headGateForward(frame.pointer(po), frame.pointer(pa), frame.pointer(pg), frame.pointer(pr), head, count, heads, headDim);
      } finally {
        frame.end();
      }
    },

    headGateBackward(dGates, dO, dOut, o, gates, rows, head, count, heads, headDim) {
      const extent = checkHeadGate(
        dOut.length, Math.min(gates.length, dGates.length), Math.min(o.length, dO.length), rows, head, count, heads, headDim,
      );
      if (count === 0) return;
      const pdg = frame.output(dGates, extent * heads);
      const pdo = frame.output(dO, count * headDim);
      const pd = frame.input(dOut, extent * heads * headDim);
      const pa = frame.input(o, count * headDim);
      const pg = frame.input(gates, extent * heads);
      const pr = frame.input(rows, count);
      frame.begin();
      try {
        wasm.headGateBackward(
          frame.pointer(pdg), frame.pointer(pdo), frame.pointer(pd), frame.pointer(pa), frame.pointer(pg), frame.pointer(pr),
          head, count, heads, headDim,
        );
      } finally {
        frame.end();
      }
    },

    attentionBlocksForward(out, probs, z, blocks, q, keys, values, lo, hi, packed, table, scale, positions, keysTransposed, blockCount, headDim, ldk, ldv) {
      const P = table === null ? 0 : positions;
      const D = headDim;
      const e = checkAttentionBlocks({
        blocks, lo, hi, packed, scale, positions: P, keysTransposed, blockCount, headDim, ldk, ldv, tableWidths: false,
      });
      if (e.rows === 0) {
        // Only empty blocks: each reads one table entry, as the per-block kernels said.
        if (P > 0) for (let b = 0; b < blockCount; b++) blocks[b * ATTENTION_BLOCK_FIELDS + AttentionBlock.positions] = 1;
        return;
      }
      const po = frame.output(out, e.rows * D);
      const pp = frame.output(probs, e.probs);
      const pz = P > 0 ? frame.output(z, e.gates) : -1;
      const pb = P > 0 ? frame.output(blocks, blockCount * ATTENTION_BLOCK_FIELDS) : frame.input(blocks, blockCount * ATTENTION_BLOCK_FIELDS);
      const pq = frame.input(q, e.rows * D);
      const pk = frame.input(keys, e.keys);
      const pv = frame.input(values, e.values);
      const pl = frame.input(lo, e.rows);
      const ph = frame.input(hi, e.rows);
      const pk2 = P > 0 ? frame.input(packed, e.rows) : -1;
      const pt = table !== null && P > 0 ? frame.input(table, P * D) : -1;
      const s = frame.scratch(wasm.attentionForwardScratchBytes(e.maxCount, e.maxWidth, D, P));
      frame.begin();
      const at = (slot: number): number => (slot < 0 ? 0 : frame.pointer(slot));
      try {
        wasm.attentionBlocksForward(
          at(po), at(pp), at(pz), at(pb), at(pq), at(pk), at(pv), at(pl), at(ph), at(pk2), at(pt), scale, P,
          keysTransposed ? 1 : 0, blockCount, D, ldk, ldv, at(s),
        );
      } finally {
        frame.end();
      }
    },

    attentionBlocksBackward(dQ, dKeys, dValues, dTable, dOut, q, keys, values, probs, z, blocks, lo, hi, packed, table, scale, positions, blockCount, headDim, ldk, ldv) {
      const P = table === null || dTable === null ? 0 : positions;
      const D = headDim;
      const e = checkAttentionBlocks({
        blocks, lo, hi, packed, scale, positions: P, keysTransposed: false, blockCount, headDim, ldk, ldv, tableWidths: true,
      });
      if (e.rows === 0) return;
      const pdq = frame.output(dQ, e.rows * D);
      const pdk = frame.output(dKeys, e.keys);
      const pdv = frame.output(dValues, e.values);
      const pdt = dTable !== null && P > 0 ? frame.output(dTable, P * D) : -1;
      const pdo = frame.input(dOut, e.rows * D);
      const pq = frame.input(q, e.rows * D);
      const pk = frame.input(keys, e.keys);
      const pv = frame.input(values, e.values);
      const pp = frame.input(probs, e.probs);
      const pz = P > 0 ? frame.input(z, e.gates) : -1;
      const pb = frame.input(blocks, blockCount * ATTENTION_BLOCK_FIELDS);
      const pl = frame.input(lo, e.rows);
      const ph = frame.input(hi, e.rows);
      const pk2 = P > 0 ? frame.input(packed, e.rows) : -1;
      const pt = table !== null && P > 0 ? frame.input(table, P * D) : -1;
      const s = frame.scratch(wasm.attentionBackwardScratchBytes(e.maxCount, e.maxWidth, D, P));
      frame.begin();
      const at = (slot: number): number => (slot < 0 ? 0 : frame.pointer(slot));
      try {
        wasm.attentionBlocksBackward(
          at(pdq), at(pdk), at(pdv), at(pdt), at(pdo), at(pq), at(pk), at(pv), at(pp), at(pz), at(pb), at(pl), at(ph),
          at(pk2), at(pt), scale, P, blockCount, D, ldk, ldv, at(s),
        );
      } finally {
        frame.end();
      }
    },
  };
}
