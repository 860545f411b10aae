/**
 * What decoding needs from a language model: next-token logits for a growing sequence,
 * and fresh sequences to fork beams into. {@link modelSource} adapts a `@moh/model`
 * {@link Model} through its KV-cache decoder; tests and other models can implement the
 * interface directly.
 */
import { Model } from '@moh/model';
import type { Kernels } from '@moh/tensor';

/** One sequence being decoded: feed it tokens, read the next token's logits. */
export interface DecodingCursor {
  /** Tokens fed so far. */
  readonly length: number;
  /**
   * Appends `tokens` (at least one: a whole prompt at once, or one step) and returns the
   * logits `(V)` of the token that follows them: a view valid until the next call.
   */
  feed(tokens: readonly number[]): Float32Array;
  /** Hands the cursor's resources back; it must not be used afterwards. */
  close(): void;
}

/** A language model seen from decoding. */
export interface DecodingSource {
  /** V, the vocabulary size. */
  readonly vocabSize: number;
  /** The most tokens a sequence may hold (the model's `maxSeqLen`). */
  readonly contextLength: number;
  /** The kernels that turn logits into probabilities and pick the top entries. */
  readonly kernels: Kernels;
  /** A new, empty sequence. */
  open(): DecodingCursor;
}

/** One source per model, so every generation call reuses the same idle decoders. */
const sources = new WeakMap<Model, DecodingSource>();

/**
 * Decodes with `model.decoder(1, maxSeqLen)`: each cursor owns one KV-cache decoder, so a
 * step costs one row per layer. The capacity is always `maxSeqLen`, so the attention
 * window the cache freezes is the same however many tokens are asked for, and a longer
 * generation extends a shorter one. Closed cursors' decoders are reset and reused, and
 * the source is the same object for every call with one model, so however many
 * generations run, at most as many decoders exist as were open at once (beam search:
 * `width`); their KV caches live in the model's workspace.
 */
export function modelSource(model: Model): DecodingSource {
  let source = sources.get(model);
  if (source === undefined) {
    source = createModelSource(model);
    sources.set(model, source);
  }
  return source;
}

function createModelSource(model: Model): DecodingSource {
  const { vocabSize: V, maxSeqLen } = model.config;
  const idle: ReturnType<Model['decoder']>[] = [];
  return {
    vocabSize: V,
    contextLength: maxSeqLen,
    kernels: model.backend,
    open(): DecodingCursor {
      const decoder = idle.pop() ?? model.decoder(1, maxSeqLen);
      let closed = false;
      return {
        get length() {
          return decoder.length;
        },
        feed(tokens) {
          if (closed) throw new Error('this decoding cursor is closed.');
          const n = tokens.length;
          const logits = decoder.append(Int32Array.from(tokens), n);
          return logits.subarray((n - 1) * V, n * V);
        },
        close() {
          if (closed) return;
          closed = true;
          decoder.reset();
          idle.push(decoder);
        },
      };
    },
  };
}

/** `source` itself, or {@link modelSource} of a {@link Model}. */
export function toSource(source: Model | DecodingSource): DecodingSource {
  return source instanceof Model ? modelSource(source) : source;
}
