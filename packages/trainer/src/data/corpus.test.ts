import { describe, expect, it } from 'vitest';
import { DEFAULT_CORPUS_CONFIG, corpusTexts, generateCorpus } from './corpus.js';
import { TEMPLATES } from './templates.js';

const corpus = generateCorpus();
const trainText = corpus.train.pretraining.map((d) => d.text).join('\n');

describe('generateCorpus', () => {
  it('gives the same corpus for the same seed', () => {
    expect(generateCorpus({ seed: 1 })).toEqual(corpus);
    expect(generateCorpus({ seed: 99, stories: 30 })).toEqual(generateCorpus({ seed: 99, stories: 30 }));
  });

  it('gives a different corpus for a different seed', () => {
    const other = generateCorpus({ seed: 2 });
    expect(other.train.pretraining.map((d) => d.text)).not.toEqual(corpus.train.pretraining.map((d) => d.text));
    expect(other.facts.map((f) => f.answer)).not.toEqual(corpus.facts.map((f) => f.answer));
  });

  it('has the configured amounts of everything, and stays small', () => {
    const { people, towns, animals, stories, phrasings } = DEFAULT_CORPUS_CONFIG;
    expect(corpus.facts).toHaveLength(people * 5 + towns * 2 + animals * 2);
    const count = (kind: string, docs: readonly { kind: string }[]) => docs.filter((d) => d.kind === kind).length;
    expect(count('story', corpus.train.pretraining) + count('story', corpus.validation.pretraining)).toBe(stories);
    expect(count('story', corpus.validation.pretraining)).toBe(Math.round(stories * 0.1));
    expect(count('facts', corpus.train.pretraining)).toBe((people + towns + animals) * phrasings);
    const bytes = [...corpusTexts(corpus.train), ...corpusTexts(corpus.validation)].join('').length;
    expect(bytes).toBeGreaterThan(50_000);
    expect(bytes).toBeLessThan(400_000);
  });

  it('states every fact in distinct phrasings in the training pretraining text', () => {
    for (const fact of corpus.facts) {
      expect(new Set(fact.statements).size).toBe(DEFAULT_CORPUS_CONFIG.phrasings);
      for (const statement of fact.statements) {
        expect(statement).toContain(fact.subject);
        expect(statement).toContain(fact.answer);
        expect(trainText).toContain(statement);
      }
    }
  });

  it('keeps held-out questions out of every instruction pair, train and validation', () => {
    const pairs = [...corpus.train.instructions, ...corpus.validation.instructions];
    const prompts = new Set(pairs.map((p) => p.prompt));
    expect(corpus.heldOut.length).toBeGreaterThan(20);
    for (const item of corpus.heldOut) {
      expect(prompts.has(item.question)).toBe(false);
      // No phrasing of a question about the same fact is asked either.
      for (const q of TEMPLATES[item.fact.relation].questions) expect(prompts.has(q(item.fact.subject, ''))).toBe(false);
      expect(item.answer).toBe(item.fact.answer);
      expect(corpus.facts).toContain(item.fact);
    }
  });

  it('asks about every other fact, with answers equal to the facts', () => {
    const heldOutFacts = new Set(corpus.heldOut.map((q) => q.fact));
    const asked = corpus.facts.filter((f) => !heldOutFacts.has(f));
    const pairs = [...corpus.train.instructions, ...corpus.validation.instructions];
    expect(pairs).toHaveLength(asked.length * 3);
    const answers = new Map(pairs.map((p) => [p.prompt, p.completion]));
    for (const f of asked) {
      for (const q of TEMPLATES[f.relation].questions) expect(answers.get(q(f.subject, ''))).toBe(f.answer);
    }
  });

  it('holds out about a quarter of each kind of entity', () => {
    const subjects = (kind: string) => new Set(corpus.heldOut.filter((q) => q.fact.kind === kind).map((q) => q.fact.subject));
    expect(subjects('person').size).toBe(8);
    expect(subjects('town').size).toBe(3);
    expect(subjects('animal').size).toBe(3);
  });

  it('tells stories that agree with the facts', () => {
    const homes = new Map(corpus.facts.filter((f) => f.relation === 'home').map((f) => [f.subject, f.answer]));
    const stories = corpus.train.pretraining.filter((d) => d.kind === 'story').map((d) => d.text);
    let checked = 0;
    for (const story of stories) {
      const m = /Once upon a time, (\w+) lived in (\w+)/.exec(story);
      if (m === null) continue;
      expect(homes.get(m[1])).toBe(m[2]);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('rejects bad options', () => {
    expect(() => generateCorpus({ people: 100 })).toThrow(/people/);
    expect(() => generateCorpus({ phrasings: 0 })).toThrow(/phrasings/);
    expect(() => generateCorpus({ heldOutFraction: 1 })).toThrow(/heldOutFraction/);
    expect(() => generateCorpus({ seed: Number.NaN })).toThrow(/seed/);
  });
});
