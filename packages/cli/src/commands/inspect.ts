import { resolve } from 'node:path';
import { headUsage, type HeadUsage, type Tokenizer } from '@moh/trainer';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { headHeatmapSvg } from '../plots/head-heatmap.js';
import { loadRun } from '../run/checkpoint-dir.js';
import { writeFileAtomic } from '../run/files.js';
import { sharedHeads } from '../run/report.js';
import { promptIds } from './generate.js';

/** Options of `moh inspect`. */
export interface InspectOptions {
  readonly checkpoint: string;
  readonly prompt: string;
  readonly chat: boolean;
  /** Write the heatmap here. */
  readonly svg?: string;
  readonly json: boolean;
}

/** Registers `moh inspect`. */
export function registerInspect(program: Command, io: CliIo): void {
  program
    .command('inspect')
    .description('Show which attention heads each token of a prompt used, per layer (a table, JSON, or an SVG heatmap)')
    .requiredOption('-c, --checkpoint <dir>', 'run directory (or its checkpoint/) written by `moh train`')
    .requiredOption('--prompt <text>', 'the text to inspect')
    .option('--chat', 'format the prompt as a user turn, as chat and QA do', false)
    .option('--svg <file>', 'also write a heatmap of the heads\' gates (blank: head skipped) to this SVG file')
    .option('--json', 'print tokens, active heads, gates and loads as JSON', false)
    .addHelpText('after', [
      '',
      'Examples:',
      '  moh inspect -c runs/latest --prompt "Mira lives in Oakdale."',
      '  moh inspect -c runs/latest --chat --prompt "Where does Mira live?" --svg heads.svg',
    ].join('\n'))
    .action(async (options: InspectOptions) => {
      const { checkpoint, tokenizer } = loadRun(options.checkpoint);
      const usage = headUsage(checkpoint.model, promptIds(tokenizer, options.prompt, options.chat));
      const tokens = usage.tokens.map((id) => tokenText(tokenizer, id));
      if (options.svg !== undefined) {
        const svg = await headHeatmapSvg({ tokens, layers: usage.layers, title: `Heads per token: ${JSON.stringify(options.prompt)}` });
        writeFileAtomic(resolve(options.svg), svg);
      }
      if (options.json) {
        io.out(`${JSON.stringify({
          prompt: options.prompt,
          headSelection: usage.headSelection,
          heads: usage.heads,
          sharedHeads: usage.sharedHeads,
          truncated: usage.truncated,
          tokens: usage.tokens.map((id, t) => ({ id, text: tokens[t] })),
          layers: usage.layers,
          svg: options.svg ?? null,
        }, null, 2)}\n`);
        return;
      }
      io.out(headTable(usage, tokens));
      if (options.svg !== undefined) io.out(`\nWrote the heatmap to ${options.svg}\n`);
    });
}

/** A token as printable text: special tokens by name, whitespace made visible. */
export function tokenText(tokenizer: Tokenizer, id: number): string {
  return JSON.stringify(tokenizer.decode([id])).slice(1, -1);
}

/** The text table: a row per token, a column per layer listing the heads that ran on that token. */
export function headTable(usage: HeadUsage, tokens: readonly string[]): string {
  const L = usage.layers.length;
  const cells = usage.tokens.map((_, t) => usage.layers.map((layer) => layer.active[t].join(' ')));
  const tokenWidth = Math.max(5, ...tokens.map((s) => s.length + 2));
  const widths = Array.from({ length: L }, (_, l) => Math.max(`layer ${l}`.length, ...cells.map((row) => row[l].length)));
  const line = (first: string, rest: readonly string[]): string => `${first.padEnd(tokenWidth + 6)}${rest.map((c, l) => c.padEnd(widths[l])).join('   ')}`.trimEnd();
  const about = usage.headSelection === 'mixtureOfHeads'
    ? `${sharedHeads(usage.sharedHeads)} shared (every token); the others are routed per token`
    : usage.headSelection === 'allHeads' ? 'every head runs on every token' : 'static pruning: the same heads on every token';
  const out = [`Active heads per token and layer (${usage.heads} heads per layer; ${about})`, ''];
  out.push(line('  #  token', Array.from({ length: L }, (_, l) => `layer ${l}`)));
  usage.tokens.forEach((_, t) => out.push(line(`${String(t).padStart(3)}  ${JSON.stringify(tokens[t])}`, cells[t])));
  out.push('');
  out.push(line('load (share of tokens per head):', []));
  usage.layers.forEach((layer, l) => out.push(`  layer ${l}: ${layer.load.map((x, h) => `h${h} ${x.toFixed(2)}`).join('  ')}`));
  if (usage.truncated > 0) out.push(`(the first ${usage.truncated} tokens were dropped to fit the model's context)`);
  return `${out.join('\n')}\n`;
}
