/**
 * What a run was trained on, saved with its checkpoint so that `moh eval` and
 * `moh train --resume` rebuild exactly the same data. It travels inside the checkpoint's
 * `tokenizer.json`, under the key `run`, beside the tokenizer's own fields (which
 * `Tokenizer.fromJSON` reads and the extra key does not disturb): a checkpoint directory
 * then stays self-contained, whatever directory it is copied to.
 */
import { resolveCorpusConfig, Tokenizer, type ResolvedCorpusConfig } from '@moh/trainer';
import { CliError } from '../errors.js';

/** Where the training data came from. */
export type CorpusSource =
  | {
      /** The generated default corpus, remade from its configuration (seed included). */
      readonly kind: 'embedded';
      readonly config: ResolvedCorpusConfig;
    }
  | {
      /** A user's file or directory, read with `loadDataset`; every 10th document is validation. */
      readonly kind: 'files';
      /** The absolute path. */
      readonly path: string;
    };

/** How the heads of each layer are selected, as `--heads` names it. */
export type HeadsChoice = 'moh' | 'all' | 'static';

/** The `run` record of a checkpoint's `tokenizer.json`. */
export interface RunInfo {
  readonly corpus: CorpusSource;
  /** The model preset the run started from. */
  readonly preset: string;
  /** The `--heads` override, or null for the preset's own head selection. */
  readonly heads: HeadsChoice | null;
}

/** The tokenizer JSON with the run record, as saved in a checkpoint. */
export function tokenizerWithRun(tokenizer: Tokenizer, run: RunInfo): unknown {
  return { ...tokenizer.toJSON(), run };
}

/**
 * Reads the tokenizer and the run record back from a checkpoint's `tokenizer.json`
 * value; the record is null in a checkpoint not written by `moh train`.
 */
export function readTokenizerWithRun(value: unknown, file: string): { tokenizer: Tokenizer; run: RunInfo | null } {
  if (typeof value !== 'object' || value === null) {
    throw new CliError(`${file} holds no tokenizer`, { hint: 'checkpoints written by `moh train` hold one; train a new run' });
  }
  const tokenizer = Tokenizer.fromJSON(value);
  const run = (value as { run?: unknown }).run;
  if (!isRunInfo(run)) return { tokenizer, run: null };
  return { tokenizer, run: run.corpus.kind === 'embedded' ? { ...run, corpus: { kind: 'embedded', config: resolveCorpusConfig(run.corpus.config) } } : run };
}

function isRunInfo(value: unknown): value is RunInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { corpus?: { kind?: unknown; path?: unknown; config?: unknown }; preset?: unknown };
  if (typeof v.preset !== 'string' || typeof v.corpus !== 'object' || v.corpus === null) return false;
  if (v.corpus.kind === 'embedded') return typeof v.corpus.config === 'object' && v.corpus.config !== null;
  return v.corpus.kind === 'files' && typeof v.corpus.path === 'string';
}
