import { describe, expect, it } from 'vitest';
import { corpusTexts, generateCorpus } from '../data/corpus.js';
import { exactMatch } from '../data/exact-match.js';
import { decodeAnswer, formatChat, formatDocument, formatPrompt } from './chat.js';
import { SPECIAL_TOKENS } from './special-tokens.js';
import { trainTokenizer } from './tokenizer.js';

const corpus = generateCorpus({ seed: 4, stories: 50 });
const tokenizer = trainTokenizer(corpusTexts(corpus.train));
const { bos, eos, user, assistant } = SPECIAL_TOKENS;

describe('formatChat', () => {
  it('lays out bos, user, prompt, assistant, answer, eos', () => {
    const { ids } = formatChat(tokenizer, 'Where does Mira live?', 'Oakdale');
    const prompt = tokenizer.encode('Where does Mira live?');
    const answer = tokenizer.encode(' Oakdale');
    expect(ids).toEqual([bos, user, ...prompt, assistant, ...answer, eos]);
  });

  it('marks exactly the answer and its eos', () => {
    const { ids, answerMask } = formatChat(tokenizer, 'What is Oakdale near?', 'the river');
    const answerLength = tokenizer.encode(' the river').length + 1;
    expect(answerMask).toHaveLength(ids.length);
    expect(Array.from(answerMask)).toEqual([
      ...new Array<number>(ids.length - answerLength).fill(0),
      ...new Array<number>(answerLength).fill(1),
    ]);
    expect(ids[ids.indexOf(assistant) + 1]).toBe(ids[ids.length - answerLength]);
  });

  it('starts with the prompt that generation continues from', () => {
    const { ids } = formatChat(tokenizer, 'What pet does Ivo have?', 'owl');
    const head = formatPrompt(tokenizer, 'What pet does Ivo have?');
    expect(ids.slice(0, head.length)).toEqual(head);
    expect(head.at(-1)).toBe(assistant);
  });
});

describe('formatDocument', () => {
  it('wraps a document in bos and eos', () => {
    expect(formatDocument(tokenizer, 'The fox ran.')).toEqual([bos, ...tokenizer.encode('The fox ran.'), eos]);
  });
});

describe('decodeAnswer', () => {
  it('reads the answer up to eos and matches it exactly', () => {
    const generated = [...tokenizer.encode(' Oakdale'), eos, ...tokenizer.encode(' junk')];
    expect(decodeAnswer(tokenizer, generated)).toBe('Oakdale');
    expect(exactMatch(decodeAnswer(tokenizer, generated), 'Oakdale')).toBe(true);
    expect(decodeAnswer(tokenizer, tokenizer.encode(' Oak'))).toBe('Oak');
  });
});
