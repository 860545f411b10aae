/**
 * Simple English stories about the people of the default world. A story is an opening,
 * two or three events, a problem with its resolution, and an ending, each chosen from a
 * small bank of sentence templates and filled from the world (a person's real home and
 * pet, the landmark their town lies near), so the stories never contradict the facts.
 */
import type { Rng } from '@moh/tensor';
import type { Person, World } from './world.js';
import { ADJECTIVES, FEELINGS, SPOTS, THINGS, TIMES, capitalize, withArticle } from './words.js';

/** The slots a sentence template can use. */
interface Scene {
  readonly name: string;
  readonly he: string;
  readonly him: string;
  readonly his: string;
  readonly friend: string;
  readonly friendHe: string;
  readonly friendHim: string;
  readonly friendHis: string;
  readonly pet: string;
  readonly town: string;
  readonly landmark: string;
  readonly food: string;
  readonly thing: string;
  readonly adj: string;
  readonly spot: string;
  readonly time: string;
  readonly feeling: string;
}

type Line = (c: Scene) => string;

const OPENINGS: readonly Line[] = [
  (c) => `${capitalize(c.time)}, ${c.name} woke up in ${c.town}.`,
  (c) => `Once upon a time, ${c.name} lived in ${c.town} with ${c.his} ${c.pet}.`,
  (c) => `${c.name} felt ${c.feeling} ${c.time}.`,
  (c) => `${capitalize(c.time)}, ${c.name} and ${c.his} ${c.pet} went out to play.`,
  (c) => `In the town of ${c.town}, ${c.name} had ${withArticle(c.adj)} ${c.thing}.`,
  (c) => `${c.name} looked out of the window ${c.time} and saw ${c.landmark}.`,
];

const EVENTS: readonly Line[] = [
  (c) => `${capitalize(c.he)} walked to ${c.spot} with ${c.his} ${c.pet}.`,
  (c) => `At ${c.spot}, ${c.he} met ${c.friend}.`,
  (c) => `${c.friend} said, "Hello, ${c.name}! Do you want to play?"`,
  (c) => `They walked all the way to ${c.landmark}.`,
  (c) => `The ${c.pet} ran after ${withArticle(c.adj)} ${c.thing}.`,
  (c) => `${capitalize(c.he)} found ${withArticle(c.adj)} ${c.thing} on the ground.`,
  (c) => `${c.name} ate some ${c.food} and felt ${c.feeling}.`,
  (c) => `${c.friend} showed ${c.him} ${withArticle(c.adj)} ${c.thing}.`,
  () => `The sun was warm, and the birds were singing.`,
  (c) => `${capitalize(c.he)} sang a little song about ${c.landmark}.`,
  (c) => `${c.name} and ${c.friend} sat near ${c.spot} and talked.`,
  (c) => `"Look at my ${c.thing}!" said ${c.name}.`,
];

const TROUBLES: readonly (readonly [Line, Line])[] = [
  [
    (c) => `Then the ${c.thing} was gone! ${c.name} looked everywhere.`,
    (c) => `At last, the ${c.pet} found it under a bush.`,
  ],
  [
    () => `Suddenly, it began to rain.`,
    (c) => `${c.name} and ${c.friend} ran home and drank warm milk.`,
  ],
  [
    (c) => `But the ${c.pet} got lost near ${c.landmark}.`,
    (c) => `${c.name} called and called, and the ${c.pet} came running back.`,
  ],
  [
    (c) => `${c.friend} was sad because ${c.friendHe} could not find ${c.friendHis} ${c.thing}.`,
    (c) => `${c.name} helped ${c.friendHim} look, and soon they found it.`,
  ],
  [
    (c) => `The ${c.thing} was too heavy to carry.`,
    (c) => `${c.friend} helped, and together they carried it home.`,
  ],
  [
    (c) => `On the way home, ${c.name} fell and hurt ${c.his} knee.`,
    (c) => `${c.friend} gave ${c.him} a hug, and soon ${c.he} felt better.`,
  ],
];

const ENDINGS: readonly Line[] = [
  (c) => `That night, ${c.name} went to sleep ${c.feeling} and warm.`,
  () => `It was the best day ever.`,
  (c) => `${c.name} smiled. ${capitalize(c.he)} loved living in ${c.town}.`,
  (c) => `From that day on, ${c.name} and ${c.friend} were best friends.`,
  (c) => `The ${c.pet} curled up next to ${c.name}, and they both fell asleep.`,
];

const PRONOUNS = { she: ['she', 'her', 'her'], he: ['he', 'him', 'his'] } as const;

/** One story about a random person of the world. */
export function generateStory(rng: Rng, world: World): string {
  const pick = <T>(list: readonly T[]): T => list[rng.int(list.length)];
  const hero = pick(world.people);
  let friend: Person = pick(world.people);
  while (friend === hero && world.people.length > 1) friend = pick(world.people);
  const town = world.towns.find((t) => t.name === hero.home);
  const [he, him, his] = PRONOUNS[hero.pronoun];
  const [friendHe, friendHim, friendHis] = PRONOUNS[friend.pronoun];
  const scene: Scene = {
    name: hero.name, he, him, his,
    friend: friend.name, friendHe, friendHim, friendHis,
    pet: hero.pet, town: hero.home, landmark: town?.landmark ?? 'the hills', food: hero.food,
    thing: pick(THINGS), adj: pick(ADJECTIVES), spot: pick(SPOTS), time: pick(TIMES), feeling: pick(FEELINGS),
  };
  const events = rng.shuffle([...EVENTS]).slice(0, 2 + rng.int(2));
  const [trouble, fix] = pick(TROUBLES);
  const lines = [pick(OPENINGS), ...events, trouble, fix, pick(ENDINGS)];
  return lines.map((line) => line(scene)).join(' ');
}
