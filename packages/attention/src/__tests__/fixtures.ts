/**
 * Test fixtures: tiny layer configs, seeded parameters and synthetic routings (the
 * router is another package's; attention only consumes its `HeadRouting`).
 */
import type { HeadRouting } from '@moh/head-router';
import { seededValues, testRandom } from '@moh/test-utils';
import type { AdaptiveWindow, AttentionConfig, PositionEncoding } from '../config.js';
import { attentionParamShapes, type AttentionParams } from '../params.js';

/** Options of the tiny test layer (d 16, H 4, D 4 unless overridden). */
export interface TinyOptions {
  kvHeads?: number;
  position?: PositionEncoding;
  window?: number | null;
  adaptiveWindow?: AdaptiveWindow;
  outputProjection?: boolean;
  queryHeads?: number;
  headDim?: number;
  modelDim?: number;
}

export function tinyConfig(o: TinyOptions = {}): AttentionConfig {
  return {
    modelDim: o.modelDim ?? 16,
    queryHeads: o.queryHeads ?? 4,
    kvHeads: o.kvHeads ?? 4,
    headDim: o.headDim ?? 4,
    position: o.position ?? { kind: 'none' },
    window: o.window ?? null,
    adaptiveWindow: o.adaptiveWindow ?? { kind: 'fixed' },
    outputProjection: o.outputProjection ?? false,
    headSelection: { kind: 'allHeads' },
  };
}

/** Seeded parameters of moderate size (scores of order 1) and zeroed gradients. */
export function makeParams(config: AttentionConfig, seed: number): { params: AttentionParams; grads: AttentionParams } {
  const params: Record<string, Float32Array> = {};
  const grads: Record<string, Float32Array> = {};
  let s = seed;
  for (const { name, shape } of attentionParamShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    params[name] = seededValues(s++, n, name === 'cope' ? 0.8 : 0.5);
    grads[name] = new Float32Array(n);
  }
  return { params: params as unknown as AttentionParams, grads: grads as unknown as AttentionParams };
}

/** Every head active on every row with gate 1 (or the given gates). */
export function allActive(rows: number, heads: number, gates?: Float32Array): HeadRouting {
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  return { heads, rows, gates: gates ?? new Float32Array(rows * heads).fill(1), activeRows: Array.from({ length: heads }, () => all) };
}

/** Each (row, head) active with probability `density`, gates uniform in [0.3, 1.5) on active pairs. */
export function randomRouting(seed: number, rows: number, heads: number, density = 0.5): HeadRouting {
  const next = testRandom(seed);
  const gates = new Float32Array(rows * heads);
  const active: number[][] = Array.from({ length: heads }, () => []);
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < heads; h++) {
      if (next() < density) {
        gates[r * heads + h] = 0.3 + 1.2 * next();
        active[h].push(r);
      }
    }
  }
  return { heads, rows, gates, activeRows: active.map((a) => Int32Array.from(a)) };
}

/** The routing of rows `[start, start+n)` of every sequence (T rows each) of `full`, renumbered `b·n + i`. */
export function sliceRouting(full: HeadRouting, batch: number, T: number, start: number, n: number): HeadRouting {
  const H = full.heads;
  const gates = new Float32Array(batch * n * H);
  const active: number[][] = Array.from({ length: H }, () => []);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      const row = b * T + start + i;
      for (let h = 0; h < H; h++) gates[(b * n + i) * H + h] = full.gates[row * H + h];
    }
  }
  for (let h = 0; h < H; h++) {
    for (const row of full.activeRows[h]) {
      const b = Math.floor(row / T);
      const t = row - b * T;
      if (t >= start && t < start + n) active[h].push(b * n + t - start);
    }
    active[h].sort((a, z) => a - z);
  }
  return { heads: H, rows: batch * n, gates, activeRows: active.map((a) => Int32Array.from(a)) };
}

/** Rows `[start, start+n)` of every sequence of `x` (`(B·T, cols)`), as `(B·n, cols)`. */
export function sliceRows(x: Float32Array, batch: number, T: number, cols: number, start: number, n: number): Float32Array {
  const out = new Float32Array(batch * n * cols);
  for (let b = 0; b < batch; b++) out.set(x.subarray((b * T + start) * cols, (b * T + start + n) * cols), b * n * cols);
  return out;
}
