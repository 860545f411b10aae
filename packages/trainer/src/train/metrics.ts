/**
 * The JSONL metrics log: one JSON object per training event, one per line, each
 * written straight to the file descriptor (no buffering in this process), so that a
 * crash loses at most the event being written and `tail -f` shows progress live.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TrainingEvent, TrainingObserver } from './events.js';

/** How to open a {@link JsonlMetricsLog}. */
export interface MetricsLogOptions {
  /** Start a fresh file instead of appending (a resumed run appends). Defaults to false. */
  readonly truncate?: boolean;
}

/**
 * Appends every event it observes to a JSONL file, with a `time` field (ISO 8601).
 *
 * @example
 * ```ts
 * import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { JsonlMetricsLog } from '@moh/trainer';
 * const dir = mkdtempSync(join(tmpdir(), 'moh-metrics-'));
 * const log = new JsonlMetricsLog(join(dir, 'metrics.jsonl'));
 * log.observer({ kind: 'phase', step: 0, phase: 'pretraining', status: 'start', steps: 10 });
 * log.close();
 * console.log(JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).kind); // 'phase'
 * rmSync(dir, { recursive: true });
 * ```
 */
export class JsonlMetricsLog {
  /** The file written. */
  readonly path: string;
  private fd: number | null;

  constructor(path: string, options: MetricsLogOptions = {}) {
    this.path = path;
    this.fd = openSync(path, options.truncate === true ? 'w' : 'a');
  }

  /** Pass this to the trainer's `onEvent` (alone or through `combineObservers`). */
  readonly observer: TrainingObserver = (event) => this.write(event);

  /** Appends one event as a line. */
  write(event: TrainingEvent): void {
    if (this.fd === null) throw new Error(`The metrics log ${this.path} is closed.`);
    writeSync(this.fd, `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  }

  /** Closes the file; later writes throw. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
