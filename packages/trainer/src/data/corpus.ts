/**
 * The embedded default corpus: stories and fact passages for pretraining, question and
 * answer pairs for instruction tuning, and held-out questions for measuring whether the
 * model can use what it read. Everything is drawn from one seeded {@link Rng}, so a seed
 * names a corpus exactly.
 *
 * Held-out questions are chosen by entity: a share of the people, towns and animals is
 * never asked about in the instruction pairs (train or validation), although all their
 * facts are stated in the training pretraining text. So a held-out question can only be
 * answered by recalling a fact read during pretraining, in a question form learned on
 * other entities.
 */
import { Rng } from '@moh/tensor';
import { generateStory } from './stories.js';
import { TEMPLATES } from './templates.js';
import type { CorpusSplit, Fact, InstructionPair, PretrainDocument, QaItem } from './types.js';
import { MAX_WORLD, factPassage, generateWorld, worldFacts } from './world.js';
import type { EntityFacts } from './world.js';

/** Options of {@link generateCorpus}. */
export interface CorpusConfig {
  /** The seed of the generator; any integer. Defaults to `1`. */
  readonly seed?: number;
  /** How many people the world has, at most 48. Defaults to `32`. */
  readonly people?: number;
  /** How many towns the world has, 1 to 16. Defaults to `12`. */
  readonly towns?: number;
  /** How many animal kinds the world has, 1 to 16. Defaults to `12`. */
  readonly animals?: number;
  /** How many stories to write (train and validation together). Defaults to `400`. */
  readonly stories?: number;
  /** In how many phrasings each fact is stated in the pretraining text, 1 to 4. Defaults to `3`. */
  readonly phrasings?: number;
  /** Share of the entities of each kind whose questions are held out, in [0, 1). Defaults to `0.25`. */
  readonly heldOutFraction?: number;
  /** Share of the stories and instruction pairs kept for validation, in [0, 1). Defaults to `0.1`. */
  readonly validationFraction?: number;
}

/** A {@link CorpusConfig} with every default filled in. */
export type ResolvedCorpusConfig = Required<CorpusConfig>;

/** The default corpus configuration. */
export const DEFAULT_CORPUS_CONFIG: ResolvedCorpusConfig = {
  seed: 1,
  people: 32,
  towns: 12,
  animals: 12,
  stories: 400,
  phrasings: 3,
  heldOutFraction: 0.25,
  validationFraction: 0.1,
};

/** A generated corpus. */
export interface Corpus {
  /** The configuration it was generated from, defaults filled in. */
  readonly config: ResolvedCorpusConfig;
  /** Every fact of the world, each with the statements the training pretraining text uses. */
  readonly facts: readonly Fact[];
  /** Training data: all fact passages, most stories, and the instruction pairs. */
  readonly train: CorpusSplit;
  /** Validation data: the remaining stories, re-mixed fact passages and instruction pairs. */
  readonly validation: CorpusSplit;
  /** Questions about facts stated in `train.pretraining` that no instruction pair asks. */
  readonly heldOut: readonly QaItem[];
}

/**
 * Generates the default corpus from a seed. The same configuration always gives the
 * same corpus.
 *
 * @example
 * ```ts
 * import { generateCorpus } from '@moh/trainer';
 * const corpus = generateCorpus({ seed: 7 });
 * console.log(corpus.train.instructions[0]); // { prompt: 'What is …?', completion: '…' }
 * ```
 */
export function generateCorpus(config: CorpusConfig = {}): Corpus {
  const c = resolveCorpusConfig(config);
  const rng = new Rng(c.seed);
  const world = generateWorld(rng, c);
  const entities = worldFacts(rng, world, c.phrasings);
  const heldOutSet = chooseHeldOut(rng, entities, c.heldOutFraction);

  const passages: PretrainDocument[] = entities.flatMap((e) =>
    Array.from({ length: c.phrasings }, (_, p) => ({ kind: 'facts' as const, text: factPassage(rng, e, p) })));
  const stories = Array.from({ length: c.stories }, () => ({ kind: 'story' as const, text: generateStory(rng, world) }));
  const validStoryCount = Math.round(c.stories * c.validationFraction);

  const validPassages = rng.shuffle([...entities]).slice(0, Math.round(entities.length * c.validationFraction))
    .map((e) => ({ kind: 'facts' as const, text: mixedPassage(rng, e) }));

  const pairs: InstructionPair[] = [];
  const heldOut: QaItem[] = [];
  for (const e of entities) {
    for (const fact of e.facts) {
      const questions = TEMPLATES[fact.relation].questions;
      if (heldOutSet.has(e)) {
        heldOut.push({ question: questions[rng.int(questions.length)](fact.subject, fact.answer), answer: fact.answer, fact });
      } else {
        for (const q of questions) pairs.push({ prompt: q(fact.subject, fact.answer), completion: fact.answer });
      }
    }
  }
  rng.shuffle(pairs);
  const validPairCount = Math.round(pairs.length * c.validationFraction);

  return {
    config: c,
    facts: entities.flatMap((e) => e.facts),
    train: {
      pretraining: rng.shuffle([...passages, ...stories.slice(validStoryCount)]),
      instructions: pairs.slice(validPairCount),
    },
    validation: {
      pretraining: rng.shuffle([...validPassages, ...stories.slice(0, validStoryCount)]),
      instructions: pairs.slice(0, validPairCount),
    },
    heldOut,
  };
}

/**
 * The texts of a split in the form a tokenizer should be trained on: every pretraining
 * document, and every instruction pair as its prompt and completion joined by a space
 * (the way `formatChat` tokenizes the answer).
 */
export function corpusTexts(split: CorpusSplit): string[] {
  return [
    ...split.pretraining.map((d) => d.text),
    ...split.instructions.map((p) => `${p.prompt} ${p.completion}`),
  ];
}

/** Fills the defaults of a {@link CorpusConfig} and checks every field. */
export function resolveCorpusConfig(config: CorpusConfig): ResolvedCorpusConfig {
  const c = { ...DEFAULT_CORPUS_CONFIG, ...stripUndefined(config) };
  const int = (key: keyof ResolvedCorpusConfig, low: number, high: number): void => {
    const v = c[key];
    if (!Number.isInteger(v) || v < low || v > high) {
      throw new RangeError(`Corpus option ${key} must be an integer in [${low}, ${high}], got ${v}.`);
    }
  };
  const share = (key: 'heldOutFraction' | 'validationFraction'): void => {
    const v = c[key];
    if (!(v >= 0 && v < 1)) throw new RangeError(`Corpus option ${key} must be in [0, 1), got ${v}.`);
  };
  if (!Number.isFinite(c.seed)) throw new RangeError(`Corpus option seed must be a finite number, got ${c.seed}.`);
  int('people', 2, MAX_WORLD.people);
  int('towns', 1, MAX_WORLD.towns);
  int('animals', 1, MAX_WORLD.animals);
  int('stories', 0, 1_000_000);
  int('phrasings', 1, 4);
  share('heldOutFraction');
  share('validationFraction');
  return c;
}

function stripUndefined(config: CorpusConfig): CorpusConfig {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
}

/** The held-out entities: the given share of each kind, rounded, chosen at random. */
function chooseHeldOut(rng: Rng, entities: readonly EntityFacts[], fraction: number): Set<EntityFacts> {
  const held = new Set<EntityFacts>();
  for (const kind of ['person', 'town', 'animal'] as const) {
    const ofKind = entities.filter((e) => e.kind === kind);
    for (const e of rng.shuffle([...ofKind]).slice(0, Math.round(ofKind.length * fraction))) held.add(e);
  }
  return held;
}

/** A passage with a random one of each fact's statements, in random order. */
function mixedPassage(rng: Rng, entity: EntityFacts): string {
  return rng.shuffle(entity.facts.map((f) => f.statements[rng.int(f.statements.length)])).join(' ');
}
