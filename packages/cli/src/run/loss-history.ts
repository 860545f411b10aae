/**
 * The loss curve of a run, read back from its `metrics.jsonl`: training cross-entropy
 * per step and the validation passes. A resumed run appends to the same log, and steps
 * that ran after the last checkpoint of an interrupted run are run again on resume, so
 * a later line for the same step replaces an earlier one.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LossPoint } from '../plots/loss-curve.js';

/** The points of a loss curve. */
export interface LossHistory {
  readonly train: LossPoint[];
  readonly validation: LossPoint[];
}

/** Reads `metrics.jsonl`; a missing file or a torn last line gives what could be read. */
export function readLossHistory(path: string): LossHistory {
  if (!existsSync(path)) return { train: [], validation: [] };
  const train = new Map<number, number>();
  const validation = new Map<string, LossPoint>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let event: { kind?: string; step?: number; ce?: number; phase?: string };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue; // a line cut short by a crash
    }
    if (typeof event.step !== 'number' || typeof event.ce !== 'number') continue;
    if (event.kind === 'step') train.set(event.step, event.ce);
    else if (event.kind === 'validation') validation.set(`${event.phase}:${event.step}`, { step: event.step, loss: event.ce });
  }
  return {
    train: [...train].map(([step, loss]) => ({ step, loss })).sort((a, b) => a.step - b.step),
    validation: [...validation.values()].sort((a, b) => a.step - b.step),
  };
}
