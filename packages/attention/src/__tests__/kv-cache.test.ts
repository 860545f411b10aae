/**
 * KV-cache decode equals the full forward bit for bit: the cache runs the same kernels
 * on the same rows in the same order, with the window frozen at creation.
 */
import type { HeadRouting } from '@moh/head-router';
import { availableBackends } from '@moh/tensor';
import { seededValues } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { Attention } from '../attention.js';
import { transposedStride } from '../head-block.js';
import type { AdaptiveWindow, PositionEncoding } from '../config.js';
import { makeParams, randomRouting, sliceRouting, sliceRows, tinyConfig } from './fixtures.js';

const B = 2;
const T = 7;
const H = 4;
const cases: { position: PositionEncoding; window: number | null; adaptiveWindow: AdaptiveWindow; wo: boolean; kvHeads: number }[] = [
  { position: { kind: 'none' }, window: null, adaptiveWindow: { kind: 'fixed' }, wo: false, kvHeads: 4 },
  { position: { kind: 'rope', base: 10000 }, window: 3, adaptiveWindow: { kind: 'fixed' }, wo: true, kvHeads: 2 },
  { position: { kind: 'cope', maxPositions: 5 }, window: null, adaptiveWindow: { kind: 'fixed' }, wo: true, kvHeads: 1 },
  { position: { kind: 'cope', maxPositions: 5 }, window: 3, adaptiveWindow: { kind: 'sequenceLength', min: 2, max: 5 }, wo: false, kvHeads: 2 },
  { position: { kind: 'rope', base: 10000 }, window: 3, adaptiveWindow: { kind: 'attentionEntropy', min: 2, max: 6, momentum: 0.5 }, wo: true, kvHeads: 4 },
];

describe.each(availableBackends().map((b) => [b.label, b] as const))('KV cache (%s backend)', (_name, backend) => {
  it.each(cases)('$position.kind, window $window ($adaptiveWindow.kind), W_o $wo, G $kvHeads', ({ position, window, adaptiveWindow, wo, kvHeads }) => {
    const config = tinyConfig({ position, window, adaptiveWindow, outputProjection: wo, kvHeads });
    const { params, grads } = makeParams(config, 7);
    const layer = new Attention(config, params, grads, backend);
    layer.entropyAverage = 0.6;
    const x = seededValues(5, B * T * 16);
    const routing = randomRouting(3, B * T, H, 0.6);
    const cache = layer.createCache(B, T); // before the forward, which moves Ĥ
    const full = Float32Array.from(layer.forward(x, B, T, routing));
    expect(cache.window).toBe(layer.windowInForce);
    let start = 0;
    for (const n of [3, 1, 1, 2]) {
      const out = cache.append(sliceRows(x, B, T, 16, start, n), n, sliceRouting(routing, B, T, start, n));
      expect(Array.from(out)).toEqual(Array.from(sliceRows(full, B, T, 16, start, n)));
      start += n;
    }
    expect(cache.length).toBe(T);
    expect(() => cache.append(sliceRows(x, B, T, 16, 0, 1), 1, sliceRouting(routing, B, T, 0, 1))).toThrow(/capacity/);
  });

  // 64 tokens a sequence: the transposed keys' stride is padded (B·C = 64 → 80, 128 → 144),
  // and the 40-token chunk spans several blocks per head. With one sequence, a decode
  // step is a one-row pass, whose queries are projected a run of heads at a time: its
  // rows go through every subset of the heads.
  it.each([
    { position: { kind: 'rope', base: 10000 } as PositionEncoding, window: 20, kvHeads: 2, batch: 2 },
    { position: { kind: 'rope', base: 10000 } as PositionEncoding, window: 20, kvHeads: 2, batch: 1 },
    { position: { kind: 'cope', maxPositions: 9 } as PositionEncoding, window: null, kvHeads: 1, batch: 1 },
    { position: { kind: 'none' } as PositionEncoding, window: null, kvHeads: 4, batch: 1 },
  ])('long sequences, padded key stride: $position.kind, window $window, G $kvHeads, B $batch', ({ position, window, kvHeads, batch }) => {
    const long = 64;
    const config = tinyConfig({ position, window, kvHeads, outputProjection: true });
    const { params, grads } = makeParams(config, 11);
    const layer = new Attention(config, params, grads, backend);
    const x = seededValues(6, batch * long * 16);
    const routing = everyHeadSubset(batch * long);
    const cache = layer.createCache(batch, long);
    const full = Float32Array.from(layer.forward(x, batch, long, routing));
    let start = 0;
    for (const n of [40, ...new Array<number>(24).fill(1)]) {
      const out = cache.append(sliceRows(x, batch, long, 16, start, n), n, sliceRouting(routing, batch, long, start, n));
      expect(Array.from(out)).toEqual(Array.from(sliceRows(full, batch, long, 16, start, n)));
      start += n;
    }
  });

  it('a shorter full recompute with the cache window matches the decoded prefix (adaptive windows)', () => {
    const config = tinyConfig({ window: 3, adaptiveWindow: { kind: 'sequenceLength', min: 2, max: 6 }, position: { kind: 'rope', base: 10000 } });
    const { params, grads } = makeParams(config, 7);
    const layer = new Attention(config, params, grads, backend);
    const x = seededValues(5, B * T * 16);
    const routing = randomRouting(3, B * T, H, 0.6);
    const cache = layer.createCache(B, T);
    const decoded = cache.append(x, T, routing);
    const n = 4; // ⌊4/2⌋ = 2 would be the strategy's window; the cache's is ⌊7/2⌋ = 3
    const prefix = layer.forward(sliceRows(x, B, T, 16, 0, n), B, n, sliceRouting(routing, B, T, 0, n), { window: cache.window });
    expect(Array.from(prefix)).toEqual(Array.from(sliceRows(decoded, B, T, 16, 0, n)));
  });
});

/** Row `r` runs the heads of the bits of `r mod 2^H`: every subset of heads, none included. */
function everyHeadSubset(rows: number): HeadRouting {
  const gates = new Float32Array(rows * H);
  const active: number[][] = Array.from({ length: H }, () => []);
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < H; h++) {
      if (((r >> h) & 1) === 0) continue;
      gates[r * H + h] = 0.3 + 0.2 * h + 0.05 * (r % 7);
      active[h].push(r);
    }
  }
  return { heads: H, rows, gates, activeRows: active.map((a) => Int32Array.from(a)) };
}

describe('transposedStride', () => {
  it('holds every key row and is an odd number of 64-byte lines', () => {
    for (const rows of [1, 7, 16, 128, 144, 512, 1000, 8192]) {
      const ld = transposedStride(rows);
      expect(ld).toBeGreaterThanOrEqual(rows);
      expect(ld - rows).toBeLessThan(32);
      expect((ld / 16) % 2).toBe(1);
    }
  });
});
