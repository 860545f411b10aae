/**
 * How each relation of the default world is stated in the pretraining text and asked
 * about in the instructions. Every relation has several statement phrasings (the model
 * reads each fact in more than one form, which is what lets it answer questions about
 * facts it was never quizzed on) and several question phrasings. The subject is `s` and
 * the value `o`; the value is always the exact, short answer.
 */
import type { Relation } from './types.js';
import { withArticle } from './words.js';

type Template = (s: string, o: string) => string;

/** Statement and question phrasings of one relation. */
interface RelationTemplates {
  readonly statements: readonly Template[];
  readonly questions: readonly Template[];
}

/** The phrasings of every relation. Each has four statements and three questions. */
export const TEMPLATES: Readonly<Record<Relation, RelationTemplates>> = {
  home: {
    statements: [
      (s, o) => `${s} lives in ${o}.`,
      (s, o) => `${s}'s home is in ${o}.`,
      (s, o) => `${o} is the town where ${s} lives.`,
      (s, o) => `${s} has a house in ${o}.`,
    ],
    questions: [
      (s) => `Where does ${s} live?`,
      (s) => `In which town does ${s} live?`,
      (s) => `What town is ${s}'s home?`,
    ],
  },
  job: {
    statements: [
      (s, o) => `${s} works as ${withArticle(o)}.`,
      (s, o) => `${s} is ${withArticle(o)} by trade.`,
      (s, o) => `${s} earns a living as ${withArticle(o)}.`,
      (s, o) => `Every day ${s} goes to work as ${withArticle(o)}.`,
    ],
    questions: [
      (s) => `What is ${s}'s job?`,
      (s) => `What does ${s} do for work?`,
      (s) => `What work does ${s} do?`,
    ],
  },
  pet: {
    statements: [
      (s, o) => `${s} has a pet ${o}.`,
      (s, o) => `${s} keeps ${withArticle(o)} as a pet.`,
      (s, o) => `The pet of ${s} is ${withArticle(o)}.`,
      (s, o) => `${s} takes care of a pet ${o}.`,
    ],
    questions: [
      (s) => `What pet does ${s} have?`,
      (s) => `What animal does ${s} keep as a pet?`,
      (s) => `Which animal is ${s}'s pet?`,
    ],
  },
  color: {
    statements: [
      (s, o) => `${s}'s favorite color is ${o}.`,
      (s, o) => `${s} likes the color ${o} best.`,
      (s, o) => `Of all colors, ${s} loves ${o} the most.`,
      (s, o) => `The color that ${s} likes most is ${o}.`,
    ],
    questions: [
      (s) => `What is ${s}'s favorite color?`,
      (s) => `Which color does ${s} like best?`,
      (s) => `What color does ${s} love most?`,
    ],
  },
  food: {
    statements: [
      (s, o) => `${s}'s favorite food is ${o}.`,
      (s, o) => `${s} loves to eat ${o}.`,
      (s, o) => `More than any other food, ${s} enjoys ${o}.`,
      (s, o) => `${s} would eat ${o} every day.`,
    ],
    questions: [
      (s) => `What is ${s}'s favorite food?`,
      (s) => `What does ${s} love to eat?`,
      (s) => `Which food does ${s} enjoy most?`,
    ],
  },
  landmark: {
    statements: [
      (s, o) => `${s} is near ${o}.`,
      (s, o) => `${s} lies close to ${o}.`,
      (s, o) => `The town of ${s} is next to ${o}.`,
      (s, o) => `People in ${s} live near ${o}.`,
    ],
    questions: [
      (s) => `What is ${s} near?`,
      (s) => `What lies close to ${s}?`,
      (s) => `What is next to the town of ${s}?`,
    ],
  },
  specialty: {
    statements: [
      (s, o) => `${s} is famous for its ${o}.`,
      (s, o) => `${s} is known for its ${o}.`,
      (s, o) => `Visitors come to ${s} for its ${o}.`,
      (s, o) => `The pride of ${s} is its ${o}.`,
    ],
    questions: [
      (s) => `What is ${s} famous for?`,
      (s) => `What is ${s} known for?`,
      (s) => `What does ${s} take pride in?`,
    ],
  },
  diet: {
    statements: [
      (s, o) => `The ${s} eats ${o}.`,
      (s, o) => `In this land, every ${s} eats ${o}.`,
      (s, o) => `The favorite food of the ${s} is ${o}.`,
      (s, o) => `If you feed ${withArticle(s)}, give it ${o}.`,
    ],
    questions: [
      (s) => `What does the ${s} eat?`,
      (s) => `What food does the ${s} like?`,
      (s) => `What should you feed ${withArticle(s)}?`,
    ],
  },
  sleeps: {
    statements: [
      (s, o) => `The ${s} sleeps ${o}.`,
      (s, o) => `At night the ${s} rests ${o}.`,
      (s, o) => `Every ${s} makes its bed ${o}.`,
      (s, o) => `You can find the ${s} asleep ${o}.`,
    ],
    questions: [
      (s) => `Where does the ${s} sleep?`,
      (s) => `Where does the ${s} rest at night?`,
      (s) => `Where can you find the ${s} asleep?`,
    ],
  },
};

/** The relations each kind of entity has, in the order its passages state them. */
export const RELATIONS_OF = {
  person: ['home', 'job', 'pet', 'color', 'food'],
  town: ['landmark', 'specialty'],
  animal: ['diet', 'sleeps'],
} as const satisfies Record<string, readonly Relation[]>;
