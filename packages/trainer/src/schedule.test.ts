import { describe, expect, it } from 'vitest';
import { learningRate } from './schedule.js';

describe('learningRate', () => {
  const schedule = { kind: 'warmupCosine', warmupSteps: 10, totalSteps: 110, minRatio: 0.1 } as const;

  it('warms up linearly, starting above zero', () => {
    expect(learningRate(schedule, 1, 0)).toBeCloseTo(0.1, 12);
    expect(learningRate(schedule, 1, 4)).toBeCloseTo(0.5, 12);
    expect(learningRate(schedule, 1, 9)).toBeCloseTo(1, 12);
  });

  it('decays by a cosine from the peak to the floor, then stays there', () => {
    expect(learningRate(schedule, 2, 10)).toBeCloseTo(2, 12);
    // Halfway through the decay the cosine term is 1/2: floor + (peak − floor)/2.
    expect(learningRate(schedule, 2, 60)).toBeCloseTo(0.2 + 0.9, 12);
    expect(learningRate(schedule, 2, 110)).toBeCloseTo(0.2, 12);
    expect(learningRate(schedule, 2, 500)).toBeCloseTo(0.2, 12);
    // Monotone decreasing after warm-up: a sign error would make it grow.
    expect(learningRate(schedule, 2, 30)).toBeGreaterThan(learningRate(schedule, 2, 31));
  });

  it('keeps a constant rate', () => {
    expect(learningRate({ kind: 'constant' }, 3e-4, 1234)).toBe(3e-4);
  });
});
