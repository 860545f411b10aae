/**
 * Renders training events for a person. On a TTY: a live progress bar (cli-progress)
 * with phase, step, loss, tokens/s and ETA, with validation results, warnings and
 * checkpoints logged above it. Elsewhere (a file, a CI log): plain lines, one every few
 * steps plus one per notable event, since redrawn bars turn into noise there.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import type { StepEvent, TrainingEvent, TrainingObserver } from './events.js';

/** Where and how a {@link ProgressReporter} writes. */
export interface ProgressReporterOptions {
  /** The stream. Defaults to `process.stderr`. */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Draw a bar (true) or write plain lines (false). Defaults to whether the stream is a TTY. */
  readonly tty?: boolean;
  /** Plain mode: write a step line every this many steps (and at each phase's last step). Defaults to 10. */
  readonly lineEvery?: number;
}

/**
 * A progress display for the training loop's events.
 *
 * @example
 * ```ts
 * import { ProgressReporter } from '@moh/trainer';
 * const lines: string[] = [];
 * const reporter = new ProgressReporter({ tty: false, stream: { write: (s: string) => lines.push(s) } as never });
 * reporter.observer({ kind: 'phase', step: 0, phase: 'pretraining', status: 'start', steps: 10 });
 * reporter.close();
 * // lines[0] is 'phase pretraining start (10 steps)\n'
 * ```
 */
export class ProgressReporter {
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly lineEvery: number;
  private bars: MultiBar | null = null;
  private bar: SingleBar | null = null;

  constructor(options: ProgressReporterOptions = {}) {
    const stream = options.stream ?? process.stderr;
    this.stream = stream;
    this.tty = options.tty ?? stream.isTTY === true;
    this.lineEvery = options.lineEvery ?? 10;
  }

  /** Pass this to the trainer's `onEvent` (alone or through `combineObservers`). */
  readonly observer: TrainingObserver = (event) => this.handle(event);

  /** Renders one event. */
  handle(event: TrainingEvent): void {
    if (event.kind === 'step') {
      if (this.tty) this.drawBar(event);
      else if (event.step % this.lineEvery === 0 || event.phaseStep === event.phaseSteps) this.line(stepLine(event));
      return;
    }
    const text = describe(event);
    if (text !== null) this.line(text);
  }

  /** Flushes pending lines and stops the bar (leaving it on screen). */
  close(): void {
    // The bar redraws on a timer; a final update writes the lines logged since the last one.
    this.bars?.update();
    this.bars?.stop();
    this.bars = null;
    this.bar = null;
  }

  private drawBar(e: StepEvent): void {
    const payload = {
      phase: e.phase,
      loss: e.loss.toFixed(4),
      tps: Math.round(e.tokensPerSecond),
      // `eta` is cli-progress's own (and blank when it has no estimate), so ours has another name.
      remaining: formatDuration(e.etaMs),
    };
    if (this.bars === null || this.bar === null) {
      this.bars = new MultiBar({
        stream: this.stream,
        format: '{phase} |{bar}| {value}/{total} | loss {loss} | {tps} tok/s | ETA {remaining}',
        hideCursor: true,
        forceRedraw: true,
      });
      this.bar = this.bars.create(e.totalSteps, e.step, payload);
    }
    this.bar.update(e.step, payload);
  }

  private line(text: string): void {
    if (this.tty && this.bars !== null) this.bars.log(`${text}\n`);
    else this.stream.write(`${text}\n`);
  }
}

function stepLine(e: StepEvent): string {
  return (
    `step ${e.step}/${e.totalSteps} ${e.phase} loss ${e.loss.toFixed(4)} ce ${e.ce.toFixed(4)} lr ${e.lr.toExponential(2)} ` +
    `|g| ${e.gradNorm.toFixed(3)} ${Math.round(e.tokensPerSecond)} tok/s elapsed ${formatDuration(e.elapsedMs)} ETA ${formatDuration(e.etaMs)}`
  );
}

function describe(e: Exclude<TrainingEvent, StepEvent>): string | null {
  switch (e.kind) {
    case 'validation':
      return `validation step ${e.step} ${e.phase}: ce ${e.ce.toFixed(4)} perplexity ${e.perplexity.toFixed(2)} (${e.tokens} tokens)`;
    case 'telemetry': {
      const layers = e.layers.map((l) => `L${l.layer} L_b/k ${l.balanceRatio.toFixed(3)} H ${l.entropy.toFixed(3)} load [${l.load.map((x) => x.toFixed(2)).join(' ')}]`);
      return `routing step ${e.step}: ${layers.join('; ')}`;
    }
    case 'warning':
      return `warning step ${e.step}: ${e.message}`;
    case 'checkpoint':
      return `checkpoint step ${e.step}: ${e.dir} (${(e.bytes / 1e6).toFixed(2)} MB, ${Math.round(e.ms)} ms)`;
    case 'phase':
      return e.status === 'start' ? `phase ${e.phase} start (${e.steps} steps)` : `phase ${e.phase} end at step ${e.step}`;
    default: {
      const never: never = e;
      return JSON.stringify(never);
    }
  }
}

/** `1h02m`, `3m05s` or `12s`. */
function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
