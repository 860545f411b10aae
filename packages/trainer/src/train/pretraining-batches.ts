/**
 * Pretraining rows: each epoch concatenates the documents in a fresh shuffled order
 * into one stream and cuts it into windows of T + 1 tokens with stride T, so window
 * `w` gives `ids = stream[wT, wT + T)` and `targets = stream[wT + 1, wT + T + 1)`: every
 * target is the next token, and no token is dropped except the stream's tail. Windows
 * cross document boundaries; the caller's begin/end-of-text ids mark them.
 */
import type { Rng } from '@moh/tensor';
import type { BatchSource } from './batch-source.js';
import { TrainingDataError } from './data.js';
import { EpochOrder, type DataCursor } from './epoch-order.js';

/** Packed next-token windows over documents; see the module comment. */
export class PretrainingBatches implements BatchSource {
  /** Windows per epoch. */
  readonly windows: number;
  private readonly docs: readonly Int32Array[];
  private readonly seqLen: number;
  /** The current epoch's concatenation, rebuilt in place at each epoch. */
  private readonly stream: Int32Array;
  private readonly order: EpochOrder;

  /** `rng` shuffles the documents each epoch; `null` keeps their order (validation). `path` names the data in errors. */
  constructor(docs: readonly Int32Array[], seqLen: number, rng: Rng | null, path: string) {
    this.docs = docs;
    this.seqLen = seqLen;
    const total = docs.reduce((n, d) => n + d.length, 0);
    this.windows = Math.floor((total - 1) / seqLen);
    if (this.windows < 1) {
      throw new TrainingDataError(path, `holds ${total} tokens; one window of seqLen + 1 = ${seqLen + 1} tokens is the minimum.`);
    }
    this.stream = new Int32Array(total);
    this.order = new EpochOrder(docs.length, rng, () => this.buildStream());
  }

  fillRow(ids: Int32Array, targets: Int32Array, offset: number, wrap: boolean): boolean {
    if (!wrap && this.order.passComplete) return false;
    const start = this.order.next() * this.seqLen;
    const T = this.seqLen;
    ids.set(this.stream.subarray(start, start + T), offset);
    targets.set(this.stream.subarray(start + 1, start + T + 1), offset);
    this.order.advance();
    return true;
  }

  cursor(): DataCursor {
    return this.order.cursor();
  }

  restore(cursor: DataCursor): void {
    if (cursor.position > this.windows) {
      throw new RangeError(`Pretraining cursor position ${cursor.position} exceeds the ${this.windows} windows of the data.`);
    }
    this.order.restore(cursor);
  }

  private buildStream(): number {
    let at = 0;
    for (const i of this.order.order) {
      this.stream.set(this.docs[i], at);
      at += this.docs[i].length;
    }
    return this.windows;
  }
}
