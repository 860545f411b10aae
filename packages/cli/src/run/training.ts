/**
 * `moh train`: sets up a new or resumed run, trains with progress and a metrics log,
 * handles Ctrl-C, then writes the loss curve and prints the evaluation summary.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { countParameters, createModel } from '@moh/model';
import { createBackend, type Backend } from '@moh/tensor';
import {
  combineObservers, JsonlMetricsLog, ProgressReporter, resolveCorpusConfig, resolveTrainerConfig, Trainer,
  type StepEvent, type TrainerConfig, type TrainingObserver,
} from '@moh/trainer';
import type { TrainOptions } from '../commands/train.js';
import { CliError, ExitCode, type ExitCodeValue } from '../errors.js';
import type { CliIo } from '../io.js';
import { lossCurveSvg } from '../plots/loss-curve.js';
import { loadRun } from './checkpoint-dir.js';
import { corpusSource, prepareData, type RunData } from './data.js';
import { VALIDATION_BATCHES } from './evaluate.js';
import { writeFileAtomic } from './files.js';
import { toCliError } from './library-errors.js';
import { readLossHistory } from './loss-history.js';
import { describeHeads, modelConfig } from './model-config.js';
import { evaluateRun } from './report.js';
import { formatSeconds, formatSummary, makeSummary } from './summary.js';
import { tokenizerWithRun, type RunInfo } from './run-info.js';

/** Where a run writes, inside its directory. */
export const RUN_FILES = { checkpoint: 'checkpoint', metrics: 'metrics.jsonl', lossCurve: 'loss.svg', summary: 'summary.json' } as const;

/** Checkpoint every this many steps, so a crash loses little. */
const CHECKPOINT_INTERVAL = 250;

/** A run ready to train. */
export interface Setup {
  readonly runDir: string;
  readonly trainer: Trainer;
  readonly data: RunData;
  readonly info: RunInfo;
  readonly fresh: boolean;
}

/** Runs `moh train`; returns the exit code (130 when interrupted). */
export async function runTraining(options: TrainOptions, io: CliIo): Promise<ExitCodeValue> {
  const say = (text: string): void => {
    if (!options.quiet) io.err(`${text}\n`);
  };
  const runDir = resolve(options.resume ?? options.out);
  const metricsPath = join(runDir, RUN_FILES.metrics);
  // Before any work: a run directory that is a file would fail only after data and tokenizer are built.
  if (existsSync(runDir) && !statSync(runDir).isDirectory()) {
    throw new CliError(`the run directory ${runDir} is a file`, {
      hint: 'pass --out a directory (it is created if missing), e.g. --out runs/latest',
      exitCode: ExitCode.usage,
    });
  }
  let trainer: Trainer | null = null;
  let lastStep: StepEvent | null = null;
  const metricsHolder: { log: JsonlMetricsLog | null } = { log: null };
  const progress = options.quiet ? null : progressReporter(io);
  const observer = combineObservers(
    (event) => metricsHolder.log?.observer(event),
    (event) => progress?.observer(event),
    (event) => {
      if (event.kind === 'step') lastStep = event;
    },
  );
  const backend = threadedBackend(options.threads, say);
  const setup = options.resume === undefined ? await newRun(options, runDir, observer, backend) : await resumeRun(options.resume, runDir, observer, backend);
  trainer = setup.trainer;
  for (const note of setup.data.notes) say(`note: ${note}`);
  describeRun(setup, say);
  mkdirSync(runDir, { recursive: true });
  metricsHolder.log = new JsonlMetricsLog(metricsPath, { truncate: setup.fresh });

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted); // a second Ctrl-C: stop now
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const started = performance.now();
  let result;
  try {
    result = await trainer.run({ signal: controller.signal, untilStep: options.stopAt });
  } catch (error) {
    throw trainingFailure(error);
  } finally {
    process.off('SIGINT', onSigint);
    progress?.close();
  }
  try {
    if (!result.done) {
      // Interrupted (Ctrl-C) or stopped by --stop-at: save what there is, to resume later.
      trainer.checkpoint();
      await writeLossCurve(runDir, setup);
      const why = result.reason === 'aborted' ? 'interrupted' : 'stopped';
      const saved = `${why} at step ${result.step} of ${trainer.totalSteps}; saved ${join(runDir, RUN_FILES.checkpoint)} and ${RUN_FILES.lossCurve}`;
      const next = `continue with \`moh train --resume ${options.resume ?? options.out}\``;
      if (result.reason === 'aborted') {
        io.err(`moh: ${saved}\nhint: ${next}\n`);
        return ExitCode.interrupted;
      }
      say(`${saved}; ${next}`);
      if (options.json) io.out(`${JSON.stringify({ stopped: { step: result.step, totalSteps: trainer.totalSteps, dir: runDir } }, null, 2)}\n`);
      return ExitCode.ok;
    }
    await writeLossCurve(runDir, setup);
  } finally {
    metricsHolder.log.close();
  }
  say(`trained ${result.step} steps in ${formatSeconds((performance.now() - started) / 1000)}; evaluating…`);
  const config = trainer.config;
  const report = evaluateRun(trainer.model, setup.data, { batchSize: config.batchSize, seqLen: config.seqLen, samples: true });
  const summary = makeSummary(setup, report, lastStep);
  writeFileAtomic(join(runDir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
  trainer.free();
  if (options.json) io.out(`${JSON.stringify(summary, null, 2)}\n`);
  else io.out(formatSummary(summary, options.resume ?? options.out));
  return ExitCode.ok;
}

/**
 * The backend of `--threads`: undefined for 1 (the default one), a fast backend with a
 * helper thread for 2. Its products give the same bits either way, so where a helper
 * cannot start the run goes on one thread, with a note.
 */
function threadedBackend(threads: number, say: (text: string) => void): Backend | undefined {
  if (threads === 1) return undefined;
  try {
    return createBackend('fast', { threads });
  } catch (error) {
    say(`note: training on one thread: ${(error as Error).message}`);
    return undefined;
  }
}

async function newRun(options: TrainOptions, runDir: string, onEvent: TrainingObserver, backend: Backend | undefined): Promise<Setup> {
  // Resolved once before the tokenizer exists, so a bad configuration fails before any work.
  const draft = modelConfig(options.preset, options.heads, options.vocab, options.modelConfig);
  const seqLen = options.seqLen ?? draft.maxSeqLen;
  const source = corpusSource(options.corpus, () => ({ kind: 'embedded', config: resolveCorpusConfig({}) }));
  const data = await prepareData(source, { vocabSize: options.vocab, seqLen });
  const config = modelConfig(options.preset, options.heads, data.tokenizer.vocabSize, options.modelConfig);
  const pretrainingSteps = data.training.pretraining === undefined ? 0 : options.steps;
  const instructionSteps = data.training.instruction === undefined ? 0 : options.instructSteps;
  const notes = [...data.notes];
  if (pretrainingSteps < options.steps) notes.push('the data has no documents: pretraining is skipped');
  if (instructionSteps < options.instructSteps) notes.push('the data has no prompt/completion pairs: instruction tuning is skipped');
  if (pretrainingSteps + instructionSteps === 0) {
    throw new CliError('nothing to train: 0 steps', {
      hint: 'pass --steps N (documents) or --instruct-steps N (prompt/completion pairs) greater than 0',
      exitCode: ExitCode.usage,
    });
  }
  let trainerConfig: TrainerConfig;
  try {
    trainerConfig = resolveTrainerConfig({
      batchSize: options.batch,
      seqLen,
      seed: options.seed,
      pretraining: { steps: pretrainingSteps, peakLr: options.lr },
      instruction: { steps: instructionSteps, peakLr: options.instructLr },
      validation: { interval: options.evalEvery, batches: VALIDATION_BATCHES },
      checkpointInterval: CHECKPOINT_INTERVAL,
    }, config);
  } catch (error) {
    throw toCliError(error);
  }
  const model = createModel(config, { seed: options.seed, backend });
  const info: RunInfo = { corpus: source, preset: options.preset, heads: options.heads ?? null };
  const trainer = withCliErrorsSync(() => new Trainer(model, trainerConfig, data.training, {
    onEvent, checkpointDir: join(runDir, RUN_FILES.checkpoint), tokenizer: tokenizerWithRun(data.tokenizer, info),
  }));
  return { runDir, trainer, data: { ...data, notes }, info, fresh: true };
}

async function resumeRun(dir: string, runDir: string, onEvent: TrainingObserver, backend: Backend | undefined): Promise<Setup> {
  const loaded = loadRun(dir, backend);
  if (loaded.run === null) {
    throw new CliError(`${dir}: the checkpoint has no record of its training data`, {
      hint: 'only runs written by `moh train` can be resumed; start a new run with --out DIR',
    });
  }
  const { checkpoint, tokenizer, run } = loaded;
  const data = await prepareData(run.corpus, { tokenizer, seqLen: checkpoint.state.config.seqLen });
  const trainer = withCliErrorsSync(() => Trainer.resume(checkpoint, data.training, {
    onEvent, checkpointDir: join(runDir, RUN_FILES.checkpoint), tokenizer: checkpoint.tokenizer,
  }));
  return { runDir, trainer, data, info: run, fresh: false };
}

function progressReporter(io: CliIo): ProgressReporter {
  const stream = io.progressStream;
  if (stream?.isTTY === true) return new ProgressReporter({ stream, tty: true });
  // Plain lines through the io (a log file, a pipe, a test): one every 25 steps is enough to follow.
  const write = { write: (text: string) => (io.err(text), true) } as unknown as NodeJS.WritableStream;
  return new ProgressReporter({ stream: write, tty: false, lineEvery: 25 });
}

function describeRun(setup: Setup, say: (text: string) => void): void {
  const { trainer, data, info } = setup;
  const c = trainer.config;
  const params = countParameters(trainer.model.config).total;
  const corpus = info.corpus.kind === 'embedded' ? `the embedded corpus (seed ${info.corpus.config.seed})` : info.corpus.path;
  const verb = setup.fresh ? 'training' : `resuming at step ${trainer.step} of`;
  say(
    `${verb} ${info.preset}${info.heads === null ? '' : ` --heads ${info.heads}`} (${params.toLocaleString('en-US')} parameters; ${describeHeads(trainer.model.config)})
`
    + `  data: ${corpus}: ${data.counts.documents} documents + ${data.counts.validationDocuments} for validation, `
    + `${data.counts.pairs} prompt/completion pairs + ${data.counts.validationPairs} for validation`
    + `${data.heldOut.length > 0 ? `, ${data.heldOut.length} held-out questions` : ''}; vocabulary ${data.tokenizer.vocabSize}
`
    + `  steps: ${c.pretraining.steps} pretraining + ${c.instruction.steps} instruction tuning, batch ${c.batchSize} × ${c.seqLen} tokens, `
    + `seed ${c.seed}; writing ${setup.runDir}`,
  );
}

async function writeLossCurve(runDir: string, setup: Setup): Promise<void> {
  const history = readLossHistory(join(runDir, RUN_FILES.metrics));
  if (history.train.length === 0) return;
  const { info, trainer } = setup;
  const pre = trainer.config.pretraining.steps;
  const phases = trainer.config.instruction.steps > 0 && pre > 0 ? `; answer tokens only after step ${pre}` : '';
  const title = `${info.preset}${info.heads === null ? '' : ` --heads ${info.heads}`}: cross-entropy${phases}`;
  writeFileAtomic(join(runDir, RUN_FILES.lossCurve), await lossCurveSvg({ ...history, title }));
}

/** The loop's own errors (a diverging loss) as one line with a hint; library errors as theirs. */
function trainingFailure(error: unknown): unknown {
  if (error instanceof Error && error.message.startsWith('The loss became')) {
    return new CliError(error.message.replace(/ Lower the learning rate.*$/, ''), { hint: 'lower --lr (or --instruct-lr)', cause: error });
  }
  return toCliError(error);
}

function withCliErrorsSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toCliError(error);
  }
}
