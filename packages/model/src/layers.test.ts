/**
 * Finite-difference checks of the layers this package writes, one at a time, with the
 * loss `Σ w ⊙ out` for fixed random `w` (so `dOut = w`). Inputs are O(1) and the
 * tolerance (h 1e-2, atol 1e-3, rtol 1e-2) sits well below the O(0.1–1) gradients, so
 * a transposed or wrongly signed term fails.
 */
import { referenceBackend } from '@moh/tensor';
import { dot, gradcheck, seededInts, seededValues, type GradcheckOptions } from '@moh/test-utils';
import { describe, expect, it } from 'vitest';
import { Embedding } from './embedding.js';
import { FeedForward } from './ffn.js';
import { LmHead } from './lm-head.js';
import { CrossEntropy } from './loss.js';
import { Norm } from './norm.js';

const backend = referenceBackend();
const CHECK: GradcheckOptions = { h: 1e-2, atol: 1e-3, rtol: 1e-2 };
const N = 6;
const d = 5;

describe('Embedding', () => {
  it.each([false, true])('gathers rows and scatters gradients (learned positions: %s)', (learned) => {
    const V = 7;
    const T = 3;
    const table = seededValues(1, V * d);
    const positions = learned ? seededValues(2, T * d) : undefined;
    const params = { table, positions };
    const grads = { table: new Float32Array(V * d), positions: learned ? new Float32Array(T * d) : undefined };
    const layer = new Embedding(backend, params, grads, d);
    const ids = new Int32Array([3, 3, 0, 6, 1, 3]); // repeated ids must add up
    const w = seededValues(3, N * d);
    const out = new Float32Array(N * d);
    layer.forward(out, ids, N, T);
    expect(out[1 * d + 2]).toBeCloseTo(table[3 * d + 2] + (positions?.[1 * d + 2] ?? 0), 6);
    layer.backward(w);
    const inputs: Record<string, Float32Array> = { table };
    const analytic: Record<string, Float32Array> = { table: grads.table };
    if (positions && grads.positions) {
      inputs.positions = positions;
      analytic.positions = grads.positions;
    }
    gradcheck(() => {
      layer.forward(out, ids, N, T);
      return dot(w, out);
    }, inputs, analytic, CHECK);
  });
});

describe.each(['rmsnorm', 'layernorm'] as const)('Norm %s', (kind) => {
  it('matches finite differences for x, γ and β', () => {
    const eps = kind === 'rmsnorm' ? 1e-6 : 1e-5;
    const x = seededValues(4, N * d);
    const gamma = seededValues(5, d, 1).map((v) => 1 + 0.5 * v);
    const beta = kind === 'layernorm' ? seededValues(6, d) : undefined;
    const grads = { gamma: new Float32Array(d), beta: beta ? new Float32Array(d) : undefined };
    const layer = new Norm(backend, { kind, eps }, { gamma, beta }, grads, d);
    const w = seededValues(7, N * d);
    const out = new Float32Array(N * d);
    const dx = new Float32Array(N * d);
    layer.forward(out, x, N);
    layer.backward(dx, w);
    const inputs: Record<string, Float32Array> = { x, gamma };
    const analytic: Record<string, Float32Array> = { x: dx, gamma: grads.gamma };
    if (beta && grads.beta) {
      inputs.beta = beta;
      analytic.beta = grads.beta;
    }
    gradcheck(() => {
      layer.forward(out, x, N);
      return dot(w, out);
    }, inputs, analytic, CHECK);
  });
});

describe.each(['swiglu', 'relu'] as const)('FeedForward %s', (kind) => {
  it('matches finite differences for x and every weight', () => {
    const F = 4;
    const x = seededValues(8, N * d);
    const params: Record<string, Float32Array> =
      kind === 'swiglu'
        ? { w1: seededValues(9, d * F), w2: seededValues(10, d * F), w3: seededValues(11, F * d) }
        : { w1: seededValues(9, d * F), b1: seededValues(12, F, 0.3), w2: seededValues(10, F * d), b2: seededValues(13, d) };
    const grads: Record<string, Float32Array> = Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, new Float32Array(v.length)]),
    );
    const layer = new FeedForward(backend, { kind, hiddenDim: F }, { w1: params.w1, w2: params.w2, ...params }, { w1: grads.w1, w2: grads.w2, ...grads }, d);
    const w = seededValues(14, N * d);
    const out = new Float32Array(N * d);
    const dx = new Float32Array(N * d);
    layer.forward(out, x, N);
    layer.backward(dx, w);
    gradcheck(() => {
      layer.forward(out, x, N);
      return dot(w, out);
    }, { x, ...params }, { x: dx, ...grads }, CHECK);
  });
});

describe.each([false, true])('LmHead (tied: %s)', (tied) => {
  it('matches finite differences for y and the weight', () => {
    const V = 7;
    const y = seededValues(15, N * d);
    const weight = seededValues(16, d * V);
    const dWeight = new Float32Array(d * V);
    const head = new LmHead(backend, { weight }, { weight: dWeight }, d, V, tied);
    const w = seededValues(17, N * V);
    const logits = new Float32Array(N * V);
    const dy = new Float32Array(N * d);
    head.forward(logits, y, N);
    if (tied) expect(logits[V + 2]).toBeCloseTo(dot(y.subarray(d, 2 * d), weight.subarray(2 * d, 3 * d)), 5);
    else expect(logits[V + 2]).toBeCloseTo(dot(y.subarray(d, 2 * d), Array.from({ length: d }, (_, i) => weight[i * V + 2])), 5);
    head.backward(dy, w);
    gradcheck(() => {
      head.forward(logits, y, N);
      return dot(w, logits);
    }, { y, weight }, { y: dy, weight: dWeight }, CHECK);
  });
});

describe('CrossEntropy', () => {
  it('averages over unmasked rows only and masks their gradient', () => {
    const V = 5;
    const logits = seededValues(18, N * V, 2);
    const targets = new Int32Array([2, -1, 0, 4, -1, 1]);
    const loss = new CrossEntropy(backend, V);
    const value = loss.forward(logits, targets, N);
    let expected = 0;
    for (let r = 0; r < N; r++) {
      if (targets[r] < 0) continue;
      const row = Array.from(logits.subarray(r * V, (r + 1) * V));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      expected += lse - row[targets[r]];
    }
    expect(value).toBeCloseTo(expected / 4, 5);
    expect(loss.counted).toBe(4);
    const dLogits = new Float32Array(N * V);
    loss.backward(dLogits);
    expect(Array.from(dLogits.subarray(V, 2 * V))).toEqual([0, 0, 0, 0, 0]);
    gradcheck(() => loss.forward(logits, targets, N), { logits }, { logits: dLogits }, CHECK);
  });

  it('rejects a target outside the vocabulary', () => {
    expect(() => new CrossEntropy(backend, 3).forward(new Float32Array(3), new Int32Array([3]), 1)).toThrow(/outside the vocabulary/);
  });

  it('is 0 with every row masked', () => {
    expect(new CrossEntropy(backend, 3).forward(seededValues(1, 6), seededInts(2, 2, -1, 0), 2)).toBe(0);
  });
});
