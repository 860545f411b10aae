/**
 * Turning the bytes of a user's file into training data, without touching the file
 * system (so it also runs in a browser): checks that the bytes are text, decodes them,
 * and parses plain-text documents or JSONL records. Every problem is a `DataError` that
 * names the source and says what to do.
 */
import { DataError } from './errors.js';
import type { InstructionPair } from './types.js';

/** Options for reading user data. */
export interface ReadOptions {
  /**
   * The largest input accepted, in bytes (for a directory, all its files together).
   * Defaults to {@link DEFAULT_MAX_BYTES} (256 MiB).
   */
  readonly maxBytes?: number;
}

/** The default size limit: 256 MiB, far more text than a small model can learn from. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** Training data read from a user's files. */
export interface Dataset {
  /** Pretraining documents: blocks of a text file, `{"text"}` records of a JSONL file. */
  readonly documents: string[];
  /** Instruction pairs: `{"prompt", "completion"}` records of a JSONL file. */
  readonly pairs: InstructionPair[];
  /** The files the data came from, in the order they were read. */
  readonly files: string[];
}

/**
 * Above this share of control bytes (other than tab, newline and carriage return) the
 * input is taken for binary data: real text has almost none.
 */
const MAX_CONTROL_SHARE = 0.1;

const JSONL_SHAPE = 'Each line must be one JSON object: {"text": "…"} for a document or '
  + '{"prompt": "…", "completion": "…"} for an instruction pair.';

/**
 * The text of `bytes` after checking that it is usable: within the size limit, not
 * empty, not binary, valid UTF-8. A leading byte-order mark is dropped. `source` names
 * the input in error messages.
 */
export function decodeText(bytes: Uint8Array, source: string, options: ReadOptions = {}): string {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes, source);
  if (bytes.length === 0) throw emptyInput(source);
  let control = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0) {
      throw new DataError('binary', `looks like a binary file (NUL byte at offset ${i}).`,
        'Give a UTF-8 text file (.txt) or JSON Lines file (.jsonl); convert documents such as PDF or Word to plain text first.', source);
    }
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) control++;
  }
  if (control > MAX_CONTROL_SHARE * bytes.length) {
    throw new DataError('binary',
      `looks like a binary file (${((100 * control) / bytes.length).toFixed(1)}% control characters).`,
      'Give a UTF-8 text file (.txt) or JSON Lines file (.jsonl).', source);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    throw new DataError('encoding', `is not valid UTF-8 (first bad byte at offset ${offset}, line ${line}).`,
      'Convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8 in.txt > out.txt`.', source);
  }
  if (text.trim() === '') throw emptyInput(source);
  return text;
}

/**
 * The documents of a plain-text file: blocks separated by one or more blank lines
 * (lines holding only spaces or tabs count as blank), trimmed. Line breaks inside a
 * block are kept; `\r\n` becomes `\n`.
 */
export function parseTextDocuments(text: string, source: string): string[] {
  const documents = text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n\s*/).map((d) => d.trim()).filter((d) => d !== '');
  if (documents.length === 0) throw emptyInput(source);
  return documents;
}

/**
 * The records of a JSON Lines text: one JSON object per line, either `{"text": string}`
 * (a document) or `{"prompt": string, "completion": string}` (an instruction pair).
 * Other fields are ignored; blank lines are skipped. Errors name the line.
 */
export function parseJsonl(text: string, source: string): Dataset {
  const documents: string[] = [];
  const pairs: InstructionPair[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line) as unknown;
    } catch (e) {
      throw new DataError('json', `line ${i + 1} is not valid JSON (${(e as Error).message}).`,
        `${JSONL_SHAPE} Fix or remove line ${i + 1}.`, source);
    }
    const r = record as Record<string, unknown>;
    const fields = (reason: string): DataError =>
      new DataError('fields', `line ${i + 1}: ${reason}.`, `${JSONL_SHAPE} Fix ${where}.`, source);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw fields(`expected a JSON object, got ${Array.isArray(record) ? 'an array' : typeof record === 'object' ? 'null' : typeof record}`);
    }
    const hasText = 'text' in r;
    const hasPair = 'prompt' in r || 'completion' in r;
    if (hasText && hasPair) throw fields('has both "text" and "prompt"/"completion"; use one form per line');
    if (hasText) {
      if (typeof r.text !== 'string') throw fields(`"text" must be a string, got ${typeOf(r.text)}`);
      if (r.text.trim() === '') throw fields('"text" is empty');
      documents.push(r.text);
    } else if (hasPair) {
      for (const key of ['prompt', 'completion'] as const) {
        if (typeof r[key] !== 'string') throw fields(`"${key}" must be a string, got ${typeOf(r[key])}`);
        if ((r[key] as string).trim() === '') throw fields(`"${key}" is empty`);
      }
      pairs.push({ prompt: r.prompt as string, completion: r.completion as string });
    } else {
      const keys = Object.keys(r);
      throw fields(`has no "text" or "prompt"/"completion" field (fields: ${keys.length > 0 ? keys.join(', ') : 'none'})`);
    }
  }
  if (documents.length === 0 && pairs.length === 0) throw emptyInput(source);
  return { documents, pairs, files: [source] };
}

function typeOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** A DataError for input with no text in it. */
export function emptyInput(source: string): DataError {
  return new DataError('empty', 'has no text.', 'Give a file with at least one non-empty document or record.', source);
}

/** A DataError for input over the size limit. */
export function tooLarge(size: number, maxBytes: number, source: string): DataError {
  return new DataError('too-large', `is ${size} bytes, over the limit of ${maxBytes} bytes.`,
    'Use a smaller sample of the data, or raise the limit (the maxBytes option).', source);
}

/** The offset of the first byte that breaks UTF-8 (overlong forms and surrogates included), or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0) return i;
    let cp = c & (n === 1 ? 0x1f : n === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= n; k++) {
      if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if (n === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return i;
    if (n === 3 && (cp < 0x10000 || cp > 0x10ffff)) return i;
    i += n + 1;
  }
  return -1;
}
