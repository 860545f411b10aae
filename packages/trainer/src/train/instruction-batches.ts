/**
 * Instruction-tuning rows: examples packed whole, one after another, into rows of T
 * tokens. An example of n ids takes n − 1 positions: inputs `ids[0 … n−2]`, and the
 * target at position t is `ids[t + 1]` where `answerMask[t + 1]` is set, −1 elsewhere,
 * so the loss covers only the answer. Packing examples (instead of one per row) keeps
 * the short chats of the default corpus from being mostly padding; an example that
 * does not fit the rest of a row starts the next one, and the row's tail holds the pad
 * id with masked targets.
 */
import type { Rng } from '@moh/tensor';
import type { BatchSource } from './batch-source.js';
import type { PreparedExamples } from './data.js';
import { EpochOrder, type DataCursor } from './epoch-order.js';

/** Packed instruction examples with answer-only targets; see the module comment. */
export class InstructionBatches implements BatchSource {
  private readonly examples: PreparedExamples;
  private readonly seqLen: number;
  private readonly padId: number;
  private readonly order: EpochOrder;

  /** `rng` shuffles the examples each epoch; `null` keeps their order (validation). */
  constructor(examples: PreparedExamples, seqLen: number, padId: number, rng: Rng | null) {
    if (examples.ids.length === 0) throw new RangeError('InstructionBatches needs at least one example.');
    this.examples = examples;
    this.seqLen = seqLen;
    this.padId = padId;
    this.order = new EpochOrder(examples.ids.length, rng);
  }

  fillRow(ids: Int32Array, targets: Int32Array, offset: number, wrap: boolean): boolean {
    const T = this.seqLen;
    let used = 0;
    for (;;) {
      if (!wrap && this.order.passComplete) break;
      const e = this.order.order[this.order.next()];
      const exampleIds = this.examples.ids[e];
      const mask = this.examples.masks[e];
      const len = exampleIds.length - 1;
      if (used + len > T) break;
      for (let t = 0; t < len; t++) {
        ids[offset + used + t] = exampleIds[t];
        targets[offset + used + t] = mask[t + 1] !== 0 ? exampleIds[t + 1] : -1;
      }
      used += len;
      this.order.advance();
    }
    if (used === 0) return false;
    ids.fill(this.padId, offset + used, offset + T);
    targets.fill(-1, offset + used, offset + T);
    return true;
  }

  cursor(): DataCursor {
    return this.order.cursor();
  }

  restore(cursor: DataCursor): void {
    if (cursor.position > this.examples.ids.length) {
      throw new RangeError(`Instruction cursor position ${cursor.position} exceeds the ${this.examples.ids.length} examples of the data.`);
    }
    this.order.restore(cursor);
  }
}
