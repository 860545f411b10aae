/**
 * The token layouts of training examples. A pretraining document is
 * `<|bos|> text <|eos|>`; a chat is `<|bos|> <|user|> prompt <|assistant|> answer <|eos|>`,
 * where the answer is encoded with one leading space (" Oakdale"), the form its words
 * have inside running text, so the answer's tokens are the ones the model saw in the
 * pretraining text.
 */
import { SPECIAL_TOKENS } from './special-tokens.js';
import type { Tokenizer } from './tokenizer.js';

/** A chat encoded for instruction tuning. */
export interface ChatExample {
  /** The token ids of the whole chat. */
  readonly ids: number[];
  /**
   * 1 where `ids` holds an answer token (the answer and its closing `<|eos|>`), 0 for the
   * prompt part. Same length as `ids`. Loss belongs on predicting the 1 positions: the
   * target at position `t` is `ids[t]`, predicted from position `t - 1`.
   */
  readonly answerMask: Uint8Array;
}

/** `<|bos|> text <|eos|>`: a pretraining document. */
export function formatDocument(tokenizer: Tokenizer, text: string): number[] {
  return [SPECIAL_TOKENS.bos, ...tokenizer.encode(text), SPECIAL_TOKENS.eos];
}

/**
 * `<|bos|> <|user|> prompt <|assistant|>`: a prompt ready for generation. The model's
 * continuation up to `<|eos|>` is its answer (read it with {@link decodeAnswer}).
 */
export function formatPrompt(tokenizer: Tokenizer, prompt: string): number[] {
  return [SPECIAL_TOKENS.bos, SPECIAL_TOKENS.user, ...tokenizer.encode(prompt), SPECIAL_TOKENS.assistant];
}

/**
 * A whole chat with its answer mask: {@link formatPrompt} followed by the completion
 * (with one leading space) and `<|eos|>`.
 *
 * @example
 * ```ts
 * import { SPECIAL_TOKENS, formatChat, trainTokenizer } from '@moh/trainer';
 * const tokenizer = trainTokenizer(['Where does Mira live? Oakdale'], { vocabSize: 280 });
 * const { ids, answerMask } = formatChat(tokenizer, 'Where does Mira live?', 'Oakdale');
 * console.log(ids[0] === SPECIAL_TOKENS.bos, answerMask.at(-1)); // true 1
 * ```
 */
export function formatChat(tokenizer: Tokenizer, prompt: string, completion: string): ChatExample {
  const head = formatPrompt(tokenizer, prompt);
  const ids = [...head, ...tokenizer.encode(` ${completion}`), SPECIAL_TOKENS.eos];
  const answerMask = new Uint8Array(ids.length);
  answerMask.fill(1, head.length);
  return { ids, answerMask };
}

/**
 * The answer in generated ids: the text before the first `<|eos|>` (or all of it when
 * there is none), without special tokens, trimmed. Compare it with the expected answer
 * using `exactMatch`.
 */
export function decodeAnswer(tokenizer: Tokenizer, generated: ArrayLike<number>): string {
  const ids = Array.from(generated);
  const end = ids.indexOf(SPECIAL_TOKENS.eos);
  return tokenizer.decode(end < 0 ? ids : ids.slice(0, end), { skipSpecialTokens: true }).trim();
}
