import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { sequenceLogProbability } from '../evaluate/score.js';
import { CONTEXT, fullRecomputeArgmax, tinyModel, VOCAB } from './__tests__/fixtures.js';
import { fitPrompt, generate, streamTokens } from './generate.js';
import { modelSource } from './source.js';
import type { GenerateOptions } from './types.js';

const model = tinyModel();
const prompt = [1, 5, 9];
const greedy = (maxNewTokens: number, extra: Partial<GenerateOptions> = {}) =>
  generate(model, prompt, { strategy: { kind: 'greedy' }, maxNewTokens, ...extra });

describe('modelSource', () => {
  it('gives the logits of full recomputation, bit for bit, for a prefill then single steps', () => {
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    model.forward(Int32Array.from(ids), null, 1, ids.length);
    const full = model.logits.slice();
    const row = (t: number) => full.subarray(t * VOCAB, (t + 1) * VOCAB);
    const cursor = modelSource(model).open();
    expect(cursor.feed(ids.slice(0, 3))).toEqual(row(2));
    for (let t = 3; t < ids.length; t++) expect(cursor.feed([ids[t]])).toEqual(row(t));
    expect(cursor.length).toBe(ids.length);
    cursor.close();
    expect(() => cursor.feed([1])).toThrow(/closed/);
  });

  it('reuses its decoders across generations, so repeated calls do not grow memory', () => {
    expect(modelSource(model)).toBe(modelSource(model));
    const options: GenerateOptions = { strategy: { kind: 'greedy' }, maxNewTokens: 4 };
    // Buffers may grow once to the largest size used; after that, generations allocate nothing.
    for (let i = 0; i < 10; i++) generate(model, [1, 2, 3 + (i % 5)], options);
    const before = model.workspace.liveBytes;
    for (let i = 0; i < 20; i++) generate(model, [1, 2, 3 + (i % 5)], options);
    expect(model.workspace.liveBytes).toBe(before);
    const beam: GenerateOptions = { strategy: { kind: 'beam', width: 3, lengthPenalty: 0 }, maxNewTokens: 4 };
    for (let i = 0; i < 10; i++) generate(model, [2, 1 + (i % 3)], beam);
    const afterBeams = model.workspace.liveBytes;
    for (let i = 0; i < 10; i++) generate(model, [2, 1 + (i % 3)], beam);
    expect(model.workspace.liveBytes).toBe(afterBeams);
  });
});

describe('generate: greedy', () => {
  it('equals the argmax of full-recompute logits at every step, up to the context limit', () => {
    const result = greedy(100);
    expect(result.tokens).toHaveLength(CONTEXT - prompt.length);
    expect(result.stopReason).toBe('contextFull');
    const sequence = [...prompt];
    for (const token of result.tokens) {
      expect(token).toBe(fullRecomputeArgmax(model, sequence));
      sequence.push(token);
    }
    // A random model that repeats one token forever would make this test weak.
    expect(new Set(result.tokens).size).toBeGreaterThan(2);
  });

  it('reports the log-probability of full recomputation', () => {
    const result = greedy(6);
    expectClose(result.logProbability, sequenceLogProbability(model, prompt, result.tokens), { atol: 1e-4, rtol: 1e-5 });
    expect(result.logProbability).toBeLessThan(0);
  });

  it('stops after maxNewTokens, and a shorter run is a prefix of a longer one', () => {
    const long = greedy(10);
    const short = greedy(4);
    expect(short.tokens).toEqual(long.tokens.slice(0, 4));
    expect(short.stopReason).toBe('maxNewTokens');
    expect(greedy(0)).toMatchObject({ tokens: [], stopReason: 'maxNewTokens', stopToken: null, logProbability: 0 });
  });

  it('stops at a stop token, which it neither returns nor streams', () => {
    const free = greedy(10).tokens;
    // The first token not seen before it (after the first) becomes the stop token.
    const at = free.findIndex((t, i) => i > 0 && !free.slice(0, i).includes(t));
    expect(at).toBeGreaterThan(0);
    const streamed: number[] = [];
    const result = greedy(10, { stopTokens: [free[at]], onToken: (t) => streamed.push(t) });
    expect(result).toMatchObject({ tokens: free.slice(0, at), stopReason: 'stopToken', stopToken: free[at] });
    expect(streamed).toEqual(free.slice(0, at));
  });

  it('keeps the last maxSeqLen − 1 tokens of a long prompt', () => {
    const long = Array.from({ length: 20 }, (_, i) => (i * 7 + 2) % VOCAB);
    const result = generate(model, long, { strategy: { kind: 'greedy' }, maxNewTokens: 5 });
    expect(result.truncated).toBe(20 - (CONTEXT - 1));
    expect(result.prompt).toEqual(long.slice(5));
    expect(result.tokens).toEqual([fullRecomputeArgmax(model, long.slice(5))]);
    expect(result.stopReason).toBe('contextFull');
    expect(fitPrompt([1, 2, 3], 16)).toEqual({ prompt: [1, 2, 3], truncated: 0 });
  });
});

describe('generate: sampling', () => {
  const sample = (seed: number, strategy: GenerateOptions['strategy'] = { kind: 'sample', temperature: 1.5 }) =>
    generate(model, prompt, { strategy, maxNewTokens: 12, seed }).tokens;

  it('is reproducible for a seed and differs for another seed', () => {
    expect(sample(11)).toEqual(sample(11));
    expect(sample(12)).not.toEqual(sample(11));
    expect(sample(11)).not.toEqual(greedy(12).tokens);
  });

  it('is greedy as the temperature approaches 0, with top-k = 1, and with a tiny top-p', () => {
    const want = greedy(12).tokens;
    expect(sample(5, { kind: 'sample', temperature: 1e-4 })).toEqual(want);
    expect(sample(5, { kind: 'sample', temperature: 2, topK: 1 })).toEqual(want);
    expect(sample(5, { kind: 'sample', temperature: 2, topP: 1e-6 })).toEqual(want);
  });

  it('draws only from the top-k tokens', () => {
    // Every token is one of the two most probable by full recomputation.
    const tokens = sample(9, { kind: 'sample', temperature: 3, topK: 2 });
    const sequence = [...prompt];
    for (const token of tokens) {
      model.forward(Int32Array.from(sequence), null, 1, sequence.length);
      const row = Array.from(model.logits.subarray((sequence.length - 1) * VOCAB, sequence.length * VOCAB));
      const rank = row.filter((v) => v > row[token]).length;
      expect(rank).toBeLessThan(2);
      sequence.push(token);
    }
  });
});

describe('streamTokens', () => {
  it('yields the tokens of generate and returns its result', async () => {
    const options: GenerateOptions = { strategy: { kind: 'sample', temperature: 1, topP: 0.9 }, maxNewTokens: 8, seed: 4 };
    const want = generate(model, prompt, options);
    const got: number[] = [];
    const iterator = streamTokens(model, prompt, options);
    for (let step = await iterator.next(); ; step = await iterator.next()) {
      if (step.done === true) {
        expect(step.value).toEqual(want);
        break;
      }
      got.push(step.value);
    }
    expect(got).toEqual(want.tokens);
    const early: number[] = [];
    for await (const token of streamTokens(model, prompt, options)) {
      early.push(token);
      if (early.length === 3) break;
    }
    expect(early).toEqual(want.tokens.slice(0, 3));
  });
});

describe('generate: validation', () => {
  const run = (options: Partial<GenerateOptions>, ids: number[] = prompt) =>
    () => generate(model, ids, { strategy: { kind: 'greedy' }, maxNewTokens: 3, ...options });

  it('names the offending option', () => {
    expect(run({}, [])).toThrow(/at least one token/);
    expect(run({ maxNewTokens: -1 })).toThrow(/maxNewTokens must be an integer ≥ 0/);
    expect(run({ stopTokens: [VOCAB] })).toThrow(/stop token 20 is outside the vocabulary of 20/);
    expect(run({ strategy: { kind: 'sample', temperature: 0 } })).toThrow(/temperature must be a finite number > 0/);
    expect(run({ strategy: { kind: 'sample', temperature: 1, topK: 0 } })).toThrow(/topK must be an integer ≥ 1/);
    expect(run({ strategy: { kind: 'sample', temperature: 1, topP: 0 } })).toThrow(/topP must be in/);
    expect(run({ strategy: { kind: 'beam', width: 0, lengthPenalty: 0 } })).toThrow(/beam width must be an integer ≥ 1/);
  });
});
