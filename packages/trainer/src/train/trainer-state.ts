/**
 * The trainer's resumable state, saved as `state.json` in a checkpoint: everything
 * besides the weights and the optimizer moments that decides what the next step does
 * (step, phase, data cursors, the data `Rng`) or reports (telemetry windows, validation
 * history, elapsed time), plus the trainer configuration and fingerprints of the data.
 */
import type { RngState } from '@moh/tensor';
import type { PhaseName, TrainerConfig } from './config.js';
import type { DataCursor } from './epoch-order.js';
import type { TelemetryState } from './telemetry.js';

/** The `format` tag of `state.json`. */
export const TRAINER_STATE_FORMAT = 'moh-trainer-state';
/** The version of `state.json` this code writes and reads. */
export const TRAINER_STATE_VERSION = 1;

/** One validation pass, kept for the run's history. */
export interface ValidationRecord {
  readonly step: number;
  readonly phase: PhaseName;
  readonly ce: number;
  readonly perplexity: number;
  readonly tokens: number;
}

/** Everything `state.json` holds. */
export interface TrainerState {
  readonly format: typeof TRAINER_STATE_FORMAT;
  readonly version: typeof TRAINER_STATE_VERSION;
  /** Optimizer steps completed. */
  readonly step: number;
  /** The phase of the next step (the last phase once training is done). */
  readonly phase: PhaseName;
  /** The trainer configuration the run uses. */
  readonly config: TrainerConfig;
  /** The data `Rng`, as it stands after the last step. */
  readonly rng: RngState;
  /** Where each training source stands. */
  readonly cursors: { readonly pretraining: DataCursor; readonly instruction: DataCursor };
  /** Fingerprints of the training data of each phase (null when absent). */
  readonly fingerprints: { readonly pretraining: number | null; readonly instruction: number | null };
  /** Telemetry accumulators of the open window. */
  readonly telemetry: TelemetryState;
  /**
   * `(L)` each layer's running attention-entropy average (the state of an
   * `attentionEntropy` adaptive window, 1 otherwise): model state outside the weights
   * that the next forward pass reads.
   */
  readonly attentionEntropy: readonly number[];
  /** Every validation pass so far. */
  readonly validation: readonly ValidationRecord[];
  /** Training time so far. */
  readonly elapsedMs: number;
}

/**
 * Checks that parsed JSON has the shape of a {@link TrainerState} and returns it;
 * otherwise throws an `Error` naming the first wrong field. (The configuration's own
 * rules are checked by the caller against the model configuration.)
 */
export function checkTrainerState(value: unknown): TrainerState {
  const s = object(value, 'the top level');
  if (s['format'] !== TRAINER_STATE_FORMAT) throw new Error(`"format" must be "${TRAINER_STATE_FORMAT}", got ${JSON.stringify(s['format'])}`);
  if (s['version'] !== TRAINER_STATE_VERSION) {
    throw new Error(`"version" ${JSON.stringify(s['version'])} is not supported; this trainer reads version ${TRAINER_STATE_VERSION}`);
  }
  count(s['step'], 'step');
  if (s['phase'] !== 'pretraining' && s['phase'] !== 'instruction') throw new Error(`"phase" must be "pretraining" or "instruction", got ${JSON.stringify(s['phase'])}`);
  object(s['config'], 'config');
  rngState(s['rng'], 'rng');
  const cursors = object(s['cursors'], 'cursors');
  for (const name of ['pretraining', 'instruction']) {
    const c = object(cursors[name], `cursors.${name}`);
    count(c['epoch'], `cursors.${name}.epoch`);
    count(c['position'], `cursors.${name}.position`);
    if (c['epochStart'] !== null) rngState(c['epochStart'], `cursors.${name}.epochStart`);
  }
  const fingerprints = object(s['fingerprints'], 'fingerprints');
  for (const name of ['pretraining', 'instruction']) {
    if (fingerprints[name] !== null) count(fingerprints[name], `fingerprints.${name}`);
  }
  const telemetry = object(s['telemetry'], 'telemetry');
  count(telemetry['count'], 'telemetry.count');
  for (const name of ['load', 'meanGate', 'balanceLoss', 'balanceRatio', 'entropy', 'streak']) {
    const list = telemetry[name];
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'number')) throw new Error(`"telemetry.${name}" must be an array of numbers`);
  }
  const entropy = s['attentionEntropy'];
  if (!Array.isArray(entropy) || !entropy.every((x) => typeof x === 'number' && x >= 0 && x <= 1)) {
    throw new Error('"attentionEntropy" must be an array of numbers in [0, 1], one per layer');
  }
  if (!Array.isArray(s['validation'])) throw new Error('"validation" must be an array');
  if (typeof s['elapsedMs'] !== 'number') throw new Error('"elapsedMs" must be a number');
  return value as TrainerState;
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${name === 'the top level' ? name : `"${name}"`} must be a JSON object`);
  return value as Record<string, unknown>;
}

function count(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new Error(`"${name}" must be a non-negative integer, got ${JSON.stringify(value)}`);
}

function rngState(value: unknown, name: string): void {
  const r = object(value, name);
  const s = r['s'];
  if (!Array.isArray(s) || s.length !== 4 || !s.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) {
    throw new Error(`"${name}.s" must be four unsigned 32-bit integers`);
  }
  if (r['spareNormal'] !== null && typeof r['spareNormal'] !== 'number') throw new Error(`"${name}.spareNormal" must be a number or null`);
}
