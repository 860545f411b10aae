/**
 * The numbers a run is judged by: validation loss and perplexity, held-out QA accuracy,
 * sample answers, and how much each head is used. Shared by `moh train`'s summary and
 * `moh eval`, so both report the same numbers for the same checkpoint.
 */
import type { Model } from '@moh/model';
import {
  evaluateQa, formatDocument, generate, headUsage, qaOptions, resolveTrainerConfig, SPECIAL_TOKENS, Trainer,
  type InstructionExample, type PhaseName, type QaEvaluation, type QaQuestion, type Tokenizer, type TrainingData,
} from '@moh/trainer';
import type { RunData } from './data.js';

/**
 * Validation passes score at most this many batches (B × T tokens each): all of the
 * embedded corpus's validation set, and a bounded sample of a large user corpus.
 */
export const VALIDATION_BATCHES = 32;

/** Mean cross-entropy (nats per token) and perplexity on held-out data. */
export interface LossReport {
  readonly ce: number;
  readonly perplexity: number;
  /** Targets scored. */
  readonly tokens: number;
}

/** Validation loss on the held-out documents and, when the data has pairs, on the held-out answers. */
export interface ValidationReport {
  /** Next-token loss on the validation documents; null without any. */
  readonly text: LossReport | null;
  /** Loss on the answer tokens of the validation pairs; null without any. */
  readonly answers: LossReport | null;
}

/** One sample answer. */
export interface SampleAnswer {
  readonly question: string;
  readonly expected: string;
  readonly answer: string;
  readonly correct: boolean;
  /** Whether the question was held out of training (false: it was trained on). */
  readonly heldOut: boolean;
}

/** Each head's load (share of tokens it ran on), per layer, over some documents. */
export interface HeadLoadReport {
  readonly headSelection: string;
  /** Heads 0 … sharedHeads − 1 run on every token (MoH). */
  readonly sharedHeads: number;
  readonly documents: number;
  readonly tokens: number;
  /** `[layer][head]`. */
  readonly load: readonly (readonly number[])[];
}

/** Scores `model` on the validation data of both phases, with the sequence length and batch size given. */
export function validationLoss(model: Model, data: TrainingData, batchSize: number, seqLen: number): ValidationReport {
  return {
    text: scorePhase(model, 'pretraining', data.pretraining?.validation ?? [], batchSize, seqLen),
    answers: scorePhase(model, 'instruction', data.instruction?.validation ?? [], batchSize, seqLen),
  };
}

/**
 * One phase's validation loss, computed by a trainer that takes no step: the trainer's
 * own validation code, batching and masking, so these numbers are the ones training
 * reports, over the same batches.
 */
function scorePhase(
  model: Model, phase: PhaseName, set: readonly ArrayLike<number>[] | readonly InstructionExample[], batchSize: number, seqLen: number,
): LossReport | null {
  if (set.length === 0) return null;
  const data: TrainingData = phase === 'pretraining'
    ? { pretraining: { train: set as readonly ArrayLike<number>[], validation: set as readonly ArrayLike<number>[] } }
    : { instruction: { train: set as readonly InstructionExample[], validation: set as readonly InstructionExample[] } };
  const config = resolveTrainerConfig({
    batchSize,
    seqLen,
    pretraining: { steps: phase === 'pretraining' ? 1 : 0 },
    instruction: { steps: phase === 'instruction' ? 1 : 0 },
    validation: { interval: 0, batches: VALIDATION_BATCHES },
  }, model.config);
  const trainer = new Trainer(model, config, data);
  try {
    const result = trainer.validate();
    return result === null || result.tokens === 0 ? null : { ce: result.ce, perplexity: result.perplexity, tokens: result.tokens };
  } finally {
    trainer.free();
  }
}

/** Exact-match accuracy on held-out questions (greedy answers); null without questions. */
export function qaAccuracy(model: Model, tokenizer: Tokenizer, questions: readonly QaQuestion[]): QaEvaluation | null {
  return questions.length === 0 ? null : evaluateQa(model, questions, qaOptions(tokenizer));
}

/**
 * Sample answers: `heldOut` held-out questions (reusing `qa` when given) and `trained`
 * questions the model was trained on. With a user corpus, whose pairs have no
 * held-out facts, the validation pairs stand in for held-out questions.
 */
export function sampleAnswers(model: Model, data: RunData, qa: QaEvaluation | null, heldOut = 3, trained = 2): SampleAnswer[] {
  // Spread over the questions rather than the first few, which may all ask about one entity.
  const spread = <T>(items: readonly T[], count: number): T[] => {
    const step = Math.max(1, Math.floor(items.length / Math.max(1, count)));
    return items.filter((_, i) => i % step === 0).slice(0, count);
  };
  const fresh = qa !== null && data.heldOut.length > 0
    ? spread(qa.predictions, heldOut)
    : evaluateQa(model, spread(data.validationQuestions, heldOut), qaOptions(data.tokenizer)).predictions;
  const old = evaluateQa(model, spread(data.trainQuestions, trained), qaOptions(data.tokenizer)).predictions;
  return [
    ...fresh.map((p) => ({ question: p.question, expected: p.answer, answer: p.prediction, correct: p.correct, heldOut: true })),
    ...old.map((p) => ({ question: p.question, expected: p.answer, answer: p.prediction, correct: p.correct, heldOut: false })),
  ];
}

/** Greedy continuations of the first words of a few validation documents (for corpora without pairs). */
export function sampleContinuations(model: Model, data: RunData, count = 3, words = 6, maxNewTokens = 40): { prompt: string; continuation: string }[] {
  return data.validationTexts.slice(0, count).map((text) => {
    const prompt = text.split(/\s+/).slice(0, words).join(' ');
    const ids = formatDocument(data.tokenizer, prompt).slice(0, -1); // without <|eos|>: the document goes on
    const result = generate(model, ids, { strategy: { kind: 'greedy' }, maxNewTokens, stopTokens: [SPECIAL_TOKENS.eos] });
    return { prompt, continuation: data.tokenizer.decode(result.tokens, { skipSpecialTokens: true }) };
  });
}

/** Mean head load per layer over the first `documents` validation texts (each cut to the model's context). */
export function headLoad(model: Model, tokenizer: Tokenizer, texts: readonly string[], documents = 16): HeadLoadReport {
  const { layers, attention } = model.config;
  const sums = Array.from({ length: layers }, () => new Array<number>(attention.queryHeads).fill(0));
  let tokens = 0;
  let used = 0;
  let selection = attention.headSelection.kind as string;
  let shared = 0;
  for (const text of texts.slice(0, documents)) {
    const usage = headUsage(model, formatDocument(tokenizer, text));
    selection = usage.headSelection;
    shared = usage.sharedHeads;
    usage.layers.forEach((layer, l) => layer.load.forEach((share, h) => (sums[l][h] += share * usage.tokens.length)));
    tokens += usage.tokens.length;
    used++;
  }
  return {
    headSelection: selection,
    sharedHeads: shared,
    documents: used,
    tokens,
    load: sums.map((row) => row.map((s) => (tokens === 0 ? 0 : s / tokens))),
  };
}
