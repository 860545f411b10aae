/**
 * The small vocabulary of the default corpus. The lists are short on purpose: a tiny
 * model trained for a few minutes learns a world whose names and words repeat often.
 * Every word is a single lower-case or capitalised ASCII word (or a short phrase for
 * the sleeping places), so answers stay short and exact.
 */

/** A person's name with the pronouns the stories use for them. */
export interface NameEntry {
  /** The name, capitalised. */
  readonly name: string;
  /** `'she'` or `'he'`; the stories pick the matching object and possessive forms. */
  readonly pronoun: 'she' | 'he';
}

const SHE = ['Mira', 'Lena', 'Ada', 'Nell', 'Rosa', 'Ivy', 'Tessa', 'Wren', 'Hazel', 'Clara', 'Juno', 'Iris',
  'Maya', 'Lucy', 'Nora', 'Greta', 'Elsa', 'Pia', 'Talia', 'Vera', 'Zoe', 'Flora', 'Dina', 'Kira'];
const HE = ['Tobin', 'Oskar', 'Milo', 'Felix', 'Hugo', 'Otto', 'Jonas', 'Leo', 'Arlo', 'Bram', 'Emil', 'Finn',
  'Gus', 'Ivo', 'Jasper', 'Kai', 'Luca', 'Nico', 'Pavel', 'Ravi', 'Sami', 'Theo', 'Viktor', 'Wim'];

/** Person names, alternating pronouns so any prefix of the list is balanced. */
export const NAMES: readonly NameEntry[] = SHE.flatMap((she, i) => [
  { name: she, pronoun: 'she' as const },
  { name: HE[i], pronoun: 'he' as const },
]);

/** Town names. */
export const TOWNS: readonly string[] = ['Oakdale', 'Fernhill', 'Brookmere', 'Stonebridge', 'Willowby', 'Ashford',
  'Redcliff', 'Pinecrest', 'Millbrook', 'Larkwood', 'Foxhollow', 'Clearwater', 'Elmstead', 'Highmoor', 'Rosebank',
  'Thornfield'];

/** What a town can lie near (each already carries its article). */
export const LANDMARKS: readonly string[] = ['the river', 'the sea', 'the forest', 'the hills', 'the lake',
  'the mountains', 'the marsh', 'the meadows'];

/** What a town can be famous for (plural or mass nouns, used after "its"). */
export const SPECIALTIES: readonly string[] = ['bridges', 'bread', 'gardens', 'boats', 'clocks', 'music', 'cheese',
  'apples', 'lanterns', 'kites', 'bells', 'markets'];

/** Animal kinds (pets and the animal facts). */
export const ANIMALS: readonly string[] = ['fox', 'owl', 'cat', 'dog', 'rabbit', 'goat', 'parrot', 'turtle',
  'hedgehog', 'pony', 'duck', 'frog', 'mouse', 'lizard', 'hamster', 'crow'];

/** What an animal can eat. */
export const ANIMAL_FOODS: readonly string[] = ['seeds', 'berries', 'fish', 'grass', 'worms', 'nuts', 'carrots',
  'bugs', 'leaves', 'corn', 'clover', 'snails'];

/** Where an animal can sleep (each a prepositional phrase). */
export const SLEEPING_PLACES: readonly string[] = ['in a tree', 'in a barn', 'in a burrow', 'in a nest',
  'in a box', 'by the pond', 'in a cave', 'in a basket', 'under the bed', 'on the roof'];

/** Jobs (all start with a consonant, so "a" is always the right article). */
export const JOBS: readonly string[] = ['baker', 'farmer', 'teacher', 'painter', 'fisher', 'doctor', 'builder',
  'tailor', 'singer', 'gardener', 'potter', 'sailor', 'miller', 'weaver', 'carpenter', 'nurse'];

/** Colours. */
export const COLORS: readonly string[] = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'white', 'black',
  'pink', 'gray'];

/** Foods people like (plural or mass nouns, so no article is needed). */
export const FOODS: readonly string[] = ['apples', 'soup', 'bread', 'plums', 'cheese', 'rice', 'pears', 'honey',
  'beans', 'cake', 'eggs', 'noodles', 'peaches', 'pie', 'figs', 'porridge'];

/** Things that turn up in stories. */
export const THINGS: readonly string[] = ['ball', 'kite', 'basket', 'hat', 'box', 'map', 'key', 'boat', 'lamp',
  'drum', 'book', 'shell', 'feather', 'coin', 'scarf', 'cup'];

/** Adjectives for story things. */
export const ADJECTIVES: readonly string[] = ['little', 'big', 'old', 'new', 'shiny', 'soft', 'tiny', 'heavy',
  'bright', 'strange'];

/** Places inside a town where story scenes happen. */
export const SPOTS: readonly string[] = ['the market', 'the park', 'the garden', 'the bridge', 'the shop',
  'the school', 'the well', 'the square', 'the library', 'the bakery'];

/** Times of day or weather for story openings. */
export const TIMES: readonly string[] = ['one sunny morning', 'one rainy afternoon', 'one cold evening',
  'one windy day', 'early one morning', 'late one night', 'one warm summer day', 'one snowy winter day'];

/** Feelings for story characters. */
export const FEELINGS: readonly string[] = ['happy', 'sad', 'tired', 'excited', 'worried', 'curious', 'proud',
  'sleepy'];

/** `a` or `an` before a word, by its first letter. */
export function withArticle(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

/** The word with its first letter capitalised. */
export function capitalize(text: string): string {
  return text.length === 0 ? text : text[0].toUpperCase() + text.slice(1);
}
