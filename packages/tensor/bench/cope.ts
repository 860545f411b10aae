/**
 * Attention-side cases for bench/ops.ts: the CoPE kernels and the banded softmax on the
 * last block of a T = 512 sequence (32 query rows, 512 keys, rows seeing 481 … 512 of
 * them; P = 64 table entries as in the seed config, of which the width that the gates
 * return are used). In-place kernels restore their input inside the timed call (about
 * 0.2 ns per element). Figures are per element of the (32, 512) rectangle.
 */
import type { Backend, Rng, Storage } from '../src/index.js';
import { assertClose, fillUniform } from './harness.js';

const ROWS = 32;
const COLS = 512;
const POSITIONS = 64;
const SCALE = 0.25; // 1/√16, head dim 16

/** A measured op (the shape bench/ops.ts times). */
export interface OpCase {
  readonly op: string;
  readonly rows: number;
  readonly cols: number;
  /** Prepares buffers, returns the call and its float64 check. */
  prepare(backend: Backend, rng: Rng): { call: () => void; check: () => void; storages: Storage<Float32Array | Int32Array>[] };
}

/** Float64 CoPE of the block (see src/__tests__/cope.test.ts): gates, biased scores, and the gradients for `g`. */
function cope64(x: Float32Array, qe: Float32Array, g: Float32Array, lo: Int32Array, hi: Int32Array, width: number) {
  const last = POSITIONS - 1;
  const z: number[] = [];
  const used: boolean[] = [];
  const scores = new Float64Array(ROWS * COLS);
  const dx = new Float64Array(ROWS * COLS);
  const dqe = new Float64Array(ROWS * width);
  let top = 0;
  for (let r = 0; r < ROWS; r++) {
    const n = hi[r] - lo[r];
    const band = Array.from({ length: n }, (_, j) => 1 / (1 + Math.exp(-x[r * COLS + lo[r] + j])));
    const pos = new Float64Array(n);
    for (let j = n - 1, acc = 0; j >= 0; j--) pos[j] = acc += band[j];
    if (n > 0) top = Math.max(top, Math.min(last, Math.ceil(pos[0])));
    let gatePath = 0;
    for (let j = 0; j < n; j++) {
      const k = r * COLS + lo[r] + j;
      const p = Math.min(pos[j], last);
      const [a, b, phi] = [Math.floor(p), Math.ceil(p), p - Math.floor(p)];
      scores[k] = SCALE * x[k] + (1 - phi) * qe[r * width + a] + phi * qe[r * width + b];
      dqe[r * width + a] += g[k] * (1 - phi);
      dqe[r * width + b] += g[k] * phi;
      if (pos[j] <= last) gatePath += g[k] * (qe[r * width + b] - qe[r * width + a]);
      dx[k] = SCALE * g[k] + band[j] * (1 - band[j]) * gatePath;
    }
    z.push(...band);
    // Gates of keys already clamped by the keys after them are never read (any finite value).
    used.push(...band.map((zj, j) => pos[j] - zj < last - 1e-9));
  }
  return { z, used, width: top + 1, scores, dx, dqe };
}

/** The block's bands, raw scores, gates, `q·E` and a score gradient, resident in `backend`. */
function block(backend: Backend, rng: Rng) {
  const lo = backend.allocInt32(ROWS);
  const hi = backend.allocInt32(ROWS);
  for (let r = 0; r < ROWS; r++) hi.data[r] = COLS - ROWS + 1 + r;
  let packed = 0;
  for (let r = 0; r < ROWS; r++) packed += hi.data[r];
  const [x, g, z, qe] = [ROWS * COLS, ROWS * COLS, packed, ROWS * POSITIONS].map((n) => backend.allocFloat32(n));
  fillUniform(x.data, rng, 3);
  fillUniform(g.data, rng, 0.01);
  fillUniform(qe.data, rng, 1);
  const width = backend.copeGatesForward(z.data, x.data, lo.data, hi.data, POSITIONS, ROWS, COLS);
  const want = cope64(x.data, qe.data.subarray(0, ROWS * width), g.data, lo.data, hi.data, width);
  const onBands = (full: Float64Array, rest: Float32Array): Float64Array =>
    full.map((v, k) => (k % COLS < hi.data[Math.floor(k / COLS)] ? v : rest[k]));
  return { lo, hi, x, g, z, qe, width, want, onBands, storages: [lo, hi, x, g, z, qe] };
}

/** Float64 banded softmax of `scale·x` and its backward for `dy`. */
function softmax64(x: Float32Array, dy: Float32Array, hi: Int32Array, scale: number) {
  const y = new Float64Array(ROWS * COLS);
  const dx = new Float64Array(ROWS * COLS);
  for (let r = 0; r < ROWS; r++) {
    const row = r * COLS;
    let mx = -Infinity;
    for (let j = 0; j < hi[r]; j++) mx = Math.max(mx, scale * x[row + j]);
    let sum = 0;
    for (let j = 0; j < hi[r]; j++) sum += y[row + j] = Math.exp(scale * x[row + j] - mx);
    let d = 0;
    for (let j = 0; j < hi[r]; j++) d += (y[row + j] /= sum) * dy[row + j];
    for (let j = 0; j < hi[r]; j++) dx[row + j] = scale * y[row + j] * (dy[row + j] - d);
  }
  return { y, dx };
}

const shape = { rows: ROWS, cols: COLS };

export const copeCases: readonly OpCase[] = [
  {
    op: 'CoPE gates 32×512',
    ...shape,
    prepare(backend, rng) {
      const b = block(backend, rng);
      let width = 0;
      return {
        call: () => {
          width = backend.copeGatesForward(b.z.data, b.x.data, b.lo.data, b.hi.data, POSITIONS, ROWS, COLS);
        },
        check: () => {
          if (width !== b.want.width) throw new Error(`CoPE gates: width ${width}, expected ${b.want.width}.`);
          const used = (v: number, k: number): number => (b.want.used[k] ? v : 0);
          assertClose('CoPE gates', b.z.data.map(used), b.want.z.map(used), 1e-6, 1e-6);
          if (!b.z.data.every(Number.isFinite)) throw new Error('CoPE gates: a non-finite gate.');
        },
        storages: b.storages,
      };
    },
  },
  {
    op: 'CoPE bias 32×512',
    ...shape,
    prepare(backend, rng) {
      const b = block(backend, rng);
      const out = backend.allocFloat32(ROWS * COLS);
      return {
        call: () => {
          out.data.set(b.x.data);
          backend.copeBiasForward(out.data, b.z.data, b.qe.data, b.lo.data, b.hi.data, SCALE, POSITIONS, b.width, ROWS, COLS);
        },
        check: () => assertClose('CoPE bias', out.data, b.onBands(b.want.scores, b.x.data), 1e-5, 1e-5),
        storages: [...b.storages, out],
      };
    },
  },
  {
    op: 'CoPE backward 32×512',
    ...shape,
    prepare(backend, rng) {
      const b = block(backend, rng);
      const dx = backend.allocFloat32(ROWS * COLS);
      const dqe = backend.allocFloat32(ROWS * b.width);
      return {
        call: () => {
          dx.data.set(b.g.data);
          backend.copeBiasBackward(dx.data, dqe.data, b.z.data, b.qe.data, b.lo.data, b.hi.data, SCALE, POSITIONS, b.width, ROWS, COLS);
        },
        check: () => {
          assertClose('CoPE backward dx', dx.data, b.onBands(b.want.dx, b.g.data), 1e-6, 1e-5);
          assertClose('CoPE backward dqe', dqe.data, b.want.dqe, 1e-6, 1e-5);
        },
        storages: [...b.storages, dx, dqe],
      };
    },
  },
  {
    op: 'masked softmax 32×512',
    ...shape,
    prepare(backend, rng) {
      const b = block(backend, rng);
      const y = backend.allocFloat32(ROWS * COLS);
      return {
        call: () => backend.maskedSoftmaxForward(y.data, b.x.data, b.lo.data, b.hi.data, 1, ROWS, COLS),
        check: () => assertClose('masked softmax', y.data, softmax64(b.x.data, b.g.data, b.hi.data, 1).y, 1e-6, 1e-5),
        storages: [...b.storages, y],
      };
    },
  },
  {
    op: 'masked softmax backward 32×512',
    ...shape,
    prepare(backend, rng) {
      const b = block(backend, rng);
      const y = backend.allocFloat32(ROWS * COLS);
      const dx = backend.allocFloat32(ROWS * COLS);
      backend.maskedSoftmaxForward(y.data, b.x.data, b.lo.data, b.hi.data, 1, ROWS, COLS);
      return {
        call: () => backend.maskedSoftmaxBackward(dx.data, y.data, b.g.data, b.lo.data, b.hi.data, 1, ROWS, COLS),
        check: () => assertClose('masked softmax backward', dx.data, softmax64(b.x.data, b.g.data, b.hi.data, 1).dx, 1e-7, 1e-4),
        storages: [...b.storages, y, dx],
      };
    },
  },
];
