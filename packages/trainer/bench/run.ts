/**
 * `npm run bench` (from the root, or `-w @moh/trainer`): the end-to-end benchmark of
 * `moh bench`, without the CLI. Flags: `--json`, `--profile`, `--quick`,
 * `--contexts 80,512`, `--variants moh,staticPruning`, `--batches 1,16`, `--rounds N`.
 */
import { enableRelaxedSimd } from '@moh/tensor';
import { BENCH_VARIANTS, formatBenchmark, runBenchmark, type BenchVariant } from '../src/index.js';

// As the CLI does: fused multiply-add on Node 20 too.
enableRelaxedSimd();

const args = process.argv.slice(2);
const value = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const list = (flag: string, fallback: string): number[] => (value(flag) ?? fallback).split(',').map(Number);
const variants = (value('--variants') ?? BENCH_VARIANTS.join(',')).split(',') as BenchVariant[];
const rounds = value('--rounds');
const result = runBenchmark({
  contexts: list('--contexts', '80,512'),
  batchSizes: list('--batches', '1,16'),
  variants,
  quick: args.includes('--quick'),
  profile: args.includes('--profile'),
  rounds: rounds === undefined ? undefined : Number(rounds),
  onProgress: (message) => console.error(`bench: ${message}`),
});
console.log(args.includes('--json') ? JSON.stringify(result, null, 2) : formatBenchmark(result));
