/**
 * Loading a user's data from disk (Node only). This is the thin file-system part: it
 * finds and reads files and turns file-system errors into `DataError`s; checking and
 * parsing the bytes is left to `parse.ts`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { DataError } from './errors.js';
import { DEFAULT_MAX_BYTES, decodeText, parseJsonl, parseTextDocuments, tooLarge } from './parse.js';
import type { Dataset, ReadOptions } from './parse.js';

/** File extensions read as plain text; `.jsonl` files are read as JSON Lines. */
const TEXT_EXTENSIONS = ['.txt', '.text', '.md'];

/**
 * The documents of a UTF-8 text file, separated by blank lines.
 *
 * @example
 * ```ts
 * import { loadTextFile } from '@moh/trainer';
 * const { documents } = await loadTextFile('stories.txt');
 * ```
 */
export async function loadTextFile(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const text = await readText(path, options.maxBytes ?? DEFAULT_MAX_BYTES);
  return { documents: parseTextDocuments(text, path), pairs: [], files: [path] };
}

/** The records of a JSON Lines file: `{"text"}` documents and `{"prompt", "completion"}` pairs. */
export async function loadJsonl(path: string, options: ReadOptions = {}): Promise<Dataset> {
  return parseJsonl(await readText(path, options.maxBytes ?? DEFAULT_MAX_BYTES), path);
}

/**
 * A file, or every supported file in a directory and its subdirectories. `.jsonl` files
 * are read as JSON Lines; other files named directly are read as text; in a directory,
 * only `.txt`, `.text`, `.md` and `.jsonl` files are read, hidden names (starting with
 * `.`) are skipped, and files are read in the order of their relative paths (compared
 * as plain strings), so the result never depends on the file system's listing order.
 */
export async function loadDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const info = await statPath(path);
  if (!info.isDirectory()) return loadFile(path, maxBytes);
  const files = (await listFiles(path)).sort((a, b) => compare(relative(path, a), relative(path, b)));
  if (files.length === 0) {
    throw new DataError('empty', 'has no .txt, .text, .md or .jsonl files.',
      'Put your documents in .txt files (blank lines between documents) or .jsonl files.', path);
  }
  let total = 0;
  for (const file of files) total += (await statPath(file)).size;
  if (total > maxBytes) throw tooLarge(total, maxBytes, path);
  const dataset: Dataset = { documents: [], pairs: [], files: [] };
  for (const file of files) {
    const part = await loadFile(file, maxBytes);
    dataset.documents.push(...part.documents);
    dataset.pairs.push(...part.pairs);
    dataset.files.push(file);
  }
  return dataset;
}

function loadFile(path: string, maxBytes: number): Promise<Dataset> {
  return extname(path).toLowerCase() === '.jsonl' ? loadJsonl(path, { maxBytes }) : loadTextFile(path, { maxBytes });
}

async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
    throw fsError(e, dir);
  });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    // Symbolic links to directories are not followed, so a link cycle cannot loop.
    if (entry.isDirectory()) found.push(...(await listFiles(full)));
    else if ((entry.isFile() || entry.isSymbolicLink()) && isSupported(entry.name)) found.push(full);
  }
  return found;
}

function isSupported(name: string): boolean {
  const ext = extname(name).toLowerCase();
  return ext === '.jsonl' || TEXT_EXTENSIONS.includes(ext);
}

/** Plain code-unit order of paths with `/` separators, the same on every platform. */
function compare(a: string, b: string): number {
  const x = a.split(sep).join('/');
  const y = b.split(sep).join('/');
  return x < y ? -1 : x > y ? 1 : 0;
}

async function statPath(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    throw fsError(e, path);
  }
}

async function readText(path: string, maxBytes: number): Promise<string> {
  const info = await statPath(path);
  if (info.isDirectory()) {
    throw new DataError('unreadable', 'is a directory.', 'Pass it to loadDataset, or name a file inside it.', path);
  }
  if (!info.isFile()) throw new DataError('unreadable', 'is not a regular file.', 'Name a text or JSONL file.', path);
  // Checked before reading, so an oversized file is never loaded into memory.
  if (info.size > maxBytes) throw tooLarge(info.size, maxBytes, path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw fsError(e, path);
  }
  return decodeText(bytes, path, { maxBytes });
}

function fsError(e: unknown, path: string): DataError {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new DataError('missing', 'does not exist.', 'Check the path; relative paths start from the current directory.', path);
  }
  return new DataError('unreadable', `cannot be read (${code ?? (e as Error).message}).`,
    'Check that the file exists and that you may read it.', path);
}
