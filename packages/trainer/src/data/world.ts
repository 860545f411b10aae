/**
 * The small world of the default corpus: people, towns and animals with attributes
 * drawn from a seeded generator, and the facts that state them. Pets are drawn from the
 * world's animals and homes from its towns, so the stories and facts stay consistent.
 */
import type { Rng } from '@moh/tensor';
import { RELATIONS_OF, TEMPLATES } from './templates.js';
import type { EntityKind, Fact, Relation } from './types.js';
import {
  ANIMAL_FOODS, ANIMALS, COLORS, FOODS, JOBS, LANDMARKS, NAMES, SLEEPING_PLACES, SPECIALTIES, TOWNS,
} from './words.js';

/** A person of the world. */
export interface Person {
  readonly name: string;
  readonly pronoun: 'she' | 'he';
  readonly home: string;
  readonly job: string;
  readonly pet: string;
  readonly color: string;
  readonly food: string;
}

/** A town of the world. */
export interface Town {
  readonly name: string;
  readonly landmark: string;
  readonly specialty: string;
}

/** An animal kind of the world. */
export interface Animal {
  readonly name: string;
  readonly diet: string;
  readonly sleeps: string;
}

/** Everything in the world. */
export interface World {
  readonly people: readonly Person[];
  readonly towns: readonly Town[];
  readonly animals: readonly Animal[];
}

/** How many entities of each kind the world has. */
export interface WorldSize {
  readonly people: number;
  readonly towns: number;
  readonly animals: number;
}

/** The largest world the word lists allow. */
export const MAX_WORLD: WorldSize = { people: NAMES.length, towns: TOWNS.length, animals: ANIMALS.length };

/** Draws a world of the given size. */
export function generateWorld(rng: Rng, size: WorldSize): World {
  const pick = <T>(list: readonly T[]): T => list[rng.int(list.length)];
  const towns = rng.shuffle([...TOWNS]).slice(0, size.towns).map((name) => ({
    name, landmark: pick(LANDMARKS), specialty: pick(SPECIALTIES),
  }));
  const animals = rng.shuffle([...ANIMALS]).slice(0, size.animals).map((name) => ({
    name, diet: pick(ANIMAL_FOODS), sleeps: pick(SLEEPING_PLACES),
  }));
  const people = rng.shuffle([...NAMES]).slice(0, size.people).map(({ name, pronoun }) => ({
    name,
    pronoun,
    home: pick(towns).name,
    job: pick(JOBS),
    pet: pick(animals).name,
    color: pick(COLORS),
    food: pick(FOODS),
  }));
  return { people, towns, animals };
}

/** One entity with its kind and attribute values, in the order of {@link RELATIONS_OF}. */
export interface EntityFacts {
  readonly kind: EntityKind;
  readonly subject: string;
  readonly facts: readonly Fact[];
}

/**
 * The facts of every entity. Each fact gets `phrasings` distinct statement phrasings,
 * chosen at random from its relation's templates; statement `p` of every fact of an
 * entity goes into that entity's passage `p`.
 */
export function worldFacts(rng: Rng, world: World, phrasings: number): EntityFacts[] {
  const entity = (kind: EntityKind, subject: string, values: Partial<Record<Relation, string>>): EntityFacts => ({
    kind,
    subject,
    facts: RELATIONS_OF[kind].map((relation: Relation) => {
      const answer = values[relation] as string;
      const templates = rng.shuffle([...TEMPLATES[relation].statements]).slice(0, phrasings);
      return { subject, kind, relation, answer, statements: templates.map((t) => t(subject, answer)) };
    }),
  });
  return [
    ...world.people.map((p) => entity('person', p.name, p)),
    ...world.towns.map((t) => entity('town', t.name, t)),
    ...world.animals.map((a) => entity('animal', a.name, a)),
  ];
}

/** The passage of an entity's facts that uses statement phrasing `p`, in shuffled order. */
export function factPassage(rng: Rng, entity: EntityFacts, p: number): string {
  return rng.shuffle(entity.facts.map((f) => f.statements[p])).join(' ');
}
