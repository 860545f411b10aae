import { countParameters, presetNames, resolveConfig, type PresetName } from '@moh/model';
import { Option, type Command } from 'commander';
import type { CliIo } from '../io.js';

/** Options of `moh params`. */
export interface ParamsOptions {
  readonly preset: PresetName;
  readonly json: boolean;
}

/** Registers `moh params`: parameter counts of a preset, per tensor and in total. */
export function registerParams(program: Command, io: CliIo): void {
  program
    .command('params')
    .description('Count the parameters of a model preset, per tensor and in total')
    .addOption(new Option('-p, --preset <name>', 'model preset').choices(presetNames).default('seed'))
    .option('--json', 'print the counts as JSON', false)
    .action((options: ParamsOptions) => {
      runParams(options, io);
    });
}

/** Prints the parameter table of a preset. */
export function runParams(options: ParamsOptions, io: CliIo): void {
  const count = countParameters(resolveConfig({ preset: options.preset }));
  if (options.json) {
    io.out(`${JSON.stringify({ preset: options.preset, tensors: count.tensors, total: count.total }, null, 2)}\n`);
    return;
  }
  const rows = count.tensors.map((t) => [t.name, t.shape.join(' × '), t.count.toLocaleString('en-US')]);
  rows.push(['total', '', count.total.toLocaleString('en-US')]);
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c].length), ['tensor', 'shape', 'count'][c].length));
  const line = (r: string[]): string => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padStart(widths[2])}\n`;
  io.out(`Parameters of preset "${options.preset}"\n\n`);
  io.out(line(['tensor', 'shape', 'count']));
  for (const r of rows.slice(0, -1)) io.out(line(r));
  io.out(line(rows[rows.length - 1]));
}
