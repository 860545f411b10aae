/**
 * The trainer's input: already-tokenized data, so the loop does not depend on the
 * tokenizer. Pretraining documents arrive as id sequences that the caller has already
 * wrapped in its begin/end-of-text ids (e.g. with `formatDocument`); instruction
 * examples arrive as ids plus an answer mask (e.g. from `formatChat`). Everything is
 * checked and copied into `Int32Array`s once, before training starts.
 */

/** One instruction-tuning example: a whole chat and which of its tokens are the answer. */
export interface InstructionExample {
  /** The token ids of the whole chat. */
  readonly ids: ArrayLike<number>;
  /**
   * Non-zero where `ids` holds an answer token. The loss is taken only on predicting
   * those tokens: the target at position `t` is `ids[t + 1]` when `answerMask[t + 1]` is set.
   */
  readonly answerMask: ArrayLike<number>;
}

/** Training and held-out data for both phases. */
export interface TrainingData {
  /** Documents for phase 1, each already wrapped in begin/end-of-text ids. Needed when pretraining has steps. */
  readonly pretraining?: {
    readonly train: readonly ArrayLike<number>[];
    /** Held-out documents for validation; none skips validation in phase 1. */
    readonly validation?: readonly ArrayLike<number>[];
  };
  /** Examples for phase 2. Needed when instruction tuning has steps. */
  readonly instruction?: {
    readonly train: readonly InstructionExample[];
    /** Held-out examples for validation; none skips validation in phase 2. */
    readonly validation?: readonly InstructionExample[];
  };
}

/** Training data that cannot be used; `path` names the offending entry, e.g. `pretraining.train[3][17]`. */
export class TrainingDataError extends Error {
  /** Where in the {@link TrainingData} the problem is. */
  readonly path: string;

  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'TrainingDataError';
    this.path = path;
  }
}

/** Instruction examples as flat typed arrays. */
export interface PreparedExamples {
  readonly ids: readonly Int32Array[];
  readonly masks: readonly Uint8Array[];
}

/** Checks token ids against the vocabulary and copies each document into an `Int32Array`. */
export function prepareDocuments(docs: readonly ArrayLike<number>[], vocabSize: number, path: string): Int32Array[] {
  return docs.map((doc, i) => toIds(doc, vocabSize, `${path}[${i}]`));
}

/**
 * Checks instruction examples: ids in the vocabulary, a mask of the same length, and at
 * most `seqLen + 1` tokens (the last token is only ever a target), so that every
 * example fits one row whole: a cut example could lose its whole answer.
 */
export function prepareExamples(
  examples: readonly InstructionExample[],
  vocabSize: number,
  seqLen: number,
  path: string,
): PreparedExamples {
  const ids: Int32Array[] = [];
  const masks: Uint8Array[] = [];
  examples.forEach((example, i) => {
    const at = `${path}[${i}]`;
    const exampleIds = toIds(example.ids, vocabSize, `${at}.ids`);
    if (example.answerMask.length !== exampleIds.length) {
      throw new TrainingDataError(`${at}.answerMask`, `has ${example.answerMask.length} entries but ids has ${exampleIds.length}; they must match.`);
    }
    if (exampleIds.length < 2) throw new TrainingDataError(`${at}.ids`, 'needs at least 2 tokens (an input and a target).');
    if (exampleIds.length > seqLen + 1) {
      throw new TrainingDataError(
        `${at}.ids`,
        `has ${exampleIds.length} tokens but a row holds at most seqLen + 1 = ${seqLen + 1}. Raise seqLen or shorten the example.`,
      );
    }
    const mask = Uint8Array.from(example.answerMask, (m) => (m ? 1 : 0));
    ids.push(exampleIds);
    masks.push(mask);
  });
  return { ids, masks };
}

function toIds(values: ArrayLike<number>, vocabSize: number, path: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const id = values[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new TrainingDataError(`${path}[${i}]`, `token id ${id} is outside the model's vocabulary 0..${vocabSize - 1}.`);
    }
    out[i] = id;
  }
  return out;
}

/**
 * A 32-bit FNV-1a fingerprint of id sequences (and masks), stored in checkpoints so
 * that resuming on different data fails loudly instead of silently diverging.
 */
export function fingerprint(sequences: readonly ArrayLike<number>[], seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  const mix = (x: number): void => {
    h = Math.imul(h ^ (x & 0xffff), 0x01000193);
    h = Math.imul(h ^ (x >>> 16), 0x01000193);
  };
  mix(sequences.length);
  for (const seq of sequences) {
    mix(seq.length);
    for (let i = 0; i < seq.length; i++) mix(seq[i] >>> 0);
  }
  return h >>> 0;
}
