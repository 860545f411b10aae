/**
 * Spec for sigmoid, SiLU, ReLU and the SwiGLU gate, forward and backward. Shapes: flat `(n)`.
 */
import { describe, expect, it } from 'vitest';
import { dot, expectClose, FLOAT32_GRADCHECK, gradcheck, seededValues } from '@moh/test-utils';
import { availableBackends } from '../backends.js';

const TOL = { atol: 1e-6, rtol: 1e-5 };
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Away from ReLU's kink: |x| ≥ 0.1, well beyond the gradcheck step. */
function awayFromZero(seed: number, n: number): Float32Array {
  return seededValues(seed, n, 2).map((v) => (v >= 0 ? v + 0.1 : v - 0.1));
}

describe.each(availableBackends().map((b) => [b.label, b] as const))('%s backend: activations', (_name, be) => {
  const n = 23;
  const x = awayFromZero(1, n);
  const w = seededValues(2, n);

  const cases = [
    { name: 'sigmoid', f: sig, fwd: be.sigmoidForward, bwd: be.sigmoidBackward, bwdFromOutput: true },
    { name: 'silu', f: (v: number) => v * sig(v), fwd: be.siluForward, bwd: be.siluBackward, bwdFromOutput: false },
    { name: 'relu', f: (v: number) => Math.max(v, 0), fwd: be.reluForward, bwd: be.reluBackward, bwdFromOutput: false },
  ] as const;

  describe.each(cases)('$name', ({ name, f, fwd, bwd, bwdFromOutput }) => {
    const forward = (out: Float32Array, input: Float32Array, len: number) => fwd.call(be, out, input, len);
    const backward = (dx: Float32Array, saved: Float32Array, dy: Float32Array, len: number) =>
      bwd.call(be, dx, saved, dy, len);

    it('matches float64 on random values and on ±30, ±1e4, 0', () => {
      const edges = new Float32Array([30, -30, 1e4, -1e4, 0, -0.5]);
      for (const input of [x, edges]) {
        const out = new Float32Array(input.length);
        forward(out, input, input.length);
        expectClose(out, Array.from(input, f), TOL, `${name} forward`);
        expect(out.every(Number.isFinite)).toBe(true);
      }
    });

    it('propagates NaN, allows out === x, and does nothing for n = 0', () => {
      const out = new Float32Array(2);
      forward(out, new Float32Array([NaN, 1]), 2);
      expect(Number.isNaN(out[0])).toBe(true);
      expectClose(out[1], f(1), TOL, `${name}(1)`);
      const inPlace = x.slice();
      forward(inPlace, inPlace, n);
      expectClose(inPlace, Array.from(x, f), TOL, `${name} in place`);
      const keep = new Float32Array([7]);
      forward(keep, x, 0);
      backward(keep, x, x, 0);
      expect(keep[0]).toBe(7);
    });

    it('backward passes a finite-difference gradcheck and allows dx === dy', () => {
      const y = new Float32Array(n);
      forward(y, x, n);
      const saved = bwdFromOutput ? y : x;
      const dx = new Float32Array(n).fill(99); // overwritten, not accumulated
      backward(dx, saved, w, n);
      const out = new Float32Array(n);
      gradcheck(({ x: xx }) => (forward(out, xx, n), dot(w, out)), { x: x.slice() }, { x: dx }, {
        ...FLOAT32_GRADCHECK,
        label: name,
      });
      const alias = w.slice();
      backward(alias, saved, alias, n);
      expectClose(alias, dx, { atol: 0, rtol: 0 }, `${name} backward dx === dy`);
    });
  });

  it('hand-checked values catch a sign error', () => {
    const out = new Float32Array(3);
    be.sigmoidForward(out, new Float32Array([0, Math.log(3), -Math.log(3)]), 3);
    expectClose(out, [0.5, 0.75, 0.25], TOL, 'sigmoid');
    be.siluForward(out, new Float32Array([0, Math.log(3), -Math.log(3)]), 3);
    expectClose(out, [0, 0.75 * Math.log(3), -0.25 * Math.log(3)], TOL, 'silu');
    be.reluForward(out, new Float32Array([-2, 3, -0]), 3);
    expect(Array.from(out)).toEqual([0, 3, 0]);
    be.reluBackward(out, new Float32Array([-2, 3, 0]), new Float32Array([5, 5, 5]), 3);
    expect(Array.from(out)).toEqual([0, 5, 0]);
    // σ'(x) = σ(1 − σ) = 0.1875 at σ = 0.75; SiLU'(0) = 1/2.
    be.sigmoidBackward(out, new Float32Array([0.75, 0.75, 0.5]), new Float32Array([1, -2, 1]), 3);
    expectClose(out, [0.1875, -0.375, 0.25], TOL, 'sigmoid backward');
    be.siluBackward(out, new Float32Array([0, 0, 0]), new Float32Array([1, -1, 2]), 3);
    expectClose(out, [0.5, -0.5, 1], TOL, 'silu backward');
  });

  describe('SwiGLU gate silu(a) ⊙ b', () => {
    const a = awayFromZero(3, n);
    const b = seededValues(4, n, 2);

    it('matches float64, and the unfused kernels bit for bit (n = 23: a tail of 3)', () => {
      const out = new Float32Array(n);
      be.swigluForward(out, a, b, n);
      expectClose(out, Array.from(a, (v, i) => v * sig(v) * b[i]), TOL, 'swiglu forward');
      const composed = new Float32Array(n);
      be.siluForward(composed, a, n);
      be.mul(composed, composed, b, n);
      expectClose(out, composed, { atol: 0, rtol: 0 }, 'swiglu = silu then mul');
      // Hand-checked: silu(ln 3) = 0.75·ln 3; a swapped a and b cannot give it.
      const one = new Float32Array(1);
      be.swigluForward(one, new Float32Array([Math.log(3)]), new Float32Array([-2]), 1);
      expectClose(one[0], -1.5 * Math.log(3), TOL, 'swiglu(ln 3, −2)');
    });

    it('backward passes a finite-difference gradcheck in a and b, equals the unfused kernels, and allows dA === dOut', () => {
      const dA = new Float32Array(n).fill(99);
      const dB = new Float32Array(n).fill(99);
      be.swigluBackward(dA, dB, a, b, w, n);
      const out = new Float32Array(n);
      gradcheck(
        ({ a: aa, b: bb }) => (be.swigluForward(out, aa, bb, n), dot(w, out)),
        { a: a.slice(), b: b.slice() },
        { a: dA, b: dB },
        { ...FLOAT32_GRADCHECK, label: 'swiglu' },
      );
      const wantB = new Float32Array(n);
      be.siluForward(wantB, a, n);
      be.mul(wantB, wantB, w, n);
      const wantA = new Float32Array(n);
      be.mul(wantA, w, b, n);
      be.siluBackward(wantA, a, wantA, n);
      expectClose(dB, wantB, { atol: 0, rtol: 0 }, 'dB = silu(a)·dOut');
      expectClose(dA, wantA, { atol: 0, rtol: 0 }, "dA = silu'(a)·dOut·b");
      const alias = w.slice();
      const dB2 = new Float32Array(n);
      be.swigluBackward(alias, dB2, a, b, alias, n);
      expectClose(alias, dA, { atol: 0, rtol: 0 }, 'dA === dOut');
      expectClose(dB2, dB, { atol: 0, rtol: 0 }, 'dB beside dA === dOut');
      const keep = new Float32Array([7]);
      be.swigluForward(keep, a, b, 0);
      be.swigluBackward(keep, keep.slice(), a, b, w, 0);
      expect(keep[0]).toBe(7);
    });
  });
});
