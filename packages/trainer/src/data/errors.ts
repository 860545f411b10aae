/**
 * The one error type of the data side (loaders and tokenizer files). It carries a short
 * machine-readable code and a hint saying what to do, so a command-line tool can print
 * "reason + hint" instead of a stack trace.
 */

/**
 * What went wrong with the input:
 * - `missing`: the path does not exist;
 * - `unreadable`: the path exists but cannot be read (permissions, not a file or directory);
 * - `empty`: there is no text (or no supported file in a directory);
 * - `binary`: the bytes look like a binary file (NUL bytes or many control characters);
 * - `encoding`: the bytes are not valid UTF-8;
 * - `too-large`: the input is over the size limit;
 * - `json`: a JSONL line is not valid JSON;
 * - `fields`: a JSONL record lacks the expected fields or has the wrong types;
 * - `format`: a saved tokenizer is corrupt or of another format or version.
 */
export type DataErrorCode =
  | 'missing'
  | 'unreadable'
  | 'empty'
  | 'binary'
  | 'encoding'
  | 'too-large'
  | 'json'
  | 'fields'
  | 'format';

/**
 * An input problem the user can fix. `message` says what is wrong and where (file and
 * line when known); `hint` says what to do about it.
 *
 * @example
 * ```ts
 * import { DataError, parseJsonl } from '@moh/trainer';
 * try {
 *   parseJsonl('{"txt": "hello"}', 'notes.jsonl');
 * } catch (e) {
 *   if (e instanceof DataError) console.error(`${e.message}\n${e.hint}`);
 * }
 * ```
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** The kind of problem. */
  readonly code: DataErrorCode;
  /** What the user can do about it. */
  readonly hint: string;
  /** The file (or other named input) the problem is in, when known. */
  readonly source: string | undefined;

  /** Makes an error; the message is prefixed with the source when one is given. */
  constructor(code: DataErrorCode, reason: string, hint: string, source?: string) {
    super(source === undefined ? reason : `${source}: ${reason}`);
    this.code = code;
    this.hint = hint;
    this.source = source;
  }
}
