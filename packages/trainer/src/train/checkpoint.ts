/**
 * Checkpoints: a directory of five files, written atomically.
 *
 * - `model.safetensors`: the weights (the model configuration also travels in its metadata);
 * - `config.json`: the model configuration;
 * - `tokenizer.json`: the caller's tokenizer, an opaque JSON value (`null` when none);
 * - `optimizer.safetensors`: AdamW's `m` and `v`, with the step in the metadata;
 * - `state.json`: step, phase, data `Rng` and cursors, trainer configuration, telemetry
 *   windows, validation history, attention-entropy averages (see {@link TrainerState}).
 *
 * Atomicity: everything is written and fsynced into a temporary directory beside the
 * target, which is then renamed into place. POSIX cannot rename a directory over a
 * non-empty one, so an older checkpoint is first renamed aside and removed only once
 * the new one is in place; a failure before that leaves the old checkpoint untouched.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { configFromJson, configToJson, loadSafetensors, toSafetensors, type Model, type ModelConfig } from '@moh/model';
import type { Backend } from '@moh/tensor';
import { validateTrainerConfig } from './config.js';
import { optimizerFromSafetensors, optimizerToSafetensors, type AdamWState } from './optimizer.js';
import { checkTrainerState, type TrainerState } from './trainer-state.js';

/** The file names of a checkpoint directory. */
export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  optimizer: 'optimizer.safetensors',
  state: 'state.json',
} as const;

/** What a checkpoint holds, to write. */
export interface CheckpointContents {
  readonly model: Model;
  readonly optimizer: AdamWState;
  readonly state: TrainerState;
  /** Any JSON value (the tokenizer's own serialisation); `undefined` is written as `null`. */
  readonly tokenizer?: unknown;
}

/** A checkpoint read back by {@link loadCheckpoint}. */
export interface Checkpoint {
  /** The directory it was read from. */
  readonly dir: string;
  /** The model, its weights restored bit for bit. */
  readonly model: Model;
  /** The model configuration. */
  readonly config: ModelConfig;
  readonly optimizer: AdamWState;
  readonly state: TrainerState;
  /** The tokenizer JSON value as saved. */
  readonly tokenizer: unknown;
}

/** How {@link saveCheckpoint} writes; the hook exists so tests can make a write fail. */
export interface CheckpointWriteOptions {
  /** Writes and fsyncs one file. Defaults to Node's `fs`. */
  readonly writeFile?: (path: string, data: Uint8Array) => void;
}

/** Why a checkpoint could not be read. */
export type CheckpointProblem = 'missing' | 'corrupt' | 'mismatch';

/** A checkpoint that cannot be loaded: `file` names the culprit, `hint` says what to do. */
export class CheckpointError extends Error {
  /** The file (or directory) at fault. */
  readonly file: string;
  readonly problem: CheckpointProblem;
  /** What to do about it. */
  readonly hint: string;

  constructor(file: string, problem: CheckpointProblem, detail: string, hint: string) {
    super(`${file}: ${detail} ${hint}`);
    this.name = 'CheckpointError';
    this.file = file;
    this.problem = problem;
    this.hint = hint;
  }
}

/**
 * Writes a checkpoint to `dir` atomically (see the module comment), replacing any
 * checkpoint already there. Returns the bytes written.
 */
export function saveCheckpoint(dir: string, contents: CheckpointContents, options: CheckpointWriteOptions = {}): { bytes: number } {
  const writeFile = options.writeFile ?? writeFileSynced;
  const target = resolve(dir);
  const parent = dirname(target);
  const name = basename(target);
  mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const tmp = join(parent, `.${name}.tmp-${tag}`);
  const encoder = new TextEncoder();
  const files: [string, Uint8Array][] = [
    [CHECKPOINT_FILES.model, toSafetensors(contents.model)],
    [CHECKPOINT_FILES.config, encoder.encode(configToJson(contents.model.config))],
    [CHECKPOINT_FILES.tokenizer, encoder.encode(`${JSON.stringify(contents.tokenizer ?? null)}\n`)],
    [CHECKPOINT_FILES.optimizer, optimizerToSafetensors(contents.optimizer)],
    [CHECKPOINT_FILES.state, encoder.encode(`${JSON.stringify(contents.state, null, 2)}\n`)],
  ];
  try {
    mkdirSync(tmp);
    for (const [file, data] of files) writeFile(join(tmp, file), data);
    fsyncDirectory(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(target)) {
    const old = join(parent, `.${name}.old-${tag}`);
    renameSync(target, old);
    try {
      renameSync(tmp, target);
    } catch (e) {
      renameSync(old, target);
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    fsyncDirectory(parent);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, target);
    fsyncDirectory(parent);
  }
  return { bytes: files.reduce((n, [, data]) => n + data.length, 0) };
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}. Throws {@link CheckpointError}
 * naming the missing or corrupt file, what is wrong with it and what to do.
 */
export function loadCheckpoint(dir: string, options: { readonly backend?: Backend } = {}): Checkpoint {
  const target = resolve(dir);
  if (!existsSync(target)) {
    const parent = dirname(target);
    const aside = existsSync(parent) ? readdirSync(parent).filter((f) => f.startsWith(`.${basename(target)}.old-`)) : [];
    const hint =
      aside.length > 0
        ? `A checkpoint was being replaced when the writer stopped; rename ${join(parent, aside[0])} to ${target} to recover it.`
        : 'Check the path, or train without resuming to create one.';
    throw new CheckpointError(target, 'missing', 'no checkpoint directory here.', hint);
  }
  const read = (file: string): Uint8Array => {
    const path = join(target, file);
    if (!existsSync(path)) {
      throw new CheckpointError(path, 'missing', 'this checkpoint file is missing.', 'The checkpoint is incomplete; use an intact one (checkpoints are written whole, so this one was altered afterwards).');
    }
    return readFileSync(path);
  };
  const text = (file: string): string => new TextDecoder().decode(read(file));
  const corrupt = (file: string, e: unknown, hint = 'Restore the file from a backup or use an earlier checkpoint.'): CheckpointError =>
    new CheckpointError(join(target, file), 'corrupt', `${(e as Error).message}`, hint);

  let config: ModelConfig;
  try {
    config = configFromJson(text(CHECKPOINT_FILES.config));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw corrupt(CHECKPOINT_FILES.config, e);
  }
  const modelBytes = read(CHECKPOINT_FILES.model);
  let model: Model;
  try {
    model = loadSafetensors(modelBytes, config, options);
  } catch (e) {
    throw corrupt(CHECKPOINT_FILES.model, e);
  }
  let tokenizer: unknown;
  try {
    tokenizer = JSON.parse(text(CHECKPOINT_FILES.tokenizer));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw corrupt(CHECKPOINT_FILES.tokenizer, e);
  }
  const optimizerBytes = read(CHECKPOINT_FILES.optimizer);
  let optimizer: AdamWState;
  try {
    optimizer = optimizerFromSafetensors(optimizerBytes, model.params.length);
  } catch (e) {
    throw corrupt(CHECKPOINT_FILES.optimizer, e);
  }
  let state: TrainerState;
  try {
    state = checkTrainerState(JSON.parse(text(CHECKPOINT_FILES.state)));
    validateTrainerConfig(state.config, config);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw corrupt(CHECKPOINT_FILES.state, e);
  }
  if (state.step !== optimizer.step) {
    throw new CheckpointError(
      join(target, CHECKPOINT_FILES.state),
      'mismatch',
      `records step ${state.step} but ${CHECKPOINT_FILES.optimizer} records step ${optimizer.step}.`,
      'The files come from different checkpoints; use an intact checkpoint directory.',
    );
  }
  return { dir: target, model, config, optimizer, state, tokenizer };
}

function writeFileSynced(path: string, data: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a directory's entries durable; best effort, since some platforms cannot open directories. */
function fsyncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; the renames are still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
