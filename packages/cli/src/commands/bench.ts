import { BENCH_VARIANTS, formatBenchmark, runBenchmark, type BenchVariant, type BenchmarkResult } from '@moh/trainer';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';

/** Options of `moh bench`. */
export interface BenchOptions {
  readonly json: boolean;
  readonly profile: boolean;
  readonly quick: boolean;
  /** Comma-separated sequence lengths, e.g. `80,512`. */
  readonly contexts: string;
  /** Comma-separated variants (`allHeads` is always run as the baseline). */
  readonly variants: string;
  /** Comma-separated training batch sizes. */
  readonly batches: string;
  /** Timed rounds; defaults to 5 (2 with `--quick`). */
  readonly rounds?: string;
  /** Threads of the fast backend: `1` or `2`. */
  readonly threads: string;
}

/** Registers `moh bench`: MoH and static pruning against all heads, measured against their FLOPs. */
export function registerBench(program: Command, io: CliIo): void {
  program
    .command('bench')
    .description('Time all-heads, Mixture-of-Heads and static-pruning models (training, prefill, KV decode, memory) against their analytic FLOPs')
    .option('--json', 'print the full result as JSON', false)
    .option('--profile', 'also report the share of a training step spent in each part', false)
    .option('--quick', 'a short run: 2 rounds and fewer repeats and samples', false)
    .option('--contexts <list>', 'sequence lengths to run', '80,512')
    .option('--variants <list>', `variants to compare with allHeads (${BENCH_VARIANTS.join(', ')})`, BENCH_VARIANTS.join(','))
    .option('--batches <list>', 'training batch sizes', '1,16')
    .option('--rounds <n>', 'timed rounds (each variant once per figure per round)')
    .option('--threads <n>', 'threads of the fast backend: 2 runs half of each big matrix product on a helper thread (the matmul yardstick too)', '1')
    .addHelpText('after', [
      '',
      'Variants run in alternation (A B C A B C …) and each figure is the fastest sample. Savings are',
      'measured time against allHeads beside the FLOP saving the variant promises: "measured" from the',
      'fastest samples (the targets judge it), "paired" the median over back-to-back sample pairs.',
      '',
      'Examples:',
      '  moh bench --quick --contexts 80',
      '  moh bench --profile --json > bench.json',
    ].join('\n'))
    .action((options: BenchOptions) => {
      const result = runBench(options, io);
      io.out(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatBenchmark(result));
    });
}

/** Parses the options and runs the benchmark, reporting progress on standard error. */
export function runBench(options: BenchOptions, io: CliIo): BenchmarkResult {
  // Decoding needs a cached token, so a context holds at least 2.
  const contexts = integerList(options.contexts, '--contexts', 2);
  const batchSizes = integerList(options.batches, '--batches', 1);
  const variants = options.variants.split(',').map((v) => v.trim()).filter((v) => v !== '');
  for (const v of variants) {
    if (!(BENCH_VARIANTS as readonly string[]).includes(v)) {
      throw new CliError(`--variants: unknown variant "${v}"`, { hint: `choose from ${BENCH_VARIANTS.join(', ')}`, exitCode: ExitCode.usage });
    }
  }
  const rounds = options.rounds === undefined ? undefined : integerList(options.rounds, '--rounds', 1)[0];
  const threads = integerList(options.threads, '--threads', 1)[0];
  if (threads > 2) throw new CliError(`--threads must be 1 or 2, got ${threads}`, { exitCode: ExitCode.usage });
  return runBenchmark({
    threads,
    contexts,
    batchSizes,
    variants: variants as BenchVariant[],
    quick: options.quick,
    profile: options.profile,
    rounds,
    onProgress: (message) => io.err(`bench: ${message}\n`),
  });
}

/** A comma-separated list of integers of at least `min`. */
function integerList(text: string, flag: string, min: number): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < min)) {
    throw new CliError(`${flag} must be a comma-separated list of integers ≥ ${min}, got "${text}"`, { exitCode: ExitCode.usage });
  }
  return values;
}
