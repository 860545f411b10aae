/**
 * The trainer's configuration: typed, with defaults filled by
 * {@link resolveTrainerConfig} and every rule checked there, so the loop itself never
 * meets a bad value. Errors are the model package's `ConfigError`, whose `field` is the
 * dotted path of the offending field (e.g. `pretraining.peakLr`).
 *
 * Learning-rate schedules restart with each phase: instruction tuning gets its own
 * warm-up and decay over its own steps (and usually a lower peak), while the AdamW
 * moments and step count carry over from pretraining.
 */
import { ConfigError, type ModelConfig } from '@moh/model';
import type { LearningRateSchedule } from '../schedule.js';

/** The two training phases, in the order they run. */
export type PhaseName = 'pretraining' | 'instruction';

/** Both phases, in running order. */
export const PHASES: readonly PhaseName[] = ['pretraining', 'instruction'];

/** One training phase: how long it runs and how fast it learns. */
export interface PhaseConfig {
  /** Optimizer steps in this phase; 0 skips it. Defaults to 1000 for pretraining, 200 for instruction tuning. */
  readonly steps: number;
  /** Peak learning rate. Defaults to 3e-3 for pretraining, 1e-3 for instruction tuning. */
  readonly peakLr: number;
  /**
   * The schedule over this phase's steps (counted from 0 at the phase's start).
   * Defaults to warm-up over 5 % of the phase, then cosine decay to 10 % of the peak at
   * the phase's last step.
   */
  readonly schedule: LearningRateSchedule;
}

/** AdamW hyperparameters (weight decay is decoupled). */
export interface AdamWConfig {
  /** First-moment decay. Defaults to 0.9. */
  readonly beta1: number;
  /** Second-moment decay. Defaults to 0.95. */
  readonly beta2: number;
  /** Denominator epsilon. Defaults to 1e-8. */
  readonly eps: number;
  /** Decoupled weight decay. Defaults to 0.01. */
  readonly weightDecay: number;
}

/** Periodic validation on held-out data. */
export interface ValidationConfig {
  /** Validate every this many steps (and at each phase's end); 0 only at phase ends. Defaults to 100. */
  readonly interval: number;
  /** Held-out batches of B × T per validation pass (fewer when the data runs out). Defaults to 4. */
  readonly batches: number;
}

/** Routing telemetry and the collapse warning (SPEC §5). */
export interface TelemetryConfig {
  /** Report routing statistics averaged over every this many steps. Defaults to 50. */
  readonly interval: number;
  /**
   * A routed head whose mean load (share of tokens that select it) over a telemetry
   * window is under this share counts as collapsed in that window. Defaults to 0.02.
   */
  readonly collapseShare: number;
  /** Warn once a routed head has been collapsed for this many consecutive windows. Defaults to 3. */
  readonly collapseWindows: number;
}

/** A complete, validated trainer configuration: what {@link resolveTrainerConfig} returns. */
export interface TrainerConfig {
  /** Sequences per batch B. Defaults to 8. */
  readonly batchSize: number;
  /** Tokens per sequence T, at most the model's `maxSeqLen`. Defaults to the model's `maxSeqLen`. */
  readonly seqLen: number;
  /** Seed of the trainer's `Rng`, which shuffles the data. Defaults to 0. */
  readonly seed: number;
  /** Phase 1: next-token prediction on packed documents. */
  readonly pretraining: PhaseConfig;
  /** Phase 2: loss on the answer tokens of instruction examples only. */
  readonly instruction: PhaseConfig;
  /** AdamW hyperparameters, shared by both phases. */
  readonly optimizer: AdamWConfig;
  /** Clip the global gradient norm to this value; `null` disables clipping. Defaults to 1. */
  readonly maxGradNorm: number | null;
  /** Validation schedule. */
  readonly validation: ValidationConfig;
  /** Routing telemetry schedule and collapse rule. */
  readonly telemetry: TelemetryConfig;
  /** Write a checkpoint every this many steps (when the trainer has a checkpoint directory); 0 only at the end. Defaults to 500. */
  readonly checkpointInterval: number;
  /** The id that fills instruction rows after their last example (its targets are masked). Defaults to 0. */
  readonly padId: number;
}

/** A schedule as a user may write it: `totalSteps` and `warmupSteps` default from the phase's length. */
export type ScheduleInput =
  | { readonly kind: 'constant' }
  | {
      readonly kind: 'warmupCosine';
      readonly warmupSteps?: number;
      readonly totalSteps?: number;
      readonly minRatio?: number;
    };

/** A phase as a user may write it. */
export interface PhaseConfigInput {
  readonly steps?: number;
  readonly peakLr?: number;
  readonly schedule?: ScheduleInput;
}

/** What a user may write: any part of a {@link TrainerConfig}; the rest takes its default. */
export interface TrainerConfigInput {
  readonly batchSize?: number;
  readonly seqLen?: number;
  readonly seed?: number;
  readonly pretraining?: PhaseConfigInput;
  readonly instruction?: PhaseConfigInput;
  readonly optimizer?: Partial<AdamWConfig>;
  readonly maxGradNorm?: number | null;
  readonly validation?: Partial<ValidationConfig>;
  readonly telemetry?: Partial<TelemetryConfig>;
  readonly checkpointInterval?: number;
  readonly padId?: number;
}

const PHASE_DEFAULTS: Readonly<Record<PhaseName, { steps: number; peakLr: number }>> = {
  pretraining: { steps: 1000, peakLr: 3e-3 },
  instruction: { steps: 200, peakLr: 1e-3 },
};

/**
 * Completes `input` with defaults and checks every rule against `model` (the sequence
 * length must fit its `maxSeqLen`, the pad id its vocabulary). Throws the model
 * package's `ConfigError`, naming the field and the rule.
 *
 * @example
 * ```ts
 * import { resolveConfig } from '@moh/model';
 * import { resolveTrainerConfig } from '@moh/trainer';
 * const model = resolveConfig({ preset: 'seed-moh' });
 * const config = resolveTrainerConfig({ batchSize: 8, pretraining: { steps: 400 } }, model);
 * // config.pretraining.schedule is { kind: 'warmupCosine', warmupSteps: 20, totalSteps: 400, minRatio: 0.1 }
 * resolveTrainerConfig({ seqLen: 500 }, model); // throws: seqLen: must be an integer in 1..80 (the model's maxSeqLen), got 500.
 * ```
 */
export function resolveTrainerConfig(input: TrainerConfigInput, model: ModelConfig): TrainerConfig {
  const config: TrainerConfig = {
    batchSize: input.batchSize ?? 8,
    seqLen: input.seqLen ?? model.maxSeqLen,
    seed: input.seed ?? 0,
    pretraining: resolvePhase('pretraining', input.pretraining ?? {}),
    instruction: resolvePhase('instruction', input.instruction ?? {}),
    optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, ...input.optimizer },
    maxGradNorm: input.maxGradNorm === undefined ? 1 : input.maxGradNorm,
    validation: { interval: 100, batches: 4, ...input.validation },
    telemetry: { interval: 50, collapseShare: 0.02, collapseWindows: 3, ...input.telemetry },
    checkpointInterval: input.checkpointInterval ?? 500,
    padId: input.padId ?? 0,
  };
  validateTrainerConfig(config, model);
  return config;
}

function resolvePhase(name: PhaseName, input: PhaseConfigInput): PhaseConfig {
  const steps = input.steps ?? PHASE_DEFAULTS[name].steps;
  const schedule = input.schedule ?? { kind: 'warmupCosine' };
  return {
    steps,
    peakLr: input.peakLr ?? PHASE_DEFAULTS[name].peakLr,
    schedule:
      schedule.kind === 'constant'
        ? { kind: 'constant' }
        : {
            kind: 'warmupCosine',
            warmupSteps: schedule.warmupSteps ?? Math.round(0.05 * steps),
            totalSteps: schedule.totalSteps ?? steps,
            minRatio: schedule.minRatio ?? 0.1,
          },
  };
}

/**
 * Checks every rule of a complete configuration (also used on configurations read back
 * from a checkpoint). Throws the model package's `ConfigError`.
 */
export function validateTrainerConfig(config: TrainerConfig, model: ModelConfig): void {
  integerIn('batchSize', config.batchSize, 1, Number.MAX_SAFE_INTEGER);
  integerIn('seqLen', config.seqLen, 1, model.maxSeqLen, " (the model's maxSeqLen)");
  integerIn('seed', config.seed, 0, 0xffffffff);
  for (const phase of PHASES) validatePhase(phase, config[phase]);
  if (config.pretraining.steps + config.instruction.steps === 0) {
    throw new ConfigError('pretraining.steps', 'and instruction.steps must not both be 0: there would be nothing to train');
  }
  const { beta1, beta2, eps, weightDecay } = config.optimizer;
  numberIn('optimizer.beta1', beta1, 0, 1, 'must be in [0, 1)', (x) => x < 1);
  numberIn('optimizer.beta2', beta2, 0, 1, 'must be in [0, 1)', (x) => x < 1);
  numberIn('optimizer.eps', eps, 0, Infinity, 'must be a finite number > 0', (x) => x > 0);
  numberIn('optimizer.weightDecay', weightDecay, 0, Infinity, 'must be a finite number ≥ 0');
  if (config.maxGradNorm !== null) {
    numberIn('maxGradNorm', config.maxGradNorm, 0, Infinity, 'must be a finite number > 0, or null to disable clipping', (x) => x > 0);
  }
  integerIn('validation.interval', config.validation.interval, 0, Number.MAX_SAFE_INTEGER);
  integerIn('validation.batches', config.validation.batches, 0, Number.MAX_SAFE_INTEGER);
  integerIn('telemetry.interval', config.telemetry.interval, 1, Number.MAX_SAFE_INTEGER);
  numberIn('telemetry.collapseShare', config.telemetry.collapseShare, 0, 1, 'must be a share in [0, 1]');
  integerIn('telemetry.collapseWindows', config.telemetry.collapseWindows, 1, Number.MAX_SAFE_INTEGER);
  integerIn('checkpointInterval', config.checkpointInterval, 0, Number.MAX_SAFE_INTEGER);
  integerIn('padId', config.padId, 0, model.vocabSize - 1, " (the model's vocabulary)");
}

function validatePhase(name: PhaseName, phase: PhaseConfig): void {
  integerIn(`${name}.steps`, phase.steps, 0, Number.MAX_SAFE_INTEGER);
  // 0 is allowed: a frozen run still reports losses and telemetry (the collapse test relies on it).
  numberIn(`${name}.peakLr`, phase.peakLr, 0, Infinity, 'must be a finite number ≥ 0');
  const s = phase.schedule;
  switch (s.kind) {
    case 'constant':
      return;
    case 'warmupCosine':
      integerIn(`${name}.schedule.warmupSteps`, s.warmupSteps, 0, Number.MAX_SAFE_INTEGER);
      integerIn(`${name}.schedule.totalSteps`, s.totalSteps, 0, Number.MAX_SAFE_INTEGER);
      numberIn(`${name}.schedule.minRatio`, s.minRatio, 0, 1, 'must be in [0, 1]');
      if (s.warmupSteps > s.totalSteps) {
        throw new ConfigError(`${name}.schedule.warmupSteps`, `must not exceed totalSteps (${s.totalSteps})`, s.warmupSteps);
      }
      return;
    default: {
      const never: never = s;
      throw new ConfigError(`${name}.schedule.kind`, 'must be "constant" or "warmupCosine"', (never as { kind: unknown }).kind);
    }
  }
}

function integerIn(field: string, value: number, min: number, max: number, note = ''): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}${note}`;
    throw new ConfigError(field, `must be an integer ${range}`, value);
  }
}

function numberIn(field: string, value: number, min: number, max: number, rule: string, extra: (x: number) => boolean = () => true): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || !extra(value)) {
    throw new ConfigError(field, rule, value);
  }
}
