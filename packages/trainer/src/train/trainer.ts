/**
 * The training loop: phase 1 pretraining on packed documents, then phase 2 instruction
 * tuning with the loss on answer tokens only. Each step: zero the gradients, forward,
 * backward, clip the global gradient norm, one AdamW update over the flat parameter
 * buffer. Around the steps: routing telemetry, validation, checkpoints, all reported
 * as events (the loop never prints).
 *
 * Determinism: given the same model weights, data, configuration and backend, every
 * step is a fixed sequence of kernel calls on fixed inputs, and the only randomness is
 * the data shuffle drawn from one seeded `Rng`, so the same seed gives the same losses
 * bit for bit. A checkpoint holds every piece of state the next step reads, so a resumed
 * run continues exactly as if it had never stopped.
 *
 * Buffers: the `(B, T)` id and target buffers are allocated once and refilled each step.
 */
import type { Model } from '@moh/model';
import { Rng } from '@moh/tensor';
import { learningRate } from '../schedule.js';
import { fillBatch, validationBatches, type BatchSource, type ValidationBatch } from './batch-source.js';
import { saveCheckpoint, type Checkpoint, type CheckpointWriteOptions } from './checkpoint.js';
import { PHASES, type PhaseName, type TrainerConfig } from './config.js';
import { fingerprint, prepareDocuments, prepareExamples, TrainingDataError, type TrainingData } from './data.js';
import type { CheckpointEvent, StepEvent, TrainingEvent, TrainingObserver, ValidationEvent } from './events.js';
import { InstructionBatches } from './instruction-batches.js';
import { AdamW, type AdamWState } from './optimizer.js';
import { PretrainingBatches } from './pretraining-batches.js';
import { RoutingTelemetry } from './telemetry.js';
import { TRAINER_STATE_FORMAT, TRAINER_STATE_VERSION, type TrainerState, type ValidationRecord } from './trainer-state.js';
import { evaluate } from './validation.js';

/** How a {@link Trainer} reports and saves. */
export interface TrainerOptions {
  /** Receives every event. Defaults to ignoring them. */
  readonly onEvent?: TrainingObserver;
  /** Where periodic and final checkpoints go; none are written without it. */
  readonly checkpointDir?: string;
  /** The tokenizer's JSON value, saved as `tokenizer.json` in each checkpoint. */
  readonly tokenizer?: unknown;
  /** The clock, in milliseconds. Defaults to `performance.now`. */
  readonly now?: () => number;
  /** How checkpoint files are written (tests inject failures here). */
  readonly checkpointWrite?: CheckpointWriteOptions;
}

/** How far {@link Trainer.run} goes. */
export interface RunOptions {
  /** Stop once this many steps are complete (the run's end at most). Defaults to the run's end. */
  readonly untilStep?: number;
  /** Stop before the next step once aborted. */
  readonly signal?: AbortSignal;
  /** Yield to the event loop after this much compute, so signals and rendering get through. Defaults to 50 ms. */
  readonly yieldEveryMs?: number;
}

/** Where {@link Trainer.run} stopped. */
export interface RunResult {
  readonly step: number;
  readonly done: boolean;
  readonly reason: 'completed' | 'untilStep' | 'aborted';
}

/**
 * Trains a model through both phases; see the module comment.
 *
 * @example
 * ```ts
 * import { createModel, resolveConfig } from '@moh/model';
 * import { Trainer, resolveTrainerConfig } from '@moh/trainer';
 * const model = createModel(resolveConfig({ vocabSize: 16, modelDim: 16, layers: 1, maxSeqLen: 8 }), { seed: 1 });
 * const config = resolveTrainerConfig({ batchSize: 2, pretraining: { steps: 3 }, instruction: { steps: 0 } }, model.config);
 * const docs = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 2], [1, 9, 8, 7, 6, 5, 4, 3, 2]];
 * const trainer = new Trainer(model, config, { pretraining: { train: docs } }, { onEvent: (e) => console.log(e.kind) });
 * await trainer.run(); // 3 steps, then done
 * ```
 */
export class Trainer {
  readonly model: Model;
  readonly config: TrainerConfig;
  /** Steps of the whole run. */
  readonly totalSteps: number;
  private readonly options: TrainerOptions;
  private readonly now: () => number;
  private readonly rng: Rng;
  private readonly optimizer: AdamW;
  private readonly sources: Record<PhaseName, BatchSource | null>;
  private readonly validationSets: Record<PhaseName, readonly ValidationBatch[]>;
  private readonly fingerprints: { pretraining: number | null; instruction: number | null };
  private readonly telemetry: RoutingTelemetry;
  /** `(B, T)` reused every step. */
  private readonly ids: Int32Array;
  private readonly targets: Int32Array;
  private steps = 0;
  private history: ValidationRecord[] = [];
  private elapsedBefore = 0;
  private sessionMs = 0;
  private sessionSteps = 0;
  private lastCheckpoint = -1;

  /** A fresh run of `model` (its weights as they are) on `data`; see {@link Trainer.resume} to continue one. */
  constructor(model: Model, config: TrainerConfig, data: TrainingData, options: TrainerOptions = {}) {
    this.model = model;
    this.config = config;
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.totalSteps = config.pretraining.steps + config.instruction.steps;
    this.rng = new Rng(config.seed);
    this.optimizer = new AdamW(model.backend, model.params.length, config.optimizer);
    const { batchSize: B, seqLen: T, padId } = config;
    const V = model.config.vocabSize;
    this.ids = new Int32Array(B * T);
    this.targets = new Int32Array(B * T);
    for (const phase of PHASES) {
      if (config[phase].steps > 0 && (data[phase] === undefined || data[phase].train.length === 0)) {
        throw new TrainingDataError(`${phase}.train`, `is empty, but ${phase}.steps is ${config[phase].steps}. Supply data or set the steps to 0.`);
      }
    }
    const pre = data.pretraining;
    const preDocs = pre === undefined ? null : prepareDocuments(pre.train, V, 'pretraining.train');
    const preVal = pre?.validation === undefined || pre.validation.length === 0 ? null : prepareDocuments(pre.validation, V, 'pretraining.validation');
    const inst = data.instruction;
    const instTrain = inst === undefined ? null : prepareExamples(inst.train, V, T, 'instruction.train');
    const instVal =
      inst?.validation === undefined || inst.validation.length === 0 ? null : prepareExamples(inst.validation, V, T, 'instruction.validation');
    this.sources = {
      pretraining: preDocs === null || preDocs.length === 0 ? null : new PretrainingBatches(preDocs, T, this.rng, 'pretraining.train'),
      instruction: instTrain === null || instTrain.ids.length === 0 ? null : new InstructionBatches(instTrain, T, padId, this.rng),
    };
    const maxBatches = config.validation.batches;
    this.validationSets = {
      pretraining: preVal === null ? [] : validationBatches(new PretrainingBatches(preVal, T, null, 'pretraining.validation'), B, T, maxBatches),
      instruction: instVal === null ? [] : validationBatches(new InstructionBatches(instVal, T, padId, null), B, T, maxBatches),
    };
    this.fingerprints = {
      pretraining: preDocs === null ? null : fingerprint(preDocs),
      instruction: instTrain === null ? null : fingerprint(instTrain.ids, fingerprint(instTrain.masks)),
    };
    const selection = model.config.attention.headSelection;
    const H = model.config.attention.queryHeads;
    this.telemetry = new RoutingTelemetry(model.config.layers, H, selection.kind === 'mixtureOfHeads' ? selection.sharedHeads : H, config.telemetry);
  }

  /**
   * Continues the run saved in `checkpoint` (its model, configuration and state) on the
   * same `data`, exactly as if it had never stopped. Throws {@link TrainingDataError}
   * when the data differs from the data the checkpoint was trained on.
   */
  static resume(checkpoint: Checkpoint, data: TrainingData, options: TrainerOptions = {}): Trainer {
    const trainer = new Trainer(checkpoint.model, checkpoint.state.config, data, options);
    trainer.restore(checkpoint.state, checkpoint.optimizer);
    return trainer;
  }

  /** Steps completed. */
  get step(): number {
    return this.steps;
  }

  /** Whether every step of both phases is done. */
  get done(): boolean {
    return this.steps >= this.totalSteps;
  }

  /** The phase of the next step (the last phase with steps once done). */
  get phase(): PhaseName {
    if (this.done) return this.config.instruction.steps > 0 ? 'instruction' : 'pretraining';
    return this.steps < this.config.pretraining.steps ? 'pretraining' : 'instruction';
  }

  /** Every validation pass so far, resumed runs included. */
  get validationHistory(): readonly ValidationRecord[] {
    return this.history;
  }

  /** Runs steps until the run's end, `untilStep`, or an abort; writes a final checkpoint at the end when a directory is set. */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const until = Math.min(options.untilStep ?? this.totalSteps, this.totalSteps);
    const yieldEvery = options.yieldEveryMs ?? 50;
    let lastYield = this.now();
    while (this.steps < until) {
      if (options.signal?.aborted === true) return { step: this.steps, done: false, reason: 'aborted' };
      this.trainStep();
      if (this.now() - lastYield >= yieldEvery) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = this.now();
      }
    }
    if (this.done && this.options.checkpointDir !== undefined && this.lastCheckpoint !== this.steps) this.checkpoint();
    return { step: this.steps, done: this.done, reason: this.done ? 'completed' : 'untilStep' };
  }

  /** One optimizer step with the telemetry, validation, phase and checkpoint events due after it. */
  trainStep(): StepEvent {
    if (this.done) throw new Error(`Training is done: all ${this.totalSteps} steps have run.`);
    const started = this.now();
    const phase = this.phase;
    const spec = this.config[phase];
    const phaseStep = this.steps - (phase === 'pretraining' ? 0 : this.config.pretraining.steps);
    if (phaseStep === 0) this.emit({ kind: 'phase', step: this.steps, phase, status: 'start', steps: spec.steps });
    const { model } = this;
    const { batchSize: B, seqLen: T, maxGradNorm } = this.config;
    const source = this.sources[phase];
    if (source === null) throw new Error(`No ${phase} data.`);
    fillBatch(source, this.ids, this.targets, B, T);
    model.zeroGrad();
    const result = model.forward(this.ids, this.targets, B, T);
    const lr = learningRate(spec.schedule, spec.peakLr, phaseStep);
    if (!Number.isFinite(result.loss)) {
      throw new Error(`The loss became ${result.loss} at step ${this.steps + 1} (${phase}, learning rate ${lr}). Lower the learning rate or clip gradients (maxGradNorm).`);
    }
    model.backward();
    const backend = model.backend;
    const n = this.optimizer.size;
    const gradNorm = maxGradNorm === null ? backend.l2Norm(model.grads, n) : backend.clipByGlobalNorm(model.grads, maxGradNorm, n);
    this.optimizer.update(model.params, model.grads, lr);
    this.steps++;
    this.telemetry.add(result.routing);
    const mean = result.balance.reduce((s, b) => s + b, 0) / result.balance.length;
    const event = this.stepEvent(phase, phaseStep + 1, spec.steps, result.loss, result.ce, mean, lr, gradNorm, this.now() - started);
    this.emit(event);
    this.afterStep(phase, phaseStep + 1 === spec.steps);
    // Validation and checkpoints count as training time, for an honest ETA.
    this.sessionMs += this.now() - started;
    this.sessionSteps++;
    return event;
  }

  /** Scores the model on the current phase's held-out data; null when that phase has none. */
  validate(): ValidationEvent | null {
    return this.validatePhase(this.phase);
  }

  /** Writes a checkpoint of the current state to `dir` (default: the options' `checkpointDir`). */
  checkpoint(dir = this.options.checkpointDir): CheckpointEvent {
    if (dir === undefined) throw new Error('Trainer.checkpoint needs a directory: pass one or set checkpointDir in the options.');
    const started = this.now();
    const { bytes } = saveCheckpoint(
      dir,
      { model: this.model, optimizer: this.optimizer.state(), state: this.state(), tokenizer: this.options.tokenizer },
      this.options.checkpointWrite,
    );
    this.lastCheckpoint = this.steps;
    const event: CheckpointEvent = { kind: 'checkpoint', step: this.steps, phase: this.phase, dir, bytes, ms: this.now() - started };
    this.emit(event);
    return event;
  }

  /** The resumable state (what `state.json` holds). */
  state(): TrainerState {
    const cursor = (phase: PhaseName) => this.sources[phase]?.cursor() ?? { epoch: 0, position: 0, epochStart: null };
    return {
      format: TRAINER_STATE_FORMAT,
      version: TRAINER_STATE_VERSION,
      step: this.steps,
      phase: this.phase,
      config: this.config,
      rng: this.rng.getState(),
      cursors: { pretraining: cursor('pretraining'), instruction: cursor('instruction') },
      fingerprints: { ...this.fingerprints },
      telemetry: this.telemetry.state(),
      attentionEntropy: this.model.blocks.map((b) => b.parts.attention.entropyAverage),
      validation: [...this.history],
      elapsedMs: this.elapsedMs(),
    };
  }

  /** Returns the optimizer's buffers to the backend (the model is the caller's). */
  free(): void {
    this.optimizer.free();
  }

  private validatePhase(phase: PhaseName): ValidationEvent | null {
    const batches = this.validationSets[phase];
    if (batches.length === 0) return null;
    const r = evaluate(this.model, batches, this.config.seqLen);
    const event: ValidationEvent = { kind: 'validation', step: this.steps, phase, ...r };
    this.history.push({ step: this.steps, phase, ce: r.ce, perplexity: r.perplexity, tokens: r.tokens });
    this.emit(event);
    return event;
  }

  private afterStep(phase: PhaseName, phaseEnded: boolean): void {
    const step = this.steps;
    if (this.telemetry.due(step)) {
      const { event, warnings } = this.telemetry.report(step, phase);
      this.emit(event);
      for (const w of warnings) this.emit(w);
    }
    const interval = this.config.validation.interval;
    // The phase just trained is validated, even when this step ended it.
    if (phaseEnded || (interval > 0 && step % interval === 0)) this.validatePhase(phase);
    if (phaseEnded) this.emit({ kind: 'phase', step, phase, status: 'end', steps: this.config[phase].steps });
    const every = this.config.checkpointInterval;
    if (this.options.checkpointDir !== undefined && every > 0 && step % every === 0) this.checkpoint();
  }

  private stepEvent(
    phase: PhaseName, phaseStep: number, phaseSteps: number, loss: number, ce: number, balance: number, lr: number, gradNorm: number,
    stepMs: number,
  ): StepEvent {
    const tokens = this.config.batchSize * this.config.seqLen;
    const ms = this.sessionMs + stepMs;
    const steps = this.sessionSteps + 1;
    return {
      kind: 'step',
      step: this.steps,
      totalSteps: this.totalSteps,
      phase,
      phaseStep,
      phaseSteps,
      loss,
      ce,
      balance,
      lr,
      gradNorm,
      tokens,
      tokensPerSecond: ms > 0 ? (tokens * steps * 1000) / ms : 0,
      elapsedMs: this.elapsedBefore + ms,
      etaMs: ((this.totalSteps - this.steps) * ms) / steps,
    };
  }

  private elapsedMs(): number {
    return this.elapsedBefore + this.sessionMs;
  }

  private restore(state: TrainerState, optimizer: AdamWState): void {
    for (const phase of PHASES) {
      if (state.fingerprints[phase] !== this.fingerprints[phase]) {
        throw new TrainingDataError(
          `${phase}.train`,
          `differs from the data the checkpoint was trained on (fingerprint ${this.fingerprints[phase]} vs ${state.fingerprints[phase]}). Resume with the same data, or start a new run.`,
        );
      }
      this.sources[phase]?.restore(state.cursors[phase]);
    }
    this.steps = state.step;
    this.rng.setState(state.rng);
    this.telemetry.restore(state.telemetry);
    if (state.attentionEntropy.length !== this.model.blocks.length) {
      throw new RangeError(`The state holds ${state.attentionEntropy.length} attention-entropy averages but the model has ${this.model.blocks.length} layers.`);
    }
    this.model.blocks.forEach((b, i) => {
      b.parts.attention.entropyAverage = state.attentionEntropy[i];
    });
    this.history = [...state.validation];
    this.elapsedBefore = state.elapsedMs;
    this.optimizer.restore(optimizer);
    this.lastCheckpoint = state.step;
  }

  private emit(event: TrainingEvent): void {
    this.options.onEvent?.(event);
  }
}
