import { availableParallelism } from 'node:os';
import { presetNames, type PresetName } from '@moh/model';
import { MAX_VOCAB_SIZE, FIRST_MERGE_ID } from '@moh/trainer';
import { Option, type Command } from 'commander';
import { CliError, CommandExit, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { integerIn, numberIn } from '../options.js';
import type { HeadsChoice } from '../run/run-info.js';
import { runTraining } from '../run/training.js';

/**
 * The defaults of `moh train`, tuned so that `npm start` (build, training and the final
 * evaluation) finishes within 5 minutes on a 2-core machine while learning as much as it
 * can: see the package README for the measurements.
 */
export const TRAIN_DEFAULTS = {
  preset: 'seed-moh' as PresetName,
  vocab: 605,
  steps: 1300,
  instructSteps: 450,
  batch: 8,
  lr: 3e-3,
  instructLr: 5e-4,
  seed: 1,
  evalEvery: 100,
  out: 'runs/latest',
  /** Two where there are two cores: the helper thread gives the same numbers, faster. */
  threads: availableParallelism() >= 2 ? 2 : 1,
} as const;

/** Options of `moh train`. */
export interface TrainOptions {
  readonly preset: PresetName;
  /** Override of the preset's head selection. */
  readonly heads?: HeadsChoice;
  /** A text/JSONL file or a directory; the embedded corpus when absent. */
  readonly corpus?: string;
  readonly vocab: number;
  readonly steps: number;
  readonly instructSteps: number;
  readonly batch: number;
  /** Defaults to the model's context length. */
  readonly seqLen?: number;
  readonly lr: number;
  readonly instructLr: number;
  readonly seed: number;
  readonly evalEvery: number;
  readonly out: string;
  /** Continue the run in this directory. */
  readonly resume?: string;
  /** Stop after this step (of the whole run), with a checkpoint. */
  readonly stopAt?: number;
  /** A JSON file of model configuration fields that override the preset. */
  readonly modelConfig?: string;
  /** Threads for the big matrix products: 1, or 2 with a helper thread (the same numbers, faster). */
  readonly threads: number;
  readonly json: boolean;
  readonly quiet: boolean;
}

/** Options that fix what a run is; a resumed run takes them from its checkpoint. */
const RUN_DEFINING = ['preset', 'heads', 'corpus', 'vocab', 'steps', 'instructSteps', 'batch', 'seqLen', 'lr', 'instructLr', 'seed', 'evalEvery', 'modelConfig'] as const;

/** Registers `moh train`. */
export function registerTrain(program: Command, io: CliIo): void {
  const d = TRAIN_DEFAULTS;
  const command = program
    .command('train')
    .description('Train a model (by default the MoH preset on the embedded corpus), then evaluate it and print a summary')
    .addOption(new Option('-p, --preset <name>', 'model preset').choices(presetNames).default(d.preset))
    .addOption(new Option('--heads <kind>', 'head selection: moh (mixture of heads), all (every head), static (6 fixed heads); default: the preset\'s').choices(['moh', 'all', 'static']))
    .option('--corpus <path>', 'train on a text file (blank lines between documents), JSONL file or directory; every 10th document is validation (default: the embedded corpus)')
    .option('--vocab <n>', 'tokenizer vocabulary size', integerIn(FIRST_MERGE_ID + 1, MAX_VOCAB_SIZE), d.vocab)
    .option('--steps <n>', 'pretraining steps', integerIn(0), d.steps)
    .option('--instruct-steps <n>', 'instruction-tuning steps (only when the data has prompt/completion pairs)', integerIn(0), d.instructSteps)
    .option('--batch <n>', 'sequences per batch', integerIn(1, 4096), d.batch)
    .option('--seq-len <n>', 'tokens per sequence (default: the model\'s context length)', integerIn(2))
    .option('--lr <rate>', 'peak learning rate of pretraining', numberIn({ above: 0, atMost: 1 }), d.lr)
    .option('--instruct-lr <rate>', 'peak learning rate of instruction tuning', numberIn({ above: 0, atMost: 1 }), d.instructLr)
    .option('--seed <n>', 'seed of the weights and the data order', integerIn(0, 0xffffffff), d.seed)
    .option('--eval-every <n>', 'validate every n steps (0: only at the end of each phase)', integerIn(0), d.evalEvery)
    .option('-o, --out <dir>', 'run directory: checkpoint/, metrics.jsonl, loss.svg, summary.json', d.out)
    .option('--resume <dir>', 'continue the run in this directory exactly where its checkpoint left off')
    .option('--stop-at <step>', 'stop after this step, saving a checkpoint (continue later with --resume)', integerIn(1))
    .option('--model-config <file>', 'JSON file of model configuration fields overriding the preset (e.g. a tiny model for tests)')
    .addOption(
      new Option('--threads <n>', 'threads for the big matrix products: 2 runs half of each on a helper thread, the same numbers')
        .argParser(integerIn(1, 2))
        .default(d.threads, '2 with two cores or more, else 1'),
    )
    .option('--json', 'print the final summary as JSON on stdout (progress goes to stderr)', false)
    .option('-q, --quiet', 'no progress output', false)
    .addHelpText('after', [
      '',
      'Ctrl-C stops after the current step, saves a checkpoint and the loss curve, and exits',
      'with code 130; continue with `moh train --resume DIR`.',
      '',
      'Examples:',
      '  moh train                              # the default run (what `npm start` does)',
      '  moh train --heads all --out runs/all   # the same run with every head on every token',
      '  moh train --corpus stories.txt --steps 300 --out runs/stories',
      '  moh train --resume runs/latest',
      '  moh train --threads 1                  # the same run (the same numbers) on one core',
    ].join('\n'));
  command.action(async (options: TrainOptions, cmd: Command) => {
    if (options.resume !== undefined) {
      const given = RUN_DEFINING.filter((name) => cmd.getOptionValueSource(name) === 'cli');
      if (given.length > 0) {
        throw new CliError(`--resume continues a run as it was configured; it cannot be combined with --${kebab(given[0])}`, {
          hint: 'leave out the other options, or start a new run with --out DIR',
          exitCode: ExitCode.usage,
        });
      }
      if (cmd.getOptionValueSource('out') === 'cli') {
        throw new CliError('--resume continues in the run\'s own directory; it cannot be combined with --out', {
          hint: `copy the run directory first if you want to keep the original`,
          exitCode: ExitCode.usage,
        });
      }
    }
    const code = await runTraining(options, io);
    if (code !== ExitCode.ok) throw new CommandExit(code);
  });
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
