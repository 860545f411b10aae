/**
 * How the loop draws rows of `(ids, targets)`: from pretraining windows or packed
 * instruction examples. Shapes: a batch is B rows of T tokens, row-major, so row `b`
 * occupies `[b·T, b·T + T)` of both buffers; a target of −1 is masked out of the loss.
 */
import type { DataCursor } from './epoch-order.js';

/** A source of training rows with a resumable cursor. */
export interface BatchSource {
  /**
   * Writes one row at `offset` into `ids` and `targets`. With `wrap` the source starts a
   * new epoch when it runs out and always fills the row; without it, it returns false
   * (writing nothing) once the first pass over the data is complete.
   */
  fillRow(ids: Int32Array, targets: Int32Array, offset: number, wrap: boolean): boolean;
  /** Where the source stands. */
  cursor(): DataCursor;
  /** Returns to a saved cursor. */
  restore(cursor: DataCursor): void;
}

/** Fills a whole `(B, T)` batch from `source`, epoch after epoch. */
export function fillBatch(source: BatchSource, ids: Int32Array, targets: Int32Array, batch: number, seqLen: number): void {
  for (let b = 0; b < batch; b++) source.fillRow(ids, targets, b * seqLen, true);
}

/** A held-out batch, built once and reused by every validation pass. */
export interface ValidationBatch {
  /** `(rows, T)` input ids. */
  readonly ids: Int32Array;
  /** `(rows, T)` targets, −1 where masked. */
  readonly targets: Int32Array;
  /** Rows in this batch (the last batch may have fewer than B). */
  readonly rows: number;
  /** Unmasked targets, the weight of this batch's mean CE in the overall mean. */
  readonly counted: number;
}

/** Up to `maxBatches` batches covering one pass of `source` in its own order. */
export function validationBatches(source: BatchSource, batch: number, seqLen: number, maxBatches: number): ValidationBatch[] {
  const out: ValidationBatch[] = [];
  while (out.length < maxBatches) {
    const ids = new Int32Array(batch * seqLen);
    const targets = new Int32Array(batch * seqLen);
    let rows = 0;
    while (rows < batch && source.fillRow(ids, targets, rows * seqLen, false)) rows++;
    if (rows === 0) break;
    let counted = 0;
    for (let i = 0; i < rows * seqLen; i++) if (targets[i] >= 0) counted++;
    out.push({ ids: ids.subarray(0, rows * seqLen), targets: targets.subarray(0, rows * seqLen), rows, counted });
    if (rows < batch) break;
  }
  return out;
}
