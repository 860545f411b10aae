/**
 * Optional per-part timing of a model's passes, for profiles (`moh bench --profile`).
 * With no timer attached the layers pay one null check per part; with one, each part's
 * wall time (`performance.now()`) is added to it, forward and backward alike.
 */

/** The parts a profile separates: norms include the residual additions beside them. */
export type ModelPart = 'embedding' | 'attention' | 'router' | 'ffn' | 'norms' | 'lmHead' | 'loss';

/** Receives the milliseconds spent in each part. */
export interface PartTimer {
  add(part: ModelPart, ms: number): void;
}

/** The timer shared by a model's layers: `timer` is null when profiling is off (see `Model.setTimer`). */
export class Timing {
  timer: PartTimer | null = null;

  /** A start time, or 0 when no timer is attached. */
  start(): number {
    return this.timer === null ? 0 : performance.now();
  }

  /** Charges the time since `t0` to `part` when a timer is attached. */
  stop(part: ModelPart, t0: number): void {
    if (this.timer !== null) this.timer.add(part, performance.now() - t0);
  }
}
