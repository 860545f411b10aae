import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from './errors.js';
import type { DataErrorCode } from './errors.js';
import { loadDataset, loadJsonl, loadTextFile } from './load.js';

const root = mkdtempSync(join(tmpdir(), 'moh-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(root, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function dataError(code: DataErrorCode, promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  expect((error as DataError).code).toBe(code);
  return error as DataError;
}

describe('loadTextFile and loadJsonl', () => {
  it('read documents and pairs', async () => {
    const text = file('a.txt', 'First doc.\n\nSecond doc.\n');
    expect(await loadTextFile(text)).toEqual({ documents: ['First doc.', 'Second doc.'], pairs: [], files: [text] });
    const jsonl = file('b.jsonl', '{"prompt": "Q?", "completion": "A."}\n');
    expect((await loadJsonl(jsonl)).pairs).toEqual([{ prompt: 'Q?', completion: 'A.' }]);
  });

  it('give each bad input its error, naming the file', async () => {
    const missing = join(root, 'nope.txt');
    const e = await dataError('missing', loadTextFile(missing));
    expect(e.message).toBe(`${missing}: does not exist.`);
    expect(e.source).toBe(missing);
    await dataError('empty', loadTextFile(file('empty.txt', '')));
    await dataError('binary', loadTextFile(file('image.png', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0, 0, 0))));
    await dataError('encoding', loadTextFile(file('latin1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9))));
    await dataError('too-large', loadTextFile(file('big.txt', 'x'.repeat(100)), { maxBytes: 99 }));
    await dataError('json', loadJsonl(file('bad.jsonl', '{"text": "a"}\nnot json\n')));
    await dataError('fields', loadJsonl(file('fields.jsonl', '{"body": "a"}\n')));
    await dataError('unreadable', loadTextFile(root));
  });
});

describe('loadDataset', () => {
  it('reads a directory recursively in sorted order, skipping hidden and other files', async () => {
    const dir = join(root, 'set');
    file('set/b.txt', 'From b.');
    file('set/a/z.jsonl', '{"text": "From a/z."}\n{"prompt": "P?", "completion": "C."}');
    file('set/a.txt', 'From a.txt.\n\nAgain a.txt.');
    file('set/.hidden.txt', 'Hidden.');
    file('set/notes.csv', 'x,y');
    const data = await loadDataset(dir);
    expect(data.documents).toEqual(['From a.txt.', 'Again a.txt.', 'From a/z.', 'From b.']);
    expect(data.pairs).toEqual([{ prompt: 'P?', completion: 'C.' }]);
    expect(data.files).toEqual([join(dir, 'a.txt'), join(dir, 'a', 'z.jsonl'), join(dir, 'b.txt')]);
  });

  it('reads a single file by its extension', async () => {
    expect((await loadDataset(file('one.jsonl', '{"text": "J."}'))).documents).toEqual(['J.']);
    expect((await loadDataset(file('one.log', '{"text": "J."}'))).documents).toEqual(['{"text": "J."}']);
  });

  it('refuses a missing path, a directory with no data, and too much data in total', async () => {
    await dataError('missing', loadDataset(join(root, 'absent')));
    file('nodata/readme.csv', 'a,b');
    await dataError('empty', loadDataset(join(root, 'nodata')));
    file('two/a.txt', 'x'.repeat(60));
    file('two/b.txt', 'y'.repeat(60));
    expect((await dataError('too-large', loadDataset(join(root, 'two'), { maxBytes: 100 }))).message).toMatch(/120 bytes/);
  });

  it('names the bad file inside a directory', async () => {
    file('mixed/a.txt', 'Fine.');
    const bad = file('mixed/b.txt', Uint8Array.of(0xff, 0xfe, 0x41));
    expect((await dataError('encoding', loadDataset(join(root, 'mixed')))).source).toBe(bad);
  });
});
