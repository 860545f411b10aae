/** Learning-rate schedules, as a function of the 0-based optimizer step. */

/** The same learning rate at every step. */
export interface ConstantSchedule {
  readonly kind: 'constant';
}

/**
 * Linear warm-up from 0 to the peak over `warmupSteps`, then a cosine decay to
 * `minRatio ·` peak at `totalSteps`, and flat after that.
 */
export interface WarmupCosineSchedule {
  readonly kind: 'warmupCosine';
  /** Steps of linear warm-up. Defaults to 5 % of the run. */
  readonly warmupSteps: number;
  /** The step at which the decay reaches its floor: usually the run's length. */
  readonly totalSteps: number;
  /** The floor as a fraction of the peak rate. Defaults to 0.1. */
  readonly minRatio: number;
}

/** How the learning rate changes over a run. */
export type LearningRateSchedule = ConstantSchedule | WarmupCosineSchedule;

/**
 * The learning rate at `step` (0-based) for a peak rate `peak`.
 *
 * @example
 * ```ts
 * import { learningRate } from '@moh/trainer';
 * const schedule = { kind: 'warmupCosine', warmupSteps: 10, totalSteps: 100, minRatio: 0.1 } as const;
 * learningRate(schedule, 1e-3, 4); // 5e-4: halfway through the warm-up
 * learningRate(schedule, 1e-3, 100); // 1e-4: the floor
 * ```
 */
export function learningRate(schedule: LearningRateSchedule, peak: number, step: number): number {
  switch (schedule.kind) {
    case 'constant':
      return peak;
    case 'warmupCosine': {
      const { warmupSteps, totalSteps, minRatio } = schedule;
      // Step s of warm-up trains with (s + 1) / warmupSteps, so the first step is not wasted at rate 0.
      if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
      const span = Math.max(1, totalSteps - warmupSteps);
      const progress = Math.min(1, (step - warmupSteps) / span);
      const floor = peak * minRatio;
      return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
    default: {
      const never: never = schedule;
      throw new Error(`Unknown learning-rate schedule ${JSON.stringify(never)}.`);
    }
  }
}
