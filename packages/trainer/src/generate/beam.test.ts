import { expectClose } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { sequenceLogProbability } from '../evaluate/score.js';
import { tableSource, tinyModel } from './__tests__/fixtures.js';
import { lengthNormalisation } from './beam.js';
import { generate } from './generate.js';
import type { GenerateOptions } from './types.js';

const TOL = { atol: 1e-4, rtol: 1e-5 };
const model = tinyModel();
const prompt = [1, 5, 9];
const beam = (width: number, lengthPenalty: number, extra: Partial<GenerateOptions> = {}) =>
  generate(model, prompt, { strategy: { kind: 'beam', width, lengthPenalty }, maxNewTokens: 8, ...extra });

describe('lengthNormalisation', () => {
  it('is ((5 + n) / 6)^α', () => {
    expect(lengthNormalisation(1, 0.7)).toBe(1);
    expectClose(lengthNormalisation(4, 2), 2.25, { atol: 1e-12, rtol: 0 });
    expect(lengthNormalisation(10, 0)).toBe(1);
  });
});

describe('beam search on the model', () => {
  it('with width 1 and no length penalty is greedy decoding', () => {
    for (const stopTokens of [[], [7], [2, 11]]) {
      const greedy = generate(model, prompt, { strategy: { kind: 'greedy' }, maxNewTokens: 8, stopTokens });
      const result = beam(1, 0, { stopTokens });
      expect(result.tokens).toEqual(greedy.tokens);
      expect(result.stopReason).toBe(greedy.stopReason);
      expectClose(result.logProbability, greedy.logProbability, TOL);
    }
  });

  it("scores every hypothesis as full recomputation does (forked KV caches hold the right prefixes)", () => {
    const stop = 4;
    const result = beam(4, 0.6, { stopTokens: [stop], maxNewTokens: 10 });
    const hypotheses = result.hypotheses ?? [];
    expect(hypotheses.length).toBe(4);
    for (const h of hypotheses) {
      const scored = h.stopReason === 'stopToken' ? [...h.tokens, stop] : h.tokens;
      expectClose(h.logProbability, sequenceLogProbability(model, prompt, scored), TOL);
      expectClose(h.score, h.logProbability / lengthNormalisation(scored.length, 0.6), { atol: 1e-9, rtol: 0 });
    }
    for (let i = 1; i < hypotheses.length; i++) expect(hypotheses[i - 1].score).toBeGreaterThanOrEqual(hypotheses[i].score);
    expect(result.tokens).toEqual(hypotheses[0].tokens);
    // Distinct hypotheses: the beams really forked.
    expect(new Set(hypotheses.map((h) => h.tokens.join(','))).size).toBe(hypotheses.length);
  });

  it('scores at least as well as greedy under its own objective', () => {
    for (const width of [2, 3, 5]) {
      const greedy = generate(model, prompt, { strategy: { kind: 'greedy' }, maxNewTokens: 6 });
      const result = beam(width, 0, { maxNewTokens: 6 });
      expect(result.logProbability).toBeGreaterThanOrEqual(greedy.logProbability - 1e-6);
    }
  });

  it('stops at maxNewTokens when no stop token is produced', () => {
    const result = beam(3, 1, { maxNewTokens: 5 });
    expect(result.tokens).toHaveLength(5);
    expect(result.stopReason).toBe('maxNewTokens');
    expect(result.stopToken).toBeNull();
  });
});

describe('beam search on hand-built cases', () => {
  // Tokens: 0 begin, 1 A, 2 B, 3 C, 4 end, 5–8 D E F G.
  const END = 4;

  it('escapes the greedy trap: a likely first token followed by a flat distribution', () => {
    // Greedy: A (0.6) then one of four (0.25): log 0.15. Beam: B (0.4), C (1), end (1): log 0.4.
    const source = tableSource(9, {
      0: { 1: 0.6, 2: 0.4 },
      1: { 5: 0.25, 6: 0.25, 7: 0.25, 8: 0.25 },
      2: { 3: 1 },
      3: { [END]: 1 },
      5: { [END]: 1 }, 6: { [END]: 1 }, 7: { [END]: 1 }, 8: { [END]: 1 },
    });
    const options = { maxNewTokens: 6, stopTokens: [END] };
    const greedy = generate(source, [0], { strategy: { kind: 'greedy' }, ...options });
    expect(greedy.tokens).toEqual([1, 5]);
    expectClose(greedy.logProbability, Math.log(0.15), TOL);
    const result = generate(source, [0], { strategy: { kind: 'beam', width: 2, lengthPenalty: 0 }, ...options });
    expect(result.tokens).toEqual([2, 3]);
    expect(result.stopReason).toBe('stopToken');
    expectClose(result.logProbability, Math.log(0.4), TOL);
    expect(source.opened).toBeLessThanOrEqual(1 + 1 + 2); // greedy, beam's first cursor, at most one fork per step after it
  });

  it('prefers the longer answer only with a positive length penalty', () => {
    // Short: end at once, log 0.55 ≈ −0.598. Long: A B C end, log(0.45 · 0.9³) ≈ −1.117
    // over 4 tokens, ≈ −0.496 after dividing by lp(4) = 2.25 at α = 2.
    const source = tableSource(9, { 0: { [END]: 0.55, 1: 0.45 }, 1: { 2: 0.9, [END]: 0.1 }, 2: { 3: 0.9, [END]: 0.1 }, 3: { [END]: 0.9, 5: 0.1 } });
    const run = (lengthPenalty: number) =>
      generate(source, [0], { strategy: { kind: 'beam', width: 2, lengthPenalty }, maxNewTokens: 6, stopTokens: [END] });
    expect(run(0).tokens).toEqual([]);
    const long = run(2);
    expect(long.tokens).toEqual([1, 2, 3]);
    expectClose(long.hypotheses?.[0].score ?? 0, Math.log(0.45 * 0.9 ** 3) / 2.25, TOL);
    // Width 1: after step 1 the short answer is finished and the live beam A scores worse
    // at its current length, yet at a greater length it could (and does) win, so the
    // search must go on.
    const narrow = generate(source, [0], { strategy: { kind: 'beam', width: 1, lengthPenalty: 2 }, maxNewTokens: 6, stopTokens: [END] });
    expect(narrow.tokens).toEqual([1, 2, 3]);
  });
});
