/**
 * Incremental decoding with a KV cache per layer: feed a prompt, then one token (or a
 * few) at a time; each step computes only the new rows.
 *
 * Exactness: every layer of the model is row-wise (embedding, norms, FFN, router, LM
 * head) except attention, whose cache runs the same per-row pipeline as its full
 * forward with the window frozen at the cache's capacity. On the reference backend,
 * whose products accumulate each output element in the same order whatever the number
 * of rows, the logits of a decoded token are therefore bit-identical to the same row
 * of a full forward over the sequence of `capacity` tokens (tested). Backends whose
 * products block differently by row count may differ in the last bits.
 *
 * Shapes: B sequences, C capacity, n new tokens per sequence per step, d model width,
 * V vocabulary. Decoding overwrites the activations a backward pass would need: call
 * `Model.forward` again before `Model.backward`.
 */
import type { AttentionCache } from '@moh/attention';
import type { Model } from './model.js';

/** A decoding session over B sequences of up to `capacity` tokens. */
export class Decoder {
  /** The model being decoded. */
  readonly model: Model;
  /** Sequences B. */
  readonly batch: number;
  /** Tokens per sequence the session can hold. */
  readonly capacity: number;
  private readonly caches: AttentionCache[];
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private logitsBuffer: Float32Array = new Float32Array(0);

  /** Prefer {@link Model.decoder}. */
  constructor(model: Model, batch: number, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > model.config.maxSeqLen) {
      throw new RangeError(`capacity must be an integer in 1..${model.config.maxSeqLen} (maxSeqLen), got ${capacity}.`);
    }
    this.model = model;
    this.batch = batch;
    this.capacity = capacity;
    this.caches = model.blocks.map((block) => block.parts.attention.createCache(batch, capacity));
  }

  /** Tokens decoded so far per sequence. */
  get length(): number {
    return this.caches[0].length;
  }

  /**
   * Appends `n` tokens to every sequence, `ids (B·n)` sequence-major (row `b·n + i`), and
   * returns their logits `(B·n, V)`: a buffer owned by the decoder, valid until the next
   * call.
   */
  append(ids: Int32Array, n: number): Float32Array {
    const { model, batch } = this;
    const { modelDim: d, vocabSize: V } = model.config;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}.`);
    if (this.length + n > this.capacity) {
      throw new RangeError(`${this.length} + ${n} tokens exceed the decoder's capacity of ${this.capacity}.`);
    }
    const rows = batch * n;
    if (ids.length !== rows) throw new RangeError(`ids must hold batch·n = ${rows} tokens, got ${ids.length}.`);
    for (let i = 0; i < rows; i++) {
      if (!(ids[i] >= 0 && ids[i] < V)) throw new RangeError(`Token id ${ids[i]} at position ${i} is outside the vocabulary of ${V}.`);
    }
    this.x = model.workspace.ensure(this.x, rows * d);
    model.parts.embedding.forward(this.x, ids, rows, n, this.length);
    let x = this.x;
    model.blocks.forEach((block, i) => {
      x = block.forwardCached(x, this.caches[i], n);
    });
    const finalNorm = model.parts.finalNorm;
    if (finalNorm !== null) {
      this.y = model.workspace.ensure(this.y, rows * d);
      finalNorm.forward(this.y, x, rows);
      x = this.y;
    }
    this.logitsBuffer = model.workspace.ensure(this.logitsBuffer, rows * V);
    model.parts.head.forward(this.logitsBuffer, x, rows);
    return this.logitsBuffer;
  }

  /** Forgets every decoded token. */
  reset(): void {
    for (const cache of this.caches) cache.reset();
  }

  /** Returns the session's caches and buffers to the model's workspace; the decoder is unusable afterwards. */
  free(): void {
    for (const cache of this.caches) cache.free();
    for (const buffer of [this.x, this.y, this.logitsBuffer]) this.model.workspace.release(buffer);
  }
}
