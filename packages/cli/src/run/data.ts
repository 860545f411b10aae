/**
 * The data of a run, tokenized for the trainer: the embedded generated corpus (with its
 * held-out questions) or a user's files (every 10th document, and every 10th
 * instruction pair, kept for validation). The same source, tokenizer and sequence length
 * always give the same data, which is what lets a checkpoint be resumed or evaluated.
 */
import { resolve } from 'node:path';
import {
  corpusTexts, formatChat, formatDocument, generateCorpus, loadDataset, trainTokenizer,
  type InstructionExample, type InstructionPair, type QaQuestion, type Tokenizer, type TrainingData,
} from '@moh/trainer';
import type { CorpusSource } from './run-info.js';

/** Every this-many-th document (and pair) of a user's corpus is validation. */
export const VALIDATION_EVERY = 10;

/** A run's data, ready for the trainer and the evaluations. */
export interface RunData {
  readonly source: CorpusSource;
  readonly tokenizer: Tokenizer;
  /** Tokenized documents and instruction examples, train and validation. */
  readonly training: TrainingData;
  /** Held-out questions for QA accuracy (embedded corpus only; empty otherwise). */
  readonly heldOut: readonly QaQuestion[];
  /** Instruction pairs seen in training, for sample answers. */
  readonly trainQuestions: readonly QaQuestion[];
  /** Validation pairs (never trained on), for sample answers with a user corpus. */
  readonly validationQuestions: readonly QaQuestion[];
  /** Validation documents as text, for head usage and sample continuations. */
  readonly validationTexts: readonly string[];
  /** Counts, for the summary. */
  readonly counts: { documents: number; validationDocuments: number; pairs: number; validationPairs: number };
  /** Things the user should know (e.g. pairs dropped for being too long). */
  readonly notes: readonly string[];
}

/** How to tokenize. */
export interface DataOptions {
  /** An existing tokenizer (resume, eval); otherwise one is trained on the training texts. */
  readonly tokenizer?: Tokenizer;
  /** Vocabulary size of a new tokenizer. */
  readonly vocabSize?: number;
  /** The trainer's sequence length: an instruction example must fit one row (seqLen + 1 tokens). */
  readonly seqLen: number;
}

/** The source `--corpus` names (a user's path) or the embedded corpus from `config`. */
export function corpusSource(path: string | undefined, embedded: () => CorpusSource): CorpusSource {
  return path === undefined ? embedded() : { kind: 'files', path: resolve(path) };
}

/** Reads (or generates), splits and tokenizes a run's data. Throws `DataError` for unusable files. */
export async function prepareData(source: CorpusSource, options: DataOptions): Promise<RunData> {
  if (source.kind === 'embedded') {
    const corpus = generateCorpus(source.config);
    const tokenizer = options.tokenizer ?? trainTokenizer(corpusTexts(corpus.train), { vocabSize: options.vocabSize });
    const docs = corpus.train.pretraining.map((d) => d.text);
    const validationTexts = corpus.validation.pretraining.map((d) => d.text);
    const train = toQuestions(corpus.train.instructions);
    const validation = toQuestions(corpus.validation.instructions);
    return assemble(source, tokenizer, options.seqLen, docs, validationTexts, corpus.train.instructions, corpus.validation.instructions, {
      heldOut: corpus.heldOut.map(({ question, answer }) => ({ question, answer })),
      trainQuestions: train,
      validationQuestions: validation,
    });
  }
  const dataset = await loadDataset(source.path);
  const isValidation = (_: unknown, i: number): boolean => i % VALIDATION_EVERY === VALIDATION_EVERY - 1;
  const docs = dataset.documents.filter((d, i) => !isValidation(d, i));
  const validationTexts = dataset.documents.filter(isValidation);
  const pairs = dataset.pairs.filter((p, i) => !isValidation(p, i));
  const validationPairs = dataset.pairs.filter(isValidation);
  const tokenizer = options.tokenizer
    ?? trainTokenizer([...docs, ...pairs.map((p) => `${p.prompt} ${p.completion}`)], { vocabSize: options.vocabSize });
  return assemble(source, tokenizer, options.seqLen, docs, validationTexts, pairs, validationPairs, {
    heldOut: [],
    trainQuestions: toQuestions(pairs),
    validationQuestions: toQuestions(validationPairs),
  });
}

function assemble(
  source: CorpusSource, tokenizer: Tokenizer, seqLen: number,
  docs: readonly string[], validationTexts: readonly string[],
  pairs: readonly InstructionPair[], validationPairs: readonly InstructionPair[],
  questions: Pick<RunData, 'heldOut' | 'trainQuestions' | 'validationQuestions'>,
): RunData {
  const notes: string[] = [];
  const examples = (list: readonly InstructionPair[], what: string): InstructionExample[] => {
    const all = list.map((p) => formatChat(tokenizer, p.prompt, p.completion));
    // The trainer needs every example whole in one row; a cut one could lose its whole answer.
    const fitting = all.filter((e) => e.ids.length <= seqLen + 1);
    if (fitting.length < all.length) {
      notes.push(`skipped ${all.length - fitting.length} of ${all.length} ${what} longer than ${seqLen + 1} tokens (the sequence length + 1)`);
    }
    return fitting;
  };
  const train = examples(pairs, 'instruction pairs');
  const validation = examples(validationPairs, 'validation pairs');
  const training: TrainingData = {
    ...(docs.length > 0 && {
      pretraining: { train: docs.map((t) => formatDocument(tokenizer, t)), validation: validationTexts.map((t) => formatDocument(tokenizer, t)) },
    }),
    ...(train.length > 0 && { instruction: { train, validation } }),
  };
  return {
    source,
    tokenizer,
    training,
    ...questions,
    validationTexts,
    counts: { documents: docs.length, validationDocuments: validationTexts.length, pairs: train.length, validationPairs: validation.length },
    notes,
  };
}

function toQuestions(pairs: readonly InstructionPair[]): QaQuestion[] {
  return pairs.map((p) => ({ question: p.prompt, answer: p.completion }));
}
