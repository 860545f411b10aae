/**
 * The shapes of training data shared by the default corpus and the loaders for a
 * user's own data.
 */

/** One instruction-tuning example: the user's prompt and the assistant's completion. */
export interface InstructionPair {
  /** What the user says, e.g. `Where does Mira live?`. */
  readonly prompt: string;
  /** What the assistant answers, e.g. `Oakdale`. Loss is taken on this part only. */
  readonly completion: string;
}

/** The kinds of entity in the default corpus's small world. */
export type EntityKind = 'person' | 'town' | 'animal';

/**
 * The relations of the default world: a person's `home` town, `job`, `pet`, favourite
 * `color` and `food`; a town's `landmark` (what it lies near) and `specialty` (what it is
 * famous for); an animal's `diet` and where it `sleeps`.
 */
export type Relation = 'home' | 'job' | 'pet' | 'color' | 'food' | 'landmark' | 'specialty' | 'diet' | 'sleeps';

/** One fact of the default world, with every phrasing of it that the pretraining text uses. */
export interface Fact {
  /** The entity the fact is about, e.g. `Mira` or `owl`. */
  readonly subject: string;
  /** What kind of entity the subject is. */
  readonly kind: EntityKind;
  /** Which attribute the fact states. */
  readonly relation: Relation;
  /** The attribute's value, which is also the exact answer to a question about it, e.g. `Oakdale`. */
  readonly answer: string;
  /** The sentences that state this fact in the training pretraining text, one per phrasing. */
  readonly statements: readonly string[];
}

/** A pretraining document: a story or a passage of facts about one entity. */
export interface PretrainDocument {
  /** `'story'` for a short story, `'facts'` for a passage stating an entity's facts. */
  readonly kind: 'story' | 'facts';
  /** The document's text. */
  readonly text: string;
}

/** A question with its exact answer, for measuring exact-match accuracy. */
export interface QaItem {
  /** The question, phrased like an instruction prompt. */
  readonly question: string;
  /** The exact expected answer (compared by `exactMatch`). */
  readonly answer: string;
  /** The fact the question asks about. */
  readonly fact: Fact;
}

/** One side of the train/validation split. */
export interface CorpusSplit {
  /** Pretraining documents (stories and fact passages). */
  readonly pretraining: readonly PretrainDocument[];
  /** Instruction-tuning pairs about the facts. */
  readonly instructions: readonly InstructionPair[];
}
