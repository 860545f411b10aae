/**
 * Finding and loading the checkpoint a command names. `--checkpoint DIR` may name a run
 * directory (what `moh train --out DIR` wrote: `DIR/checkpoint/`, `metrics.jsonl`,
 * `loss.svg`) or the checkpoint directory inside it.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Backend } from '@moh/tensor';
import { CHECKPOINT_FILES, loadCheckpoint, type Checkpoint, type Tokenizer } from '@moh/trainer';
import { CliError } from '../errors.js';
import { toCliError } from './library-errors.js';
import { readTokenizerWithRun, type RunInfo } from './run-info.js';

/** A loaded checkpoint with its tokenizer and run record. */
export interface LoadedRun {
  /** The run directory (the checkpoint's parent when it is named `checkpoint`). */
  readonly runDir: string;
  readonly checkpoint: Checkpoint;
  readonly tokenizer: Tokenizer;
  /** What the run was trained on; null for checkpoints not written by `moh train`. */
  readonly run: RunInfo | null;
}

/** The checkpoint directory that `dir` names: `dir/checkpoint` when there is one, else `dir`. */
export function checkpointDirOf(dir: string): { runDir: string; checkpointDir: string } {
  const target = resolve(dir);
  if (!existsSync(target)) {
    throw new CliError(`no checkpoint at ${dir}: the directory does not exist`, {
      hint: `run \`moh train --out ${dir}\` first, or pass the directory a training run wrote`,
    });
  }
  if (!statSync(target).isDirectory()) {
    throw new CliError(`${dir} is a file, not a checkpoint directory`, { hint: 'pass the run directory that `moh train --out DIR` wrote' });
  }
  const inner = join(target, 'checkpoint');
  if (existsSync(inner)) return { runDir: target, checkpointDir: inner };
  if (!existsSync(join(target, CHECKPOINT_FILES.config)) && !existsSync(join(target, CHECKPOINT_FILES.model))) {
    throw new CliError(`no checkpoint in ${dir}`, {
      hint: `run \`moh train --out ${dir}\` first (a run directory holds checkpoint/, metrics.jsonl and loss.svg)`,
    });
  }
  return { runDir: basename(target) === 'checkpoint' ? dirname(target) : target, checkpointDir: target };
}

/**
 * Loads the checkpoint `dir` names, its model on `backend` (default: the shared one);
 * every problem is a {@link CliError} with a hint.
 */
export function loadRun(dir: string, backend?: Backend): LoadedRun {
  const { runDir, checkpointDir } = checkpointDirOf(dir);
  try {
    const checkpoint = loadCheckpoint(checkpointDir, { backend });
    const { tokenizer, run } = readTokenizerWithRun(checkpoint.tokenizer, join(checkpointDir, CHECKPOINT_FILES.tokenizer));
    if (tokenizer.vocabSize !== checkpoint.config.vocabSize) {
      throw new CliError(`the checkpoint's tokenizer has ${tokenizer.vocabSize} tokens but its model ${checkpoint.config.vocabSize}`, {
        hint: 'the files come from different runs; use an intact checkpoint',
      });
    }
    return { runDir, checkpoint, tokenizer, run };
  } catch (error) {
    throw toCliError(error);
  }
}
