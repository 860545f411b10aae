/**
 * A byte-level BPE tokenizer. Text is encoded as UTF-8, split into chunks (see
 * `pretokenize.ts`), and each chunk's bytes are merged by the learned merges, lowest rank
 * first. Because the 256 byte values are tokens of their own, every string can be
 * encoded and `decode(encode(s)) === s` for every well-formed string.
 */
import { splitChunks } from './pretokenize.js';
import {
  BYTE_TOKENS, DEFAULT_VOCAB_SIZE, FIRST_MERGE_ID, MAX_VOCAB_SIZE, SPECIAL_TOKEN_NAMES,
} from './special-tokens.js';
import { learnMerges, mergePair } from './train-bpe.js';
import { parseTokenizerJson, TOKENIZER_FORMAT, TOKENIZER_VERSION } from './tokenizer-json.js';
import type { TokenizerJson } from './tokenizer-json.js';

/** Options of {@link trainTokenizer}. */
export interface TokenizerTrainOptions {
  /**
   * The vocabulary size to aim for: 256 bytes + 4 special tokens + the merges. Training
   * stops early (with a smaller vocabulary) when no pair of tokens is frequent enough.
   * Defaults to {@link DEFAULT_VOCAB_SIZE} (605).
   */
  readonly vocabSize?: number;
  /** The fewest occurrences a pair needs to be merged. Defaults to `2`. */
  readonly minPairCount?: number;
}

/** Options of {@link Tokenizer.decode}. */
export interface DecodeOptions {
  /** Leave special tokens out of the text instead of showing their names. Defaults to `false`. */
  readonly skipSpecialTokens?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** Chunk encodings are cached up to this many entries; the cache is cleared when full. */
const CACHE_LIMIT = 65536;

/**
 * A trained byte-level BPE tokenizer. Make one with {@link trainTokenizer} or
 * {@link Tokenizer.fromJSON}.
 *
 * Ids: 0–255 are bytes, 256–259 the special tokens of {@link SPECIAL_TOKENS}, and from
 * 260 on the merges in the order they were learned.
 *
 * @example
 * ```ts
 * import { trainTokenizer } from '@moh/trainer';
 * const tokenizer = trainTokenizer(['the cat sat on the mat', 'the cat ate'], { vocabSize: 270 });
 * const ids = tokenizer.encode('the cat');
 * console.log(ids.length, tokenizer.decode(ids)); // fewer ids than bytes; 'the cat'
 * ```
 */
export class Tokenizer {
  /** The number of ids: 260 plus the number of merges. Ids run from 0 to `vocabSize - 1`. */
  readonly vocabSize: number;
  private readonly merges: readonly (readonly [number, number])[];
  private readonly ranks = new Map<number, number>();
  private readonly bytesOf: Uint8Array[] = [];
  private readonly cache = new Map<string, readonly number[]>();

  /** A tokenizer with the given merges; merge `i` makes id `260 + i`. Prefer {@link trainTokenizer}. */
  constructor(merges: readonly (readonly [number, number])[]) {
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.vocabSize = FIRST_MERGE_ID + merges.length;
    for (let b = 0; b < BYTE_TOKENS; b++) this.bytesOf.push(Uint8Array.of(b));
    for (const name of SPECIAL_TOKEN_NAMES) this.bytesOf.push(encoder.encode(name));
    merges.forEach(([a, b], i) => {
      const id = FIRST_MERGE_ID + i;
      if (!(isMergeable(a, id) && isMergeable(b, id))) {
        throw new RangeError(`Merge ${i} (${a}, ${b}) must join bytes or earlier merges (ids below ${id}, not 256–259).`);
      }
      this.ranks.set(pairKey(a, b), i);
      const left = this.bytesOf[a];
      const joined = new Uint8Array(left.length + this.bytesOf[b].length);
      joined.set(left);
      joined.set(this.bytesOf[b], left.length);
      this.bytesOf.push(joined);
    });
  }

  /**
   * The token ids of `text`. Lone surrogates (which are not valid UTF-16) are encoded as
   * U+FFFD, as `TextEncoder` does, so they decode to U+FFFD. Never yields a special token.
   */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const chunk of splitChunks(text)) {
      let cached = this.cache.get(chunk);
      if (cached === undefined) {
        cached = this.encodeChunk(encoder.encode(chunk));
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(chunk, cached);
      }
      for (const id of cached) ids.push(id);
    }
    return ids;
  }

  /**
   * The text of `ids`. Special tokens show as their names (`<|eos|>` and so on) unless
   * `skipSpecialTokens` is set. Byte sequences that are not valid UTF-8 (possible when
   * the ids come from a model rather than from {@link Tokenizer.encode}) become U+FFFD.
   * Throws a `RangeError` for an id outside the vocabulary.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let text = '';
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length > 0) text += decoder.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`Token id ${id} at position ${i} is outside the vocabulary [0, ${this.vocabSize}).`);
      }
      if (id >= BYTE_TOKENS && id < FIRST_MERGE_ID) {
        flush();
        if (options.skipSpecialTokens !== true) text += SPECIAL_TOKEN_NAMES[id - BYTE_TOKENS];
      } else {
        for (const b of this.bytesOf[id]) bytes.push(b);
      }
    }
    flush();
    return text;
  }

  /** The bytes a token stands for (a special token's name in UTF-8). */
  tokenBytes(id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`Token id ${id} is outside the vocabulary [0, ${this.vocabSize}).`);
    }
    return this.bytesOf[id].slice();
  }

  /** The tokenizer as plain JSON data, to save with a checkpoint. */
  toJSON(): TokenizerJson {
    return {
      format: TOKENIZER_FORMAT,
      version: TOKENIZER_VERSION,
      vocabSize: this.vocabSize,
      specialTokens: [...SPECIAL_TOKEN_NAMES],
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }

  /**
   * A tokenizer from data made by {@link Tokenizer.toJSON}, or from its JSON text.
   * Throws a `DataError` (code `format`) when the data is corrupt or of another format
   * or version.
   */
  static fromJSON(data: unknown): Tokenizer {
    return new Tokenizer(parseTokenizerJson(data));
  }

  private encodeChunk(bytes: Uint8Array): number[] {
    let seq = Array.from(bytes);
    for (;;) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < seq.length; i++) {
        const rank = this.ranks.get(pairKey(seq[i], seq[i + 1]));
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Infinity) return seq;
      const [a, b] = this.merges[bestRank];
      seq = mergePair(seq, a, b, FIRST_MERGE_ID + bestRank);
    }
  }
}

/**
 * Trains a byte-level BPE tokenizer on `texts`. The texts are split into chunks and the
 * unique chunks counted, so training on a few hundred KB takes well under a second.
 * The same texts and options always give the same tokenizer.
 */
export function trainTokenizer(texts: Iterable<string>, options: TokenizerTrainOptions = {}): Tokenizer {
  const vocabSize = options.vocabSize ?? DEFAULT_VOCAB_SIZE;
  const minPairCount = options.minPairCount ?? 2;
  if (!Number.isInteger(vocabSize) || vocabSize < FIRST_MERGE_ID || vocabSize > MAX_VOCAB_SIZE) {
    throw new RangeError(`vocabSize must be an integer in [${FIRST_MERGE_ID}, ${MAX_VOCAB_SIZE}], got ${vocabSize}.`);
  }
  if (!Number.isInteger(minPairCount) || minPairCount < 1) {
    throw new RangeError(`minPairCount must be a positive integer, got ${minPairCount}.`);
  }
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const chunk of splitChunks(text)) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
  }
  // Sorted so the merges do not depend on the order of the texts, only on their content.
  const chunks = [...counts.keys()].sort();
  const words = chunks.map((c) => Array.from(encoder.encode(c)));
  const merges = learnMerges(words, chunks.map((c) => counts.get(c) as number), FIRST_MERGE_ID,
    vocabSize - FIRST_MERGE_ID, minPairCount);
  return new Tokenizer(merges);
}

function isMergeable(id: number, below: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < below && (id < BYTE_TOKENS || id >= FIRST_MERGE_ID);
}

function pairKey(a: number, b: number): number {
  return a * MAX_VOCAB_SIZE + b;
}
