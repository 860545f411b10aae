/**
 * A KV cache for incremental decoding: keys (rotated with RoPE) and values of every
 * token so far, per sequence, so that each new token costs one row of attention per
 * active head.
 *
 * Shapes: B sequences, C capacity (tokens per sequence), n new tokens per sequence in
 * an append, d model width, H query heads, G KV heads, D head width.
 *
 * Exactness: an append runs the same pipeline as the full forward (the same kernels on
 * the same rows, the same per-row code, the same order of heads), with the window frozen
 * when the cache is made. A new row's output is therefore bit-identical to that row of
 * a full forward over the whole sequence with that window, provided the backend's
 * products give each output row the same arithmetic whatever other rows share the call
 * (true of the reference backend, whose products accumulate each element in order).
 * The scores read a transposed copy of the keys with `matmul` where the full forward
 * reads the keys with `matmulNT`; both sum each score in the order of D, so that too
 * gives the same bits.
 *
 * Memory: `2·B·C·G·D` floats of keys and values, plus `G·D·ld` for the transposed keys,
 * `ld` being `B·C` padded by at most 31 (see `transposedStride`).
 *
 * @packageDocumentation
 */
import type { HeadRouting } from '@moh/head-router';
import { emptyStash, releaseStash, type HeadStash } from './blocks.js';
import type { AttentionCore } from './core.js';
import { transposedStride, type TransposedKeys } from './head-block.js';
import { checkRouting } from './routing-check.js';

/** Cached keys and values of B sequences; made by `Attention.createCache`. */
export class AttentionCache {
  /** `(B·C, G·D)`: rotated keys and values, sequence `b` in rows `b·C … b·C+C−1`. */
  private readonly keys: Float32Array;
  private readonly values: Float32Array;
  /**
   * `(G·D, ld)`: the keys transposed, cache row `j` in column `j`, written as tokens are
   * appended. A decode step's scores then need no per-call transpose of the key panel.
   */
  private readonly keysT: TransposedKeys;
  private filled = 0;
  private chunkRows = 0;
  /**
   * `(B·n, H·D)` per-append query scratch and gated outputs, compact queries and head
   * outputs (see core.ts); `(B·n, d)` output.
   */
  private q: Float32Array = new Float32Array(0);
  private qc: Float32Array = new Float32Array(0);
  private o: Float32Array = new Float32Array(0);
  private gated: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private readonly stashes: HeadStash[];

  /** @internal Use `Attention.createCache`. */
  constructor(
    private readonly core: AttentionCore,
    /** Sequences B. */
    readonly batch: number,
    /** Tokens per sequence the cache can hold. */
    readonly capacity: number,
    /** The window in force for every append (null: full causal attention). */
    readonly window: number | null,
  ) {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`cache: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`cache: capacity must be a positive integer, got ${capacity}`);
    const kv = core.G * core.D;
    this.keys = core.workspace.float32(batch * capacity * kv);
    this.values = core.workspace.float32(batch * capacity * kv);
    const ld = transposedStride(batch * capacity);
    this.keysT = { data: core.workspace.float32(kv * ld), ld };
    this.stashes = Array.from({ length: core.H }, emptyStash);
  }

  /** Tokens cached per sequence. */
  get length(): number {
    return this.filled;
  }

  /**
   * Appends `n` tokens to every sequence and returns their attention outputs (what
   * the full forward gives for those rows).
   *
   * @param x - `(B·n, d)`: the new tokens' inputs, sequence-major (row `b·n + i`).
   * @param routing - Routing of those `B·n` rows.
   * @returns `(B·n, d)`, valid until the next append.
   */
  append(x: Float32Array, n: number, routing: HeadRouting): Float32Array {
    const core = this.core;
    const rows = this.batch * n;
    if (!Number.isInteger(n) || n < 1) throw new Error(`append: n must be a positive integer, got ${n}`);
    if (this.filled + n > this.capacity) {
      throw new Error(`append: ${this.filled} + ${n} tokens exceed the capacity of ${this.capacity}`);
    }
    if (x.length !== rows * core.d) throw new Error(`append: x must have ${rows * core.d} elements, got ${x.length}`);
    checkRouting(routing, core.H, rows);
    if (rows !== this.chunkRows) {
      const hd = core.H * core.D;
      const w = core.workspace;
      this.chunkRows = rows;
      this.q = w.ensure(this.q, rows * hd);
      this.qc = w.ensure(this.qc, rows * hd);
      this.o = w.ensure(this.o, rows * hd);
      this.gated = w.ensure(this.gated, core.config.outputProjection ? rows * hd : 0);
      this.y = w.ensure(this.y, rows * core.d);
    }
    const kv = core.G * core.D;
    for (let b = 0; b < this.batch; b++) {
      const row = b * this.capacity + this.filled;
      core.projectKeysValues(x, b * n, n, this.keys, this.values, row, this.filled);
      toColumns(this.keysT.data, this.keysT.ld, this.keys, row, n, kv);
    }
    const layout = { rowsPerSeq: n, startPos: this.filled, kvRowsPerSeq: this.capacity };
    core.forwardHeads(x, routing, layout, this.window, this.keys, this.keysT, this.values, this.q, this.qc, this.o, this.gated, this.y, this.stashes);
    this.filled += n;
    return this.y;
  }

  /** Forgets every cached token (the window stays). */
  reset(): void {
    this.filled = 0;
  }

  /** Returns the cache's buffers to the layer's workspace; the cache is unusable afterwards. */
  free(): void {
    const w = this.core.workspace;
    for (const buffer of [this.keys, this.values, this.keysT.data, this.q, this.qc, this.o, this.gated, this.y]) w.release(buffer);
    for (const stash of this.stashes) releaseStash(stash, w);
    this.filled = this.capacity;
  }
}

/** `dst[c·ld + row] = src[row·cols + c]` for rows `first … first+count−1`: new keys into the transposed copy. */
function toColumns(dst: Float32Array, ld: number, src: Float32Array, first: number, count: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    const to = c * ld + first;
    let from = first * cols + c;
    for (let i = 0; i < count; i++, from += cols) dst[to + i] = src[from];
  }
}
