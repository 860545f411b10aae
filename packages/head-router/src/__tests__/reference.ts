/**
 * A float64 reimplementation of the Mixture-of-Heads router forward, written from the
 * SPEC §4 table without the library's code, for the specs to compare against.
 *
 * Shapes: N rows, d width, hs shared, hr routed heads, k selected. `x (N, d)`,
 * `ws (hs, d)`, `wr (hr, d)`, `wh (2, d)`; returns `gates (N, hs + hr)`.
 */
import type { Gating } from '../config.js';

function softmaxScores(x: ArrayLike<number>, w: ArrayLike<number>, t: number, d: number, n: number): number[] {
  const z: number[] = [];
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let c = 0; c < d; c++) v += x[t * d + c] * w[j * d + c];
    z.push(v);
  }
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** The routed heads of one row: the k largest r, ties to the lower index. */
export function referenceTopK(r: readonly number[], k: number): number[] {
  return r
    .map((v, j) => [v, j] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, j]) => j);
}

/** The gates of every row by the SPEC table, in float64. */
export function referenceGates(
  x: ArrayLike<number>,
  ws: ArrayLike<number>,
  wr: ArrayLike<number>,
  wh: ArrayLike<number>,
  gating: Gating,
  rows: number,
  d: number,
  hs: number,
  hr: number,
  k: number,
): Float64Array {
  const H = hs + hr;
  const gates = new Float64Array(rows * H);
  for (let t = 0; t < rows; t++) {
    const s = hs > 0 ? softmaxScores(x, ws, t, d, hs) : [];
    const r = softmaxScores(x, wr, t, d, hr);
    const [a1, a2] = softmaxScores(x, wh, t, d, 2);
    const chosen = referenceTopK(r, k);
    const mass = chosen.reduce((acc, j) => acc + r[j], 0);
    for (let i = 0; i < hs; i++) {
      gates[t * H + i] = gating === 'paper' ? a1 * s[i] : gating === 'scaled' ? 2 * a1 * hs * s[i] : 1;
    }
    for (const j of chosen) {
      gates[t * H + hs + j] = gating === 'paper' ? a2 * r[j] : gating === 'scaled' ? (2 * a2 * k * r[j]) / mass : 1;
    }
  }
  return gates;
}
