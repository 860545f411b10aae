/** The model configuration of a new run: a preset, the `--heads` override and an optional `--model-config` file. */
import { readFileSync } from 'node:fs';
import { resolveConfig, type ModelConfig, type ModelConfigInput, type PresetName } from '@moh/model';
import { CliError, ExitCode } from '../errors.js';
import { toCliError } from './library-errors.js';
import type { HeadsChoice } from './run-info.js';

const HEAD_SELECTION_KIND = { moh: 'mixtureOfHeads', all: 'allHeads', static: 'staticPruning' } as const;

/** Reads a `--model-config` JSON file: an object of model configuration fields. */
export function readModelConfigFile(file: string): ModelConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`--model-config ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      hint: 'pass a JSON file of model configuration fields, e.g. {"modelDim": 64, "layers": 2}',
      exitCode: ExitCode.usage,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`--model-config ${file}: not valid JSON (${(error as Error).message})`, {
      hint: 'the file must hold one JSON object of model configuration fields',
      exitCode: ExitCode.usage,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`--model-config ${file}: expected a JSON object`, { hint: 'e.g. {"modelDim": 64, "layers": 2}', exitCode: ExitCode.usage });
  }
  for (const [key, option] of [['preset', '--preset'], ['vocabSize', '--vocab']] as const) {
    if (key in value) {
      throw new CliError(`--model-config ${file}: "${key}" is set with ${option}, not in the file`, {
        hint: `remove "${key}" from the file and pass ${option}`,
        exitCode: ExitCode.usage,
      });
    }
  }
  return value as ModelConfigInput;
}

/** Resolves the model configuration; a `ConfigError` becomes a usage error naming its source. */
export function modelConfig(preset: PresetName, heads: HeadsChoice | undefined, vocabSize: number, file?: string): ModelConfig {
  const override = file === undefined ? {} : readModelConfigFile(file);
  const selection = override.attention?.headSelection;
  const input: ModelConfigInput = {
    ...override,
    preset,
    vocabSize,
    attention: {
      ...override.attention,
      headSelection: heads === undefined ? selection : { ...selection, kind: HEAD_SELECTION_KIND[heads] },
    },
  };
  try {
    return resolveConfig(input);
  } catch (error) {
    throw toCliError(error, { configSource: file === undefined ? undefined : `--model-config ${file}` });
  }
}

/** How a configuration selects heads, in words. */
export function describeHeads(config: ModelConfig): string {
  const s = config.attention.headSelection;
  const H = config.attention.queryHeads;
  switch (s.kind) {
    case 'allHeads':
      return `all ${H} heads on every token`;
    case 'staticPruning':
      return `static pruning, the same ${s.activeHeads} of ${H} heads on every token`;
    case 'mixtureOfHeads':
      return `mixture of heads: ${s.sharedHeads} shared + top-${s.activeRoutedHeads} of ${H - s.sharedHeads} routed heads per token`;
    default: {
      const never: never = s;
      return JSON.stringify(never);
    }
  }
}
