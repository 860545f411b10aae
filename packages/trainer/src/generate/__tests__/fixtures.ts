/**
 * Test fixtures for decoding: a tiny seeded Mixture-of-Heads model on the reference
 * backend (whose KV-cache logits equal full recomputation bit for bit), and table
 * language models whose next-token distribution depends only on the last token, for
 * hand-built search cases.
 */
import { createModel, resolveConfig, type Model, type ModelConfigInput } from '@moh/model';
import { referenceBackend } from '@moh/tensor';
import type { DecodingCursor, DecodingSource } from '../source.js';

/** V of the tiny model. */
export const VOCAB = 20;
/** maxSeqLen of the tiny model. */
export const CONTEXT = 16;

/** The tiny model of the brief: V 20, d 16, L 2, C 16, H 4, G 2, MoH with 1 shared and 2 routed of 3 heads. */
export function tinyModel(seed = 3, overrides: ModelConfigInput = {}): Model {
  const config = resolveConfig({
    vocabSize: VOCAB,
    modelDim: 16,
    layers: 2,
    maxSeqLen: CONTEXT,
    // Large enough that next-token distributions are far from uniform, so search choices matter.
    initStd: 0.5,
    attention: { queryHeads: 4, kvHeads: 2, headSelection: { kind: 'mixtureOfHeads', sharedHeads: 1, activeRoutedHeads: 2 } },
    ffn: { hiddenDim: 32 },
    ...overrides,
  });
  return createModel(config, { backend: referenceBackend(), seed });
}

/** Logits `argmax_t` of the full forward over `ids`, at the last position. */
export function fullRecomputeArgmax(model: Model, ids: readonly number[]): number {
  const V = model.config.vocabSize;
  model.forward(Int32Array.from(ids), null, 1, ids.length);
  const row = model.logits.subarray((ids.length - 1) * V, ids.length * V);
  let best = 0;
  for (let t = 1; t < V; t++) if (row[t] > row[best]) best = t;
  return best;
}

/**
 * A language model given by a table: `next[last token]` is the next-token distribution
 * (tokens missing from a row get probability ~0). Counts how many cursors were opened.
 */
export function tableSource(vocabSize: number, next: Record<number, Record<number, number>>): DecodingSource & { opened: number } {
  const logitsAfter = (last: number): Float32Array => {
    const row = new Float32Array(vocabSize).fill(-40);
    for (const [token, p] of Object.entries(next[last] ?? {})) row[Number(token)] = Math.log(p);
    return row;
  };
  const source = {
    vocabSize,
    contextLength: 32,
    kernels: referenceBackend(),
    opened: 0,
    open(): DecodingCursor {
      source.opened++;
      let length = 0;
      return {
        get length() {
          return length;
        },
        feed(tokens) {
          length += tokens.length;
          return logitsAfter(tokens[tokens.length - 1]);
        },
        close() {
          length = 0;
        },
      };
    },
  };
  return source;
}
