import { describe, expect, it } from 'vitest';
import { DataError } from './errors.js';
import type { DataErrorCode } from './errors.js';
import { decodeText, parseJsonl, parseTextDocuments } from './parse.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Runs `f`, expecting a DataError of `code`; returns it for further checks. */
function dataError(code: DataErrorCode, f: () => unknown): DataError {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DataError);
  expect((error as DataError).code).toBe(code);
  expect((error as DataError).hint.length).toBeGreaterThan(10);
  return error as DataError;
}

describe('decodeText', () => {
  it('decodes UTF-8 and drops a byte-order mark', () => {
    expect(decodeText(utf8('\ufeffhéllo 🌍'), 'a.txt')).toBe('héllo 🌍');
  });

  it('refuses empty and whitespace-only input', () => {
    expect(dataError('empty', () => decodeText(new Uint8Array(0), 'a.txt')).message).toBe('a.txt: has no text.');
    dataError('empty', () => decodeText(utf8(' \n\t\n'), 'a.txt'));
  });

  it('refuses binary input: NUL bytes or many control characters', () => {
    expect(dataError('binary', () => decodeText(Uint8Array.of(0x68, 0x69, 0, 1), 'x.bin')).message).toMatch(/offset 2/);
    dataError('binary', () => decodeText(Uint8Array.of(0x68, 0x1b, 0x1b, 0x69, 0x02), 'x.bin'));
    // A few tabs, newlines and carriage returns are ordinary text.
    expect(decodeText(utf8('a\tb\r\nc\n'), 'ok.txt')).toBe('a\tb\r\nc\n');
  });

  it('refuses invalid UTF-8, naming the offset and line', () => {
    const latin1 = Uint8Array.of(0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a);
    expect(dataError('encoding', () => decodeText(latin1, 'old.txt')).message).toMatch(/offset 6, line 2/);
    // An encoded surrogate (ED A0 80) and an overlong form (C0 AF) are invalid too.
    dataError('encoding', () => decodeText(Uint8Array.of(0x61, 0xed, 0xa0, 0x80), 's.txt'));
    expect(dataError('encoding', () => decodeText(Uint8Array.of(0xc0, 0xaf), 'o.txt')).message).toMatch(/offset 0/);
  });

  it('refuses input over the size limit', () => {
    expect(dataError('too-large', () => decodeText(utf8('hello'), 'big.txt', { maxBytes: 4 })).message).toMatch(/5 bytes/);
    expect(decodeText(utf8('hello'), 'big.txt', { maxBytes: 5 })).toBe('hello');
  });
});

describe('parseTextDocuments', () => {
  it('splits on blank lines and keeps single line breaks', () => {
    const text = 'One.\nStill one.\n\n\nTwo.\r\n  \r\nThree.\n';
    expect(parseTextDocuments(text, 'a.txt')).toEqual(['One.\nStill one.', 'Two.', 'Three.']);
  });

  it('refuses text with no documents', () => {
    dataError('empty', () => parseTextDocuments('\n\n  \n', 'a.txt'));
  });
});

describe('parseJsonl', () => {
  it('reads documents and instruction pairs, ignoring other fields and blank lines', () => {
    const text = '{"text": "A story.", "id": 1}\n\n{"prompt": "Hi?", "completion": "Hello."}\r\n';
    expect(parseJsonl(text, 'd.jsonl')).toEqual({
      documents: ['A story.'],
      pairs: [{ prompt: 'Hi?', completion: 'Hello.' }],
      files: ['d.jsonl'],
    });
  });

  it('names the line of invalid JSON', () => {
    const e = dataError('json', () => parseJsonl('{"text": "ok"}\n{"text": oops}\n', 'd.jsonl'));
    expect(e.message).toMatch(/^d\.jsonl: line 2 is not valid JSON/);
    expect(e.hint).toMatch(/line 2/);
  });

  it.each([
    ['a record that is not an object', '["text"]', /expected a JSON object, got an array/],
    ['a record without known fields', '{"txt": "hi"}', /no "text" or "prompt"\/"completion" field \(fields: txt\)/],
    ['a text that is not a string', '{"text": 5}', /"text" must be a string, got number/],
    ['an empty text', '{"text": "  "}', /"text" is empty/],
    ['a prompt without a completion', '{"prompt": "Hi?"}', /"completion" must be a string, got nothing/],
    ['an empty completion', '{"prompt": "Hi?", "completion": ""}', /"completion" is empty/],
    ['both forms at once', '{"text": "a", "prompt": "b", "completion": "c"}', /both "text" and "prompt"/],
  ])('refuses %s with a fields error naming the line', (_, line, pattern) => {
    const e = dataError('fields', () => parseJsonl(`{"text": "fine"}\n${line}`, 'd.jsonl'));
    expect(e.message).toMatch(pattern);
    expect(e.message).toMatch(/line 2/);
  });

  it('refuses a file with no records', () => {
    dataError('empty', () => parseJsonl('\n \n', 'd.jsonl'));
  });
});
