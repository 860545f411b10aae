import { Rng } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import { corpusTexts, generateCorpus } from '../data/corpus.js';
import { DataError } from '../data/errors.js';
import { FIRST_MERGE_ID, SPECIAL_TOKENS } from './special-tokens.js';
import { Tokenizer, trainTokenizer } from './tokenizer.js';

/** A random code point from one of several ranges that stress different UTF-8 lengths and categories. */
function randomCodePoint(rng: Rng): number {
  const ranges: [number, number][] = [
    [0x20, 0x7e], // printable ASCII
    [0x00, 0x1f], // C0 controls, including tab and newline
    [0x7f, 0x9f], // DEL and C1 controls (two-byte)
    [0xa0, 0x24f], // Latin-1 and Latin extended
    [0x300, 0x36f], // combining marks
    [0x4e00, 0x9fff], // CJK
    [0xac00, 0xd7a3], // Hangul
    [0xe000, 0xfffd], // private use and the end of the BMP
    [0x1f300, 0x1faff], // emoji
    [0x10000, 0x10ffff], // every astral plane
  ];
  const [low, high] = ranges[rng.int(ranges.length)];
  return low + rng.int(high - low + 1);
}

function randomString(rng: Rng): string {
  const pieces = ['', ' ', '  ', '\n\n', "'s", 'the', '\u200d', '👩‍👩‍👧', 'é', 'e\u0301', '<|eos|>', '\r\n', '\t'];
  let s = '';
  const n = rng.int(40);
  for (let i = 0; i < n; i++) {
    s += rng.uniform() < 0.2 ? pieces[rng.int(pieces.length)] : String.fromCodePoint(randomCodePoint(rng));
  }
  return s;
}

const corpus = generateCorpus({ seed: 3 });
const texts = corpusTexts(corpus.train);
const tokenizer = trainTokenizer(texts);

describe('trainTokenizer', () => {
  it('reaches the requested vocabulary size on the corpus', () => {
    expect(tokenizer.vocabSize).toBe(605);
    expect(trainTokenizer(texts, { vocabSize: 300 }).vocabSize).toBe(300);
  });

  it('compresses the corpus well below one token per byte', () => {
    const bytes = texts.reduce((sum, t) => sum + new TextEncoder().encode(t).length, 0);
    const tokens = texts.reduce((sum, t) => sum + tokenizer.encode(t).length, 0);
    expect(tokens / bytes).toBeLessThan(0.45);
    // More merges compress more: a sanity check that merges are used at all.
    const small = trainTokenizer(texts, { vocabSize: 300 });
    const smallTokens = texts.reduce((sum, t) => sum + small.encode(t).length, 0);
    expect(tokens).toBeLessThan(smallTokens);
    expect(smallTokens).toBeLessThan(bytes);
  });

  it('is deterministic and independent of the order of the texts', () => {
    const again = trainTokenizer([...texts].reverse());
    expect(again.toJSON()).toEqual(tokenizer.toJSON());
  });

  it('breaks ties by the smallest pair of ids', () => {
    // "cd" and "ab" occur equally often; (a, b) = (97, 98) comes first, then (c, d).
    const t = trainTokenizer(['cd', 'ab', 'cd', 'ab'], { vocabSize: FIRST_MERGE_ID + 2 });
    expect(t.toJSON().merges).toEqual([[97, 98], [99, 100]]);
  });

  it('stops early when no pair is frequent enough', () => {
    const t = trainTokenizer(['abc'], { vocabSize: 1000 });
    expect(t.vocabSize).toBe(FIRST_MERGE_ID);
    expect(trainTokenizer(['abc'], { vocabSize: 1000, minPairCount: 1 }).vocabSize).toBe(FIRST_MERGE_ID + 2);
  });

  it('rejects a vocabulary too small for bytes and special tokens', () => {
    expect(() => trainTokenizer(texts, { vocabSize: 259 })).toThrow(/vocabSize/);
    expect(() => trainTokenizer(texts, { vocabSize: 300.5 })).toThrow(/vocabSize/);
  });
});

describe('encode and decode', () => {
  it('round-trip seeded random Unicode strings exactly', () => {
    const rng = new Rng(11);
    const strings = ['', ...Array.from({ length: 400 }, () => randomString(rng))];
    for (const s of strings) expect(tokenizer.decode(tokenizer.encode(s))).toBe(s);
    // The strings really cover astral characters and controls.
    expect(strings.some((s) => /[\u{10000}-\u{10ffff}]/u.test(s))).toBe(true);
    expect(strings.some((s) => [...s].some((ch) => (ch.codePointAt(0) as number) < 9))).toBe(true);
  });

  it('round-trip every corpus text, train and validation', () => {
    for (const t of [...texts, ...corpusTexts(corpus.validation)]) expect(tokenizer.decode(tokenizer.encode(t))).toBe(t);
  });

  it('encode a lone surrogate as U+FFFD, like TextEncoder', () => {
    expect(tokenizer.decode(tokenizer.encode('a\ud800b'))).toBe('a\ufffdb');
    expect(tokenizer.decode(tokenizer.encode('\udc00'))).toBe('\ufffd');
  });

  it('never produce special tokens from text that spells them', () => {
    const text = '<|bos|><|user|>Hi<|assistant|>there<|eos|>';
    const ids = tokenizer.encode(text);
    for (const id of Object.values(SPECIAL_TOKENS)) expect(ids).not.toContain(id);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('show special tokens by name, or skip them', () => {
    const ids = [SPECIAL_TOKENS.bos, ...tokenizer.encode('Hi'), SPECIAL_TOKENS.eos];
    expect(tokenizer.decode(ids)).toBe('<|bos|>Hi<|eos|>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('Hi');
  });

  it('turn invalid byte sequences from a model into U+FFFD', () => {
    expect(tokenizer.decode([0xe2, 0x82, 0x41])).toBe('\ufffdA');
  });

  it('reject ids outside the vocabulary', () => {
    expect(() => tokenizer.decode([tokenizer.vocabSize])).toThrow(RangeError);
    expect(() => tokenizer.decode([-1])).toThrow(RangeError);
  });

  it('give a merged token the bytes of its parts', () => {
    const ids = tokenizer.encode(' the');
    expect(ids).toHaveLength(1);
    expect(new TextDecoder().decode(tokenizer.tokenBytes(ids[0]))).toBe(' the');
  });
});

describe('toJSON and fromJSON', () => {
  it('restore a tokenizer that encodes identically', () => {
    const restored = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    const rng = new Rng(5);
    const samples = [...texts.slice(0, 50), ...Array.from({ length: 50 }, () => randomString(rng))];
    for (const s of samples) expect(restored.encode(s)).toEqual(tokenizer.encode(s));
    expect(restored.vocabSize).toBe(tokenizer.vocabSize);
    expect(Tokenizer.fromJSON(JSON.stringify(tokenizer)).encode(texts[0])).toEqual(tokenizer.encode(texts[0]));
  });

  const good = tokenizer.toJSON();
  it.each([
    ['not JSON', '{"format": '],
    ['not an object', [1, 2]],
    ['another format', { ...good, format: 'gpt2' }],
    ['another version', { ...good, version: 2 }],
    ['other special tokens', { ...good, specialTokens: ['<s>', '</s>', '<u>', '<a>'] }],
    ['a merge using a later id', { ...good, merges: [[FIRST_MERGE_ID, 97], ...good.merges.slice(1)] }],
    ['a merge using a special token', { ...good, merges: [[SPECIAL_TOKENS.eos, 97], ...good.merges.slice(1)] }],
    ['a malformed merge', { ...good, merges: [[97], ...good.merges.slice(1)] }],
    ['a repeated merge', { ...good, merges: [good.merges[0], good.merges[0]], vocabSize: FIRST_MERGE_ID + 2 }],
    ['a wrong vocabSize', { ...good, vocabSize: good.vocabSize + 1 }],
  ])('refuse %s with a format DataError', (_, data) => {
    let error: unknown;
    try {
      Tokenizer.fromJSON(data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe('format');
    expect((error as DataError).hint).toMatch(/toJSON|retrain/);
  });
});
