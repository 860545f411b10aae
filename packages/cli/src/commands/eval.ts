import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { loadRun } from '../run/checkpoint-dir.js';
import { corpusSource, prepareData } from '../run/data.js';
import { evaluateRun, formatReport } from '../run/report.js';

/** Options of `moh eval`. */
export interface EvalOptions {
  readonly checkpoint: string;
  /** Evaluate on this corpus's validation split instead of the run's own data. */
  readonly corpus?: string;
  /** Also print sample answers (or continuations). */
  readonly samples: boolean;
  readonly json: boolean;
}

/** Registers `moh eval`. */
export function registerEval(program: Command, io: CliIo): void {
  program
    .command('eval')
    .description('Validation loss, perplexity, held-out QA accuracy and head usage of a checkpoint')
    .requiredOption('-c, --checkpoint <dir>', 'run directory (or its checkpoint/) written by `moh train`')
    .option('--corpus <path>', 'evaluate on the validation split (every 10th document) of this file or directory instead of the run\'s own data')
    .option('--samples', 'also print sample answers', false)
    .option('--json', 'print the results as JSON', false)
    .addHelpText('after', [
      '',
      'The run\'s own data is rebuilt exactly from what the checkpoint records: the embedded',
      'corpus from its seed (with its held-out questions), or the files it was trained on.',
      '',
      'Examples:',
      '  moh eval -c runs/latest',
      '  moh eval -c runs/latest --json',
      '  moh eval -c runs/stories --corpus more-stories.txt',
    ].join('\n'))
    .action(async (options: EvalOptions) => {
      const { checkpoint, tokenizer, run } = loadRun(options.checkpoint);
      if (options.corpus === undefined && run === null) {
        throw new CliError(`${options.checkpoint}: the checkpoint does not record its training data`, {
          hint: 'pass --corpus PATH to evaluate on a file or directory',
        });
      }
      const source = corpusSource(options.corpus, () => {
        if (run === null) throw new Error('unreachable: checked above');
        return run.corpus;
      });
      const { config } = checkpoint.state;
      const data = await prepareData(source, { tokenizer, seqLen: config.seqLen });
      const report = evaluateRun(checkpoint.model, data, { batchSize: config.batchSize, seqLen: config.seqLen, samples: options.samples });
      if (options.json) {
        io.out(`${JSON.stringify({ checkpoint: options.checkpoint, step: checkpoint.state.step, corpus: source.kind === 'embedded' ? 'embedded' : source.path, ...report }, null, 2)}\n`);
        return;
      }
      io.out(`Checkpoint ${options.checkpoint} at step ${checkpoint.state.step}, evaluated on ${source.kind === 'embedded' ? 'the embedded corpus' : source.path}\n\n`);
      io.out(formatReport(report));
    });
}
