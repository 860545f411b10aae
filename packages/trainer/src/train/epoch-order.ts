/**
 * The order in which a data source visits its items, epoch after epoch. Each epoch is
 * a fresh shuffle drawn from the trainer's seeded `Rng`; the cursor records the `Rng`
 * state at the epoch's start, so a checkpoint can rebuild the very same permutation
 * without storing it.
 */
import { Rng, type RngState } from '@moh/tensor';

/** Where a data source stands: part of every checkpoint. */
export interface DataCursor {
  /** Epochs started so far (0 before the first item is read). */
  readonly epoch: number;
  /** The next item's index in the current epoch's order. */
  readonly position: number;
  /** The `Rng` state from which the current epoch's shuffle was drawn; `null` before the first epoch or without shuffling. */
  readonly epochStart: RngState | null;
}

/**
 * A walk through epochs: each epoch draws a permutation of `count` items (shuffled by
 * `rng`, or natural order when `rng` is null) and then has `size` positions, which is
 * `count` unless the source's `onEpoch` says otherwise (pretraining permutes documents
 * but steps through windows of their concatenation).
 */
export class EpochOrder {
  /** `(count)` the current epoch's permutation. */
  readonly order: Int32Array;
  private readonly rng: Rng | null;
  private epoch = 0;
  private position = 0;
  private size = 0;
  private epochStart: RngState | null = null;
  /** Called after an epoch's permutation is drawn; returns the epoch's number of positions. */
  private readonly onEpoch: () => number;

  constructor(count: number, rng: Rng | null, onEpoch: () => number = () => count) {
    this.order = new Int32Array(count);
    this.rng = rng;
    this.onEpoch = onEpoch;
    this.reset();
  }

  /** Whether an epoch has started and has no positions left. */
  get passComplete(): boolean {
    return this.epoch > 0 && this.position >= this.size;
  }

  /** Epochs started so far. */
  get epochs(): number {
    return this.epoch;
  }

  /** The next position in the epoch, starting a new epoch first when the current one is used up. */
  next(): number {
    if (this.epoch === 0 || this.position >= this.size) this.startEpoch();
    return this.position;
  }

  /** Moves past the position {@link EpochOrder.next} returned. */
  advance(): void {
    this.position++;
  }

  /** The cursor to save. */
  cursor(): DataCursor {
    return { epoch: this.epoch, position: this.position, epochStart: this.epochStart };
  }

  /** Returns to a saved cursor, redrawing that epoch's permutation from its `Rng` state. */
  restore(cursor: DataCursor): void {
    this.epoch = cursor.epoch;
    this.position = cursor.position;
    this.epochStart = cursor.epochStart;
    this.reset();
    if (cursor.epochStart !== null) Rng.fromState(cursor.epochStart).shuffle(this.order);
    this.size = cursor.epoch > 0 ? this.onEpoch() : 0;
  }

  private startEpoch(): void {
    this.reset();
    if (this.rng !== null) {
      this.epochStart = this.rng.getState();
      this.rng.shuffle(this.order);
    }
    this.epoch++;
    this.position = 0;
    this.size = this.onEpoch();
  }

  private reset(): void {
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
  }
}
