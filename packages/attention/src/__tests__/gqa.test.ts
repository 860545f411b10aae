/**
 * GQA: every KV group's gradient is the sum of the contributions of the query heads
 * that read it, and no other head touches it.
 */
import type { HeadRouting } from '@moh/head-router';
import { referenceBackend } from '@moh/tensor';
import { expectClose, seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { Attention } from '../attention.js';
import { makeParams, randomRouting, tinyConfig } from './fixtures.js';

const B = 2;
const T = 7;
const H = 4;
const N = B * T;
const D = 4;

/** `routing` with only head `h` kept. */
function onlyHead(routing: HeadRouting, h: number): HeadRouting {
  return {
    ...routing,
    gates: routing.gates.map((g, i) => (i % H === h ? g : 0)),
    activeRows: routing.activeRows.map((rows, k) => (k === h ? rows : new Int32Array(0))),
  };
}

describe('GQA gradients', () => {
  it.each([2, 1])('G = %i: dW_k and dW_v of each group sum over its query heads', (G) => {
    const config = tinyConfig({ kvHeads: G, position: { kind: 'rope', base: 10000 }, outputProjection: true });
    const routing = randomRouting(6, N, H, 0.7);
    const x = seededValues(2, N * 16);
    const dY = seededValues(3, N * 16);
    const gradsFor = (r: HeadRouting): { wk: Float32Array; wv: Float32Array } => {
      const { params, grads } = makeParams(config, 1);
      const layer = new Attention(config, params, grads, referenceBackend());
      layer.forward(x, B, T, r);
      layer.backward(dY);
      return { wk: grads.wk, wv: grads.wv };
    };
    const full = gradsFor(routing);
    const perHead = Array.from({ length: H }, (_, h) => gradsFor(onlyHead(routing, h)));
    const ratio = H / G;
    const kv = G * D;
    for (const name of ['wk', 'wv'] as const) {
      const sum = new Float64Array(16 * kv);
      for (let h = 0; h < H; h++) {
        const g = Math.floor(h / ratio);
        for (let r = 0; r < 16; r++) {
          for (let c = 0; c < kv; c++) {
            const v = perHead[h][name][r * kv + c];
            // A head only ever writes its own group's columns.
            if (c < g * D || c >= (g + 1) * D) expect(v).toBe(0);
            sum[r * kv + c] += v;
          }
        }
        // ...and it does contribute there.
        expect(perHead[h][name].some((v) => v !== 0)).toBe(true);
      }
      expectClose(full[name], sum, { atol: 1e-6, rtol: 1e-5 }, `d${name}`);
    }
  });
});
