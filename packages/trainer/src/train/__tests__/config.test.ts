import { ConfigError } from '@moh/model';
import { describe, expect, it } from 'vitest';
import { resolveTrainerConfig, type TrainerConfigInput } from '../config.js';
import { TINY } from './helpers.js';

describe('resolveTrainerConfig', () => {
  it('fills defaults, the schedule from the phase length', () => {
    const c = resolveTrainerConfig({ pretraining: { steps: 400 } }, TINY);
    expect(c.seqLen).toBe(TINY.maxSeqLen);
    expect(c.batchSize).toBe(8);
    expect(c.maxGradNorm).toBe(1);
    expect(c.pretraining.schedule).toEqual({ kind: 'warmupCosine', warmupSteps: 20, totalSteps: 400, minRatio: 0.1 });
    expect(c.instruction.schedule).toEqual({ kind: 'warmupCosine', warmupSteps: 10, totalSteps: 200, minRatio: 0.1 });
    expect(resolveTrainerConfig({ maxGradNorm: null }, TINY).maxGradNorm).toBeNull();
  });

  const bad: [string, TrainerConfigInput, RegExp][] = [
    ['seqLen', { seqLen: 17 }, /seqLen: must be an integer in 1\.\.16 \(the model's maxSeqLen\), got 17/],
    ['batchSize', { batchSize: 0 }, /batchSize: must be an integer ≥ 1, got 0/],
    ['pretraining.peakLr', { pretraining: { peakLr: -1 } }, /pretraining.peakLr: must be a finite number ≥ 0/],
    ['instruction.schedule.warmupSteps', { instruction: { steps: 10, schedule: { kind: 'warmupCosine', warmupSteps: 11 } } }, /must not exceed totalSteps \(10\)/],
    ['optimizer.beta2', { optimizer: { beta2: 1 } }, /must be in \[0, 1\)/],
    ['maxGradNorm', { maxGradNorm: 0 }, /or null to disable clipping/],
    ['telemetry.collapseShare', { telemetry: { collapseShare: 1.5 } }, /must be a share in \[0, 1\]/],
    ['telemetry.interval', { telemetry: { interval: 0 } }, /must be an integer ≥ 1/],
    ['padId', { padId: 32 }, /padId: must be an integer in 0\.\.31/],
    ['pretraining.steps', { pretraining: { steps: 0 }, instruction: { steps: 0 } }, /nothing to train/],
    ['seed', { seed: 1.5 }, /seed: must be an integer/],
  ];
  it.each(bad)('rejects a bad %s, naming the field and the rule', (field, input, message) => {
    let error: unknown;
    try {
      resolveTrainerConfig(input, TINY);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });
});
