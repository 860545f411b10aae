/**
 * Several heads' fused attention at once, over the helper thread: the calls' groups are
 * dealt to the two threads by their work (largest first, each to the lighter thread),
 * and each thread runs its calls in list order, so a group's calls (a KV group's heads,
 * which add into the same key and value gradients) keep their order and every call its
 * bits. Only calls whose arrays all live in the memory go this way, and only when there
 * is enough work to pay for waking the worker; otherwise the calls run one by one
 * through the ordinary kernels.
 *
 * @internal
 */
import type { AttentionBackwardCall, AttentionForwardCall } from '../../kernels/attention.js';
import { ATTENTION_BLOCK_FIELDS, AttentionBlock } from '../../kernels/attention.js';
import { checkAttentionBlocks } from '../attention-blocks.js';
import type { WasmHeap } from './heap.js';
import type { HelperCall, HelperThread } from './helper.js';
import type { WasmExports } from './wasm-exports.js';

/**
 * Attention weights (Σ count·W over every call's blocks) from which the heads are split:
 * below, the worker's wake-up would cost more than it saves (a decode step's heads have
 * a few hundred each).
 */
export const SPLIT_MIN_WEIGHTS = 1 << 16;

/** A call ready for either thread: its export's arguments but the scratch pointer, what it needs, its group. */
interface Prepared {
  readonly kernel: 3 | 4;
  readonly args: number[];
  readonly scratchBytes: number;
  readonly work: number;
  readonly group: number;
}

type Elements = Float32Array | Int32Array;

/** The byte offset of `x` if it lives in the memory and holds `need` elements, else −1. */
function resident(heap: WasmHeap, x: Elements | null, need: number): number {
  if (x === null) return 0;
  if (x.length < need || !heap.owns(x.buffer)) return -1;
  return x.byteOffset;
}

/** Pointers of `arrays` (with their needs), or null if one cannot be read in place. */
function pointers(heap: WasmHeap, arrays: readonly [Elements | null, number][]): number[] | null {
  const out: number[] = [];
  for (const [x, need] of arrays) {
    const p = resident(heap, x, need);
    if (p < 0) return null;
    out.push(p);
  }
  return out;
}

/** A forward call prepared, `'skip'` for one without rows (done here), or null to run it the ordinary way. */
function prepareForward(wasm: WasmExports, heap: WasmHeap, call: AttentionForwardCall): Prepared | 'skip' | null {
  const [out, probs, z, blocks, q, keys, values, lo, hi, packed, table, scale, positions, keysTransposed, blockCount, D, ldk, ldv] = call.args;
  const P = table === null ? 0 : positions;
  const e = checkAttentionBlocks({ blocks, lo, hi, packed, scale, positions: P, keysTransposed, blockCount, headDim: D, ldk, ldv, tableWidths: false });
  if (e.rows === 0) {
    // As the single-head kernel: only empty blocks, each reads one table entry.
    if (P > 0) for (let b = 0; b < blockCount; b++) blocks[b * ATTENTION_BLOCK_FIELDS + AttentionBlock.positions] = 1;
    return 'skip';
  }
  const cope = P > 0;
  const p = pointers(heap, [
    [out, e.rows * D], [probs, e.probs], [cope ? z : null, e.gates], [blocks, blockCount * ATTENTION_BLOCK_FIELDS], [q, e.rows * D],
    [keys, e.keys], [values, e.values], [lo, e.rows], [hi, e.rows], [cope ? packed : null, e.rows], [cope ? table : null, P * D],
  ]);
  if (p === null) return null;
  return {
    kernel: 3,
    args: [...p, scale, P, keysTransposed ? 1 : 0, blockCount, D, ldk, ldv],
    scratchBytes: wasm.attentionForwardScratchBytes(e.maxCount, e.maxWidth, D, P),
    work: e.probs,
    group: call.group,
  };
}

/** A backward call prepared, `'skip'` for one without rows, or null to run it the ordinary way. */
function prepareBackward(wasm: WasmExports, heap: WasmHeap, call: AttentionBackwardCall): Prepared | 'skip' | null {
  const [dQ, dKeys, dValues, dTable, dOut, q, keys, values, probs, z, blocks, lo, hi, packed, table, scale, positions, blockCount, D, ldk, ldv] = call.args;
  const P = table === null || dTable === null ? 0 : positions;
  const e = checkAttentionBlocks({ blocks, lo, hi, packed, scale, positions: P, keysTransposed: false, blockCount, headDim: D, ldk, ldv, tableWidths: true });
  if (e.rows === 0) return 'skip';
  const cope = P > 0;
  const p = pointers(heap, [
    [dQ, e.rows * D], [dKeys, e.keys], [dValues, e.values], [cope ? dTable : null, P * D], [dOut, e.rows * D], [q, e.rows * D],
    [keys, e.keys], [values, e.values], [probs, e.probs], [cope ? z : null, e.gates], [blocks, blockCount * ATTENTION_BLOCK_FIELDS],
    [lo, e.rows], [hi, e.rows], [cope ? packed : null, e.rows], [cope ? table : null, P * D],
  ]);
  if (p === null) return null;
  return {
    kernel: 4,
    args: [...p, scale, P, blockCount, D, ldk, ldv],
    scratchBytes: wasm.attentionBackwardScratchBytes(e.maxCount, e.maxWidth, D, P),
    work: e.probs,
    group: call.group,
  };
}

/** Runs several heads' attention split over the helper thread; the calls the ordinary kernels must run instead go to `ordinary`. */
export class AttentionHeads {
  /** This thread's scratch for its share: a block of the heap, grown on demand. */
  private scratchAt = -1;
  private scratchBytes = 0;

  constructor(
    private readonly wasm: WasmExports,
    private readonly heap: WasmHeap,
    private readonly helper: HelperThread,
  ) {}

  /** Forwards of `calls`; false (nothing run) when they should go one by one through the ordinary kernel. */
  forward(calls: readonly AttentionForwardCall[]): boolean {
    return this.run(calls.length, (i) => prepareForward(this.wasm, this.heap, calls[i]));
  }

  /** Backwards of `calls`, as {@link AttentionHeads.forward}. */
  backward(calls: readonly AttentionBackwardCall[]): boolean {
    return this.run(calls.length, (i) => prepareBackward(this.wasm, this.heap, calls[i]));
  }

  private run(count: number, prepare: (i: number) => Prepared | 'skip' | null): boolean {
    if (count < 2) return false;
    const ready: Prepared[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const p = prepare(i);
      if (p === null) return false;
      if (p === 'skip') continue;
      ready.push(p);
      total += p.work;
    }
    if (ready.length < 2 || total < SPLIT_MIN_WEIGHTS) {
      // Too little to split: this thread runs them all (in order, with their bits).
      this.runHere(ready, this.scratch(Math.max(0, ...ready.map((p) => p.scratchBytes))));
      return true;
    }
    // Groups by work, largest first, each to the thread with less so far; the helper's
    // share is the other one.
    const work = new Map<number, number>();
    for (const p of ready) work.set(p.group, (work.get(p.group) ?? 0) + p.work);
    let here = 0;
    let there = 0;
    const theirs = new Set<number>();
    for (const [group, w] of [...work].sort((a, b) => b[1] - a[1])) {
      if (there < here) {
        theirs.add(group);
        there += w;
      } else here += w;
    }
    const mine = ready.filter((p) => !theirs.has(p.group));
    const others = ready.filter((p) => theirs.has(p.group));
    // Both scratch blocks before any pointer is handed out: allocating may grow the memory.
    const helperScratch = this.helper.scratch(Math.max(0, ...others.map((p) => p.scratchBytes)));
    const scratch = this.scratch(Math.max(0, ...mine.map((p) => p.scratchBytes)));
    this.helper.post(others.map((p): HelperCall => ({ kernel: p.kernel, args: [...p.args, helperScratch] })));
    try {
      this.runHere(mine, scratch);
    } finally {
      this.helper.finish();
    }
    return true;
  }

  private runHere(calls: readonly Prepared[], scratch: number): void {
    for (const p of calls) {
      const a = p.args;
      if (p.kernel === 3) {
        this.wasm.attentionBlocksForward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], scratch);
      } else {
        this.wasm.attentionBlocksBackward(
          a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], scratch,
        );
      }
    }
  }

  /** This thread's scratch of at least `bytes`. */
  private scratch(bytes: number): number {
    if (bytes > this.scratchBytes || this.scratchAt < 0) {
      if (this.scratchAt >= 0) this.heap.free(this.scratchAt);
      this.scratchAt = -1;
      this.scratchBytes = Math.max(bytes, 2 * this.scratchBytes, 16);
      this.scratchAt = this.heap.alloc(this.scratchBytes, false);
    }
    return this.scratchAt;
  }
}
