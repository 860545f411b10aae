/**
 * Test-only dense reference of the attention layer, in float64 and written from the
 * SPEC formulas with no shared code: every head is computed for every row, then
 * multiplied by its gate (0 for an inactive pair), then W_o. Its gradients come from
 * central differences (float64, so they are accurate to ~1e-9).
 *
 * Shapes: N = B·T rows, d, H, G, D, P as in the package.
 */
import type { AttentionConfig } from '../config.js';

/** Inputs of the reference: any numeric arrays (float32 values are read exactly). */
export interface DenseInputs {
  x: ArrayLike<number>;
  wq: ArrayLike<number>;
  wk: ArrayLike<number>;
  wv: ArrayLike<number>;
  cope?: ArrayLike<number>;
  wo?: ArrayLike<number>;
  /** `(N, H)`: the gates, 0 on inactive pairs. */
  gates: ArrayLike<number>;
}

/** `(rows, cols)` = `x (rows, k)` · `w (k, cols)` in float64. */
function project(x: Float64Array, w: Float64Array, rows: number, k: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += x[r * k + p] * w[p * cols + c];
      out[r * cols + c] = s;
    }
  }
  return out;
}

/** Rotates each D-block of row `r` (position t) by angles t·base^(−2i/D). */
function ropeRows(m: Float64Array, rows: number, blocks: number, D: number, T: number, base: number): void {
  for (let r = 0; r < rows; r++) {
    const t = r % T;
    for (let b = 0; b < blocks; b++) {
      for (let i = 0; i < D / 2; i++) {
        const angle = t * Math.pow(base, (-2 * i) / D);
        const o = r * blocks * D + b * D + 2 * i;
        const x0 = m[o];
        const x1 = m[o + 1];
        m[o] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
        m[o + 1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
      }
    }
  }
}

/** The layer's output `(N, d)` for `batch` sequences of `T` tokens with window `window` in force. */
export function denseAttention(config: AttentionConfig, input: DenseInputs, batch: number, T: number, window: number | null): Float64Array {
  const { modelDim: d, queryHeads: H, kvHeads: G, headDim: D } = config;
  const N = batch * T;
  // One element type throughout keeps this fast enough to be differentiated numerically.
  const x = Float64Array.from(input.x);
  const gates = Float64Array.from(input.gates);
  const q = project(x, Float64Array.from(input.wq), N, d, H * D);
  const k = project(x, Float64Array.from(input.wk), N, d, G * D);
  const v = project(x, Float64Array.from(input.wv), N, d, G * D);
  const table = input.cope === undefined ? new Float64Array(0) : Float64Array.from(input.cope);
  if (config.position.kind === 'rope') {
    ropeRows(q, N, H, D, T, config.position.base);
    ropeRows(k, N, G, D, T, config.position.base);
  }
  const P = config.position.kind === 'cope' ? config.position.maxPositions : 0;
  const concat = new Float64Array(N * H * D);
  const scores = new Float64Array(T);
  const raw = new Float64Array(T);
  const qe = new Float64Array(P);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / (H / G));
      for (let t = 0; t < T; t++) {
        const i = b * T + t;
        const first = window === null ? 0 : Math.max(0, t - window + 1);
        const L = t - first + 1;
        for (let a = 0; a < L; a++) {
          let s = 0;
          for (let c = 0; c < D; c++) s += q[i * H * D + h * D + c] * k[(b * T + first + a) * G * D + g * D + c];
          raw[a] = s;
          scores[a] = s / Math.sqrt(D);
        }
        if (P > 0) {
          for (let p = 0; p < P; p++) {
            let s = 0;
            for (let c = 0; c < D; c++) s += q[i * H * D + h * D + c] * table[h * P * D + p * D + c];
            qe[p] = s;
          }
          for (let a = 0; a < L; a++) {
            let p = 0;
            for (let m = a; m < L; m++) p += 1 / (1 + Math.exp(-raw[m]));
            p = Math.min(p, P - 1);
            const phi = p - Math.floor(p);
            scores[a] += (1 - phi) * qe[Math.floor(p)] + phi * qe[Math.ceil(p)];
          }
        }
        let max = -Infinity;
        for (let a = 0; a < L; a++) max = Math.max(max, scores[a]);
        let z = 0;
        for (let a = 0; a < L; a++) {
          scores[a] = Math.exp(scores[a] - max);
          z += scores[a];
        }
        for (let c = 0; c < D; c++) {
          let o = 0;
          for (let a = 0; a < L; a++) o += (scores[a] / z) * v[(b * T + first + a) * G * D + g * D + c];
          concat[i * H * D + h * D + c] = gates[i * H + h] * o;
        }
      }
    }
  }
  return input.wo === undefined ? concat : project(concat, Float64Array.from(input.wo), N, H * D, d);
}
