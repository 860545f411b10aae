/** Decoding options shared by `moh generate` and `moh chat`, and the strategy they make. */
import type { DecodingStrategy } from '@moh/trainer';
import { Option, type Command } from 'commander';
import { CliError, ExitCode } from '../errors.js';
import { integerIn, numberIn } from '../options.js';

/** The decoding strategies `--strategy` names. */
export const STRATEGIES = ['greedy', 'sample', 'beam'] as const;

/** Decoding options as parsed. */
export interface DecodingOptions {
  readonly maxTokens: number;
  readonly strategy: (typeof STRATEGIES)[number];
  readonly temperature: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly beamWidth: number;
  readonly lengthPenalty: number;
  readonly seed: number;
}

/** Adds the decoding options to `command`. */
export function addDecodingOptions(command: Command, defaults: { maxTokens: number }): Command {
  return command
    .option('-n, --max-tokens <n>', 'the most tokens to generate', integerIn(1), defaults.maxTokens)
    .addOption(new Option('-s, --strategy <name>', 'how each next token is chosen').choices(STRATEGIES).default('greedy'))
    .option('-t, --temperature <t>', 'sampling temperature (sample; 0 means greedy)', numberIn({ atLeast: 0 }), 0.8)
    .option('--top-k <k>', 'sample only from the k most probable tokens', integerIn(1))
    .option('--top-p <p>', 'sample only from the most probable tokens holding p of the probability', numberIn({ above: 0, atMost: 1 }))
    .option('--beam-width <n>', 'hypotheses kept by beam search', integerIn(1, 64), 4)
    .option('--length-penalty <alpha>', 'beam search: > 0 favours longer answers, 0 ranks by raw probability', numberIn({}), 0.6)
    .option('--seed <n>', 'seed of the sampler', integerIn(0, 0xffffffff), 0);
}

/**
 * The strategy the options name. Without `--strategy`, sampling options (`--temperature`,
 * `--top-k`, `--top-p`) choose sampling and beam options choose beam search; with an
 * explicit strategy they do not apply to, they are a usage error rather than ignored.
 *
 * @param given - Whether an option (camelCase) was given on the command line.
 */
export function decodingStrategy(options: DecodingOptions, given: (name: string) => boolean): DecodingStrategy {
  const sampling = ['temperature', 'topK', 'topP'].filter(given);
  const beam = ['beamWidth', 'lengthPenalty'].filter(given);
  const kind = given('strategy') ? options.strategy : sampling.length > 0 ? 'sample' : beam.length > 0 ? 'beam' : options.strategy;
  const misplaced = (names: readonly string[], strategy: string): void => {
    if (names.length > 0 && kind !== strategy) {
      throw new CliError(`--${names[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --strategy ${strategy}, not ${kind}`, {
        hint: `use --strategy ${strategy}, or leave the option out`,
        exitCode: ExitCode.usage,
      });
    }
  };
  misplaced(sampling, 'sample');
  misplaced(beam, 'beam');
  switch (kind) {
    case 'greedy':
      return { kind: 'greedy' };
    case 'sample':
      // Temperature 0 is the limit of sampling: always the most probable token.
      if (options.temperature === 0) return { kind: 'greedy' };
      return { kind: 'sample', temperature: options.temperature, topK: options.topK, topP: options.topP };
    case 'beam':
      return { kind: 'beam', width: options.beamWidth, lengthPenalty: options.lengthPenalty };
    default: {
      const never: never = kind;
      throw new CliError(`unknown strategy ${String(never)}`, { exitCode: ExitCode.usage });
    }
  }
}
