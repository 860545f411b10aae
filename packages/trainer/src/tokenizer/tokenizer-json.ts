/**
 * The saved form of a tokenizer and its validation. The file names its format and
 * version so a checkpoint from another tool or a future layout is refused with a clear
 * message instead of silently producing wrong ids.
 */
import { DataError } from '../data/errors.js';
import { FIRST_MERGE_ID, SPECIAL_TOKEN_NAMES } from './special-tokens.js';

/** The `format` field of a saved tokenizer. */
export const TOKENIZER_FORMAT = 'moh-byte-bpe';

/** The `version` field this code writes and reads. */
export const TOKENIZER_VERSION = 1;

/** A tokenizer saved as JSON data. */
export interface TokenizerJson {
  /** Always `"moh-byte-bpe"`. */
  readonly format: typeof TOKENIZER_FORMAT;
  /** The layout version, `1`. */
  readonly version: typeof TOKENIZER_VERSION;
  /** The number of ids: 260 plus the number of merges. */
  readonly vocabSize: number;
  /** The names of the special tokens at ids 256 onwards, in order. */
  readonly specialTokens: readonly string[];
  /** The merges in rank order; merge `i` joins the two ids into id `260 + i`. */
  readonly merges: readonly (readonly [number, number])[];
}

const HINT = 'Save the tokenizer again with Tokenizer.toJSON(), or retrain it; a checkpoint needs the tokenizer it was trained with.';

function fail(reason: string): never {
  throw new DataError('format', `Invalid tokenizer file: ${reason}.`, HINT);
}

/** Checks saved tokenizer data (an object or its JSON text) and returns its merges. */
export function parseTokenizerJson(data: unknown): [number, number][] {
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch (e) {
      fail(`not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) fail('expected a JSON object');
  const d = data as Record<string, unknown>;
  if (d.format !== TOKENIZER_FORMAT) fail(`format is ${JSON.stringify(d.format)}, expected "${TOKENIZER_FORMAT}"`);
  if (d.version !== TOKENIZER_VERSION) {
    fail(`version ${JSON.stringify(d.version)} is not supported; this code reads version ${TOKENIZER_VERSION}`);
  }
  const specials = d.specialTokens;
  if (!Array.isArray(specials) || specials.length !== SPECIAL_TOKEN_NAMES.length
    || specials.some((name, i) => name !== SPECIAL_TOKEN_NAMES[i])) {
    fail(`specialTokens must be ${JSON.stringify(SPECIAL_TOKEN_NAMES)}`);
  }
  if (!Array.isArray(d.merges)) fail('merges must be an array of [left, right] id pairs');
  const seen = new Set<string>();
  const merges = d.merges.map((m: unknown, i: number): [number, number] => {
    const id = FIRST_MERGE_ID + i;
    const ok = (x: unknown): x is number =>
      Number.isInteger(x) && (x as number) >= 0 && (x as number) < id
      && ((x as number) < 256 || (x as number) >= FIRST_MERGE_ID);
    if (!Array.isArray(m) || m.length !== 2 || !ok(m[0]) || !ok(m[1])) {
      fail(`merge ${i} is ${JSON.stringify(m)}; expected two ids of bytes or earlier merges (below ${id}, not 256–259)`);
    }
    const key = `${m[0]},${m[1]}`;
    if (seen.has(key)) fail(`merge ${i} repeats the pair [${key}]`);
    seen.add(key);
    return [m[0], m[1]];
  });
  if (d.vocabSize !== FIRST_MERGE_ID + merges.length) {
    fail(`vocabSize is ${JSON.stringify(d.vocabSize)} but ${merges.length} merges make ${FIRST_MERGE_ID + merges.length}`);
  }
  return merges;
}
