/**
 * Exact-match accuracy on held-out questions: greedy answers compared with the expected
 * ones after the normalisation of `exactMatch` (trimmed, whitespace runs collapsed,
 * case-insensitive, trailing `.`, `!` or `?` ignored).
 */
import type { Model } from '@moh/model';
import { exactMatch } from '../data/exact-match.js';
import { generate } from '../generate/generate.js';
import { toSource, type DecodingSource } from '../generate/source.js';
import type { StopReason } from '../generate/types.js';
import { decodeAnswer, formatPrompt } from '../tokenizer/chat.js';
import { SPECIAL_TOKENS } from '../tokenizer/special-tokens.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

/** A question with its expected answer (a `QaItem` of the corpus fits). */
export interface QaQuestion {
  /** The question text. */
  readonly question: string;
  /** The expected answer. */
  readonly answer: string;
}

/** How {@link evaluateQa} turns questions into prompts and generated ids into answers. */
export interface QaEvaluationOptions {
  /** The prompt ids of a question, e.g. `<|bos|> <|user|> question <|assistant|>`. */
  readonly encodeQuestion: (question: string) => readonly number[];
  /** The answer text in the generated ids (which exclude the stop token). */
  readonly decodeAnswer: (generated: readonly number[]) => string;
  /** Ids that end an answer, e.g. `[SPECIAL_TOKENS.eos]`. Defaults to none. */
  readonly stopTokens?: readonly number[];
  /** The longest answer in tokens. Defaults to 16. */
  readonly maxNewTokens?: number;
  /** Whether a prediction counts as correct. Defaults to `exactMatch`. */
  readonly match?: (prediction: string, answer: string) => boolean;
  /** Called after each item, for progress reporting. */
  readonly onPrediction?: (prediction: QaPrediction, index: number) => void;
}

/** One question's outcome. */
export interface QaPrediction {
  /** The question asked. */
  readonly question: string;
  /** The expected answer. */
  readonly answer: string;
  /** The model's decoded answer. */
  readonly prediction: string;
  /** Whether `prediction` matches `answer`. */
  readonly correct: boolean;
  /** The generated ids (without the stop token). */
  readonly tokens: readonly number[];
  /** Why the answer ended. */
  readonly stopReason: StopReason;
}

/** What {@link evaluateQa} reports. */
export interface QaEvaluation {
  /** `correct / total`; NaN without items. */
  readonly accuracy: number;
  /** Items answered correctly. */
  readonly correct: number;
  /** Items asked. */
  readonly total: number;
  /** Every item's outcome, in input order. */
  readonly predictions: readonly QaPrediction[];
}

/**
 * Asks `model` every question with greedy decoding and scores the answers by exact
 * match. Deterministic: the same model and items give the same report.
 *
 * @param model - A model, or any {@link DecodingSource}.
 *
 * @example
 * ```ts
 * import { createModel, resolveConfig } from '@moh/model';
 * import { evaluateQa, qaOptions, trainTokenizer } from '@moh/trainer';
 * const tokenizer = trainTokenizer(['Where does Mira live? Oakdale'], { vocabSize: 280 });
 * const model = createModel(resolveConfig({ preset: 'seed-moh', vocabSize: tokenizer.vocabSize }), { seed: 1 });
 * const report = evaluateQa(model, [{ question: 'Where does Mira live?', answer: 'Oakdale' }], qaOptions(tokenizer));
 * console.log(report.accuracy, report.predictions[0].prediction);
 * ```
 */
export function evaluateQa(model: Model | DecodingSource, items: readonly QaQuestion[], options: QaEvaluationOptions): QaEvaluation {
  const match = options.match ?? exactMatch;
  const source = toSource(model); // one decoder, reused by every question
  const predictions = items.map((item, index): QaPrediction => {
    const result = generate(source, options.encodeQuestion(item.question), {
      strategy: { kind: 'greedy' },
      maxNewTokens: options.maxNewTokens ?? 16,
      stopTokens: options.stopTokens,
    });
    const prediction = options.decodeAnswer(result.tokens);
    const outcome = {
      question: item.question,
      answer: item.answer,
      prediction,
      correct: match(prediction, item.answer),
      tokens: result.tokens,
      stopReason: result.stopReason,
    };
    options.onPrediction?.(outcome, index);
    return outcome;
  });
  const correct = predictions.filter((p) => p.correct).length;
  return { accuracy: items.length === 0 ? Number.NaN : correct / items.length, correct, total: items.length, predictions };
}

/**
 * The {@link QaEvaluationOptions} of the chat format: questions become
 * `formatPrompt(tokenizer, question)`, answers are read with `decodeAnswer` and end at
 * `<|eos|>`.
 */
export function qaOptions(tokenizer: Tokenizer, maxNewTokens = 16): QaEvaluationOptions {
  return {
    encodeQuestion: (question) => formatPrompt(tokenizer, question),
    decodeAnswer: (generated) => decodeAnswer(tokenizer, generated),
    stopTokens: [SPECIAL_TOKENS.eos],
    maxNewTokens,
  };
}
