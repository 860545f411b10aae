/**
 * The reserved token ids. Ids 0–255 are the 256 byte values, so any text can be encoded
 * before a single merge is learned; the four special tokens follow at 256–259; learned
 * merges start at 260. Special tokens are never produced by encoding text, not even text
 * that spells their names: they are only inserted by the formatting helpers.
 */

/** The ids of the special tokens. */
export const SPECIAL_TOKENS = {
  /** Begin of text (`<|bos|>`), id 256: starts every document and every chat. */
  bos: 256,
  /** End of text (`<|eos|>`), id 257: ends every document and every answer; generation stops here. */
  eos: 257,
  /** User role (`<|user|>`), id 258: precedes the prompt of a chat. */
  user: 258,
  /** Assistant role (`<|assistant|>`), id 259: precedes the answer of a chat. */
  assistant: 259,
} as const;

/** The names that `decode` shows for the special tokens, indexed by `id - 256`. */
export const SPECIAL_TOKEN_NAMES: readonly string[] = ['<|bos|>', '<|eos|>', '<|user|>', '<|assistant|>'];

/** The number of byte tokens (ids 0–255). */
export const BYTE_TOKENS = 256;

/** The id of the first learned merge: the byte tokens and the special tokens come before it. */
export const FIRST_MERGE_ID = BYTE_TOKENS + SPECIAL_TOKEN_NAMES.length;

/**
 * The default vocabulary size: 256 bytes + 4 special tokens + 345 merges. With the
 * default model width of 128, the embedding (tied with the output layer) is the biggest
 * share of the parameter budget, so the vocabulary is kept this small.
 */
export const DEFAULT_VOCAB_SIZE = 605;

/** The largest vocabulary a tokenizer may have (pair keys must stay exact integers). */
export const MAX_VOCAB_SIZE = 1 << 20;
