import { describe, expect, it } from 'vitest';
import { referenceBackend } from '@moh/tensor';
import { tableSource } from '../generate/__tests__/fixtures.js';
import type { DecodingSource } from '../generate/source.js';
import { formatPrompt } from '../tokenizer/chat.js';
import { SPECIAL_TOKENS } from '../tokenizer/special-tokens.js';
import { trainTokenizer } from '../tokenizer/tokenizer.js';
import { evaluateQa, qaOptions, type QaEvaluationOptions } from './qa.js';

// A table model over letters: after token 1 it says "Oakdale." (token 2), after 3
// " oak  DALE " (token 4), after 5 "Oak dale" (6); each is followed by the stop token 0.
const source = tableSource(8, { 1: { 2: 1 }, 2: { 0: 1 }, 3: { 4: 1 }, 4: { 0: 1 }, 5: { 6: 1 }, 6: { 0: 1 } });
const words: Record<number, string> = { 2: 'Oakdale.', 4: ' oak  DALE ', 6: 'Oak dale' };
const options: QaEvaluationOptions = {
  encodeQuestion: (question) => [Number(question)],
  decodeAnswer: (ids) => ids.map((id) => words[id] ?? '?').join(''),
  stopTokens: [0],
};
const items = [
  { question: '1', answer: 'Oakdale' },
  { question: '3', answer: 'oak dale' },
  { question: '5', answer: 'Oakdale' },
];

describe('evaluateQa', () => {
  it('scores by exact match after trimming, collapsing spaces, ignoring case and a final period', () => {
    const report = evaluateQa(source, items, options);
    expect(report.predictions.map((p) => [p.prediction, p.correct])).toEqual([
      ['Oakdale.', true],
      [' oak  DALE ', true],
      ['Oak dale', false],
    ]);
    expect(report).toMatchObject({ correct: 2, total: 3 });
    expect(report.accuracy).toBeCloseTo(2 / 3, 12);
    expect(report.predictions[0]).toMatchObject({ tokens: [2], stopReason: 'stopToken', question: '1', answer: 'Oakdale' });
  });

  it('uses a custom match and reports progress', () => {
    const seen: number[] = [];
    const report = evaluateQa(source, items, { ...options, match: (p, a) => p === a, onPrediction: (_, i) => seen.push(i) });
    expect(report.correct).toBe(0);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('caps answers at maxNewTokens and gives NaN accuracy without items', () => {
    const report = evaluateQa(source, [{ question: '1', answer: 'Oakdale' }], { ...options, stopTokens: [], maxNewTokens: 1 });
    expect(report.predictions[0].stopReason).toBe('maxNewTokens');
    expect(evaluateQa(source, [], options).accuracy).toBeNaN();
  });
});

describe('qaOptions', () => {
  it('asks in the chat format and reads the answer up to <|eos|>', () => {
    const tokenizer = trainTokenizer(['Where does Mira live? Oakdale'], { vocabSize: 280 });
    const prompt = formatPrompt(tokenizer, 'Where does Mira live?');
    const answer = tokenizer.encode(' Oakdale');
    const opts = qaOptions(tokenizer, 12);
    expect(opts.encodeQuestion('Where does Mira live?')).toEqual(prompt);
    expect(opts.stopTokens).toEqual([SPECIAL_TOKENS.eos]);
    // A model that, after the prompt, spells the answer, then <|eos|>, then junk.
    const script = [...answer, SPECIAL_TOKENS.eos, ...tokenizer.encode(' junk')];
    const V = tokenizer.vocabSize;
    const scripted: DecodingSource = {
      vocabSize: V,
      contextLength: 64,
      kernels: referenceBackend(),
      open() {
        let length = 0;
        return {
          get length() {
            return length;
          },
          feed(tokens) {
            length += tokens.length;
            const logits = new Float32Array(V);
            logits[script[length - prompt.length]] = 10;
            return logits;
          },
          close() {
            length = 0;
          },
        };
      },
    };
    const report = evaluateQa(scripted, [{ question: 'Where does Mira live?', answer: 'Oakdale' }], opts);
    expect(report.predictions[0]).toMatchObject({ prediction: 'Oakdale', correct: true, tokens: answer, stopReason: 'stopToken' });
  });
});
