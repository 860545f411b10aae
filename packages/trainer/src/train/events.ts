/**
 * What the training loop reports. The loop never prints: it calls an observer with
 * these events, and renderers (the progress bar, the JSONL metrics log) subscribe.
 * Every event is plain JSON (numbers, strings, arrays), one line of the metrics log.
 * `step` always counts optimizer steps completed over the whole run.
 */
import type { PhaseName } from './config.js';

/** One optimizer step. */
export interface StepEvent {
  readonly kind: 'step';
  /** Steps completed, 1 after the first. */
  readonly step: number;
  /** Steps of the whole run (both phases). */
  readonly totalSteps: number;
  readonly phase: PhaseName;
  /** Steps completed in this phase. */
  readonly phaseStep: number;
  /** Steps of this phase. */
  readonly phaseSteps: number;
  /** Total loss `CE + β · mean L_b`. */
  readonly loss: number;
  /** Masked mean cross-entropy. */
  readonly ce: number;
  /** Mean over layers of the load-balance loss `L_b` (0 without routed heads). */
  readonly balance: number;
  /** The learning rate this step used. */
  readonly lr: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Input tokens this step (B · T). */
  readonly tokens: number;
  /** Throughput since this run (or resume) began. */
  readonly tokensPerSecond: number;
  /** Training time so far, including time before a resume. */
  readonly elapsedMs: number;
  /** Estimated time to finish the run at the current pace. */
  readonly etaMs: number;
}

/** A validation pass on held-out data (no gradients). */
export interface ValidationEvent {
  readonly kind: 'validation';
  readonly step: number;
  readonly phase: PhaseName;
  /** Mean cross-entropy over every unmasked held-out target. */
  readonly ce: number;
  /** `exp(ce)`. */
  readonly perplexity: number;
  /** Unmasked targets scored. */
  readonly tokens: number;
  /** Batches scored. */
  readonly batches: number;
}

/** Routing statistics of one layer, averaged over a telemetry window. */
export interface LayerTelemetry {
  readonly layer: number;
  /** `(H)` share of tokens on which each head is active (1 for shared heads). */
  readonly load: readonly number[];
  /** `(H)` mean gate of each head (0 where inactive). */
  readonly meanGate: readonly number[];
  /** `L_b`, the load-balance loss. */
  readonly balanceLoss: number;
  /** `L_b / k`: 1 when the routed heads are perfectly balanced. */
  readonly balanceRatio: number;
  /** Mean router entropy over routed heads, in nats. */
  readonly entropy: number;
}

/** Routing telemetry for every layer, averaged over the steps since the last report. */
export interface TelemetryEvent {
  readonly kind: 'telemetry';
  readonly step: number;
  readonly phase: PhaseName;
  /** Steps averaged. */
  readonly window: number;
  readonly layers: readonly LayerTelemetry[];
}

/** A routed head has carried less than the collapse share of tokens for several windows in a row. */
export interface RoutingCollapseWarning {
  readonly kind: 'warning';
  readonly code: 'routingCollapse';
  readonly step: number;
  readonly phase: PhaseName;
  readonly layer: number;
  /** The head's index among all H heads. */
  readonly head: number;
  /** Its mean load over the latest window. */
  readonly load: number;
  /** Consecutive windows under the share. */
  readonly windows: number;
  readonly message: string;
}

/** Something worth a human's attention that does not stop training. */
export type WarningEvent = RoutingCollapseWarning;

/** A checkpoint written. */
export interface CheckpointEvent {
  readonly kind: 'checkpoint';
  readonly step: number;
  readonly phase: PhaseName;
  readonly dir: string;
  /** Bytes written across all files. */
  readonly bytes: number;
  /** Time spent writing. */
  readonly ms: number;
}

/** A phase starting or ending. */
export interface PhaseEvent {
  readonly kind: 'phase';
  readonly step: number;
  readonly phase: PhaseName;
  readonly status: 'start' | 'end';
  /** Steps of this phase. */
  readonly steps: number;
}

/** Every event the loop reports. */
export type TrainingEvent = StepEvent | ValidationEvent | TelemetryEvent | WarningEvent | CheckpointEvent | PhaseEvent;

/** Receives the loop's events, synchronously, in order. */
export type TrainingObserver = (event: TrainingEvent) => void;

/**
 * One observer that calls each of `observers` in turn.
 *
 * @example
 * ```ts
 * import { combineObservers } from '@moh/trainer';
 * const seen: string[] = [];
 * const observer = combineObservers((e) => seen.push(e.kind), (e) => seen.push(`again ${e.kind}`));
 * observer({ kind: 'phase', step: 0, phase: 'pretraining', status: 'start', steps: 10 });
 * // seen is ['phase', 'again phase']
 * ```
 */
export function combineObservers(...observers: readonly TrainingObserver[]): TrainingObserver {
  return (event) => {
    for (const observer of observers) observer(event);
  };
}
