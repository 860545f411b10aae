import { describe, expect, it } from 'vitest';
import { splitChunks } from './pretokenize.js';

describe('splitChunks', () => {
  it('keeps a leading space with its word and splits off punctuation and contractions', () => {
    expect(splitChunks("Mira's fox ran, fast!")).toEqual(['Mira', "'s", ' fox', ' ran', ',', ' fast', '!']);
  });

  it('leaves the last space of a run to the next word', () => {
    expect(splitChunks('a   b\n\nc')).toEqual(['a', '  ', ' b', '\n\n', 'c']);
  });

  it('keeps combining marks with their letter and digits together', () => {
    expect(splitChunks('cafe\u0301 42')).toEqual(['cafe\u0301', ' 42']);
  });

  it('covers every character, so the chunks join back to the text', () => {
    const samples = ['', ' ', '\u0301x', '👩‍👩‍👧 ok', '\ud800', 'a\u00a0b', '<|eos|>', "it'll", '\t\r\n'];
    for (const s of samples) expect(splitChunks(s).join('')).toBe(s);
  });
});
