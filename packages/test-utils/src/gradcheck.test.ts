import { describe, expect, it } from 'vitest';
import { dot, FLOAT32_GRADCHECK, FLOAT64_GRADCHECK, gradcheck, gradcheckReport, seededValues, toFloat64 } from './index.js';

/** `y = A·x` for `A` `(m,n)` row-major, float64. */
function matVec(a: ArrayLike<number>, x: ArrayLike<number>, m: number, n: number): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[i] += a[i * n + j] * x[j];
  return y;
}

describe('gradcheck', () => {
  const m = 3;
  const n = 4;
  const w = toFloat64(seededValues(10, m));

  // L(A, x) = w · (A x): dL/dA[i,j] = w_i x_j, dL/dx = Aᵀ w.
  function setup() {
    const inputs = { a: toFloat64(seededValues(11, m * n)), x: toFloat64(seededValues(12, n)) };
    const loss = ({ a, x }: typeof inputs) => dot(w, matVec(a, x, m, n));
    const dA = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) dA[i * n + j] = w[i] * inputs.x[j];
    const dx = new Float64Array(n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) dx[j] += inputs.a[i * n + j] * w[i];
    return { inputs, loss, dA, dx };
  }

  it('passes a correct gradient tightly in float64 and restores the inputs', () => {
    const { inputs, loss, dA, dx } = setup();
    const before = Array.from(inputs.a);
    const report = gradcheck(loss, inputs, { a: dA, x: dx }, FLOAT64_GRADCHECK);
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(m * n + n);
    expect(report.worst?.error).toBeLessThan(1e-8);
    expect(Array.from(inputs.a)).toEqual(before);
  });

  it('fails a wrongly signed gradient and names input and index', () => {
    const { inputs, loss, dA, dx } = setup();
    const wrong = dx.map((v) => -v);
    expect(() => gradcheck(loss, inputs, { a: dA, x: wrong }, { ...FLOAT64_GRADCHECK, label: 'matvec' })).toThrow(
      /gradcheck matvec: 4 of 16 checked element\(s\) mismatch; worst at input "x" index \d/,
    );
  });

  it('fails a transposed gradient (A w instead of Aᵀ w, square case)', () => {
    const s = 3;
    const a = toFloat64(seededValues(20, s * s));
    const x = toFloat64(seededValues(21, s));
    const ws = toFloat64(seededValues(22, s));
    const transposedWrong = matVec(a, ws, s, s); // A·w, the transposed mistake
    const report = gradcheckReport(({ x: xx }) => dot(ws, matVec(a, xx, s, s)), { x }, { x: transposedWrong }, FLOAT64_GRADCHECK);
    expect(report.ok).toBe(false);
    expect(report.worst?.input).toBe('x');
  });

  it('works on float32 inputs with the float32 settings, and fails a 10% scale error', () => {
    const x = seededValues(30, 50, 2);
    const wf = seededValues(31, 50);
    const loss = ({ x: xx }: { x: Float32Array }) => dot(wf, Float32Array.from(xx, (v) => Math.fround(Math.tanh(v))));
    const dx = Float64Array.from(x, (v, i) => wf[i] * (1 - Math.tanh(v) ** 2));
    expect(gradcheck(loss, { x }, { x: dx }, FLOAT32_GRADCHECK).ok).toBe(true);
    const scaled = dx.map((v) => v * 1.1);
    expect(() => gradcheck(loss, { x }, { x: scaled }, FLOAT32_GRADCHECK)).toThrow(/input "x"/);
  });

  it('checks a seeded subset of at most maxElements per input', () => {
    const x = toFloat64(seededValues(40, 1000));
    const dx = x.map((v) => 2 * v);
    const loss = ({ x: xx }: { x: Float64Array }) => dot(xx, xx);
    const report = gradcheck(loss, { x }, { x: dx }, { ...FLOAT64_GRADCHECK, maxElements: 25 });
    expect(report.checked).toBe(25);
    // A single wrong element is caught when it is inside the subset: corrupt them all but one.
    const bad = dx.map((v) => v + 1);
    expect(gradcheckReport(loss, { x }, { x: bad }, { ...FLOAT64_GRADCHECK, maxElements: 25 }).failures).toBe(25);
  });

  it('rejects mismatched lengths and unknown inputs', () => {
    const x = new Float64Array(3);
    expect(() => gradcheck(() => 0, { x }, { x: [1, 2] }, FLOAT64_GRADCHECK)).toThrow(/length 2, input has 3/);
    expect(() => gradcheck(() => 0, { x } as Record<string, Float64Array>, { y: [1] }, FLOAT64_GRADCHECK)).toThrow(
      /"y" names no input/,
    );
  });

  it('reports a non-finite loss as a mismatch', () => {
    const x = new Float64Array([1]);
    const report = gradcheckReport(() => NaN, { x }, { x: [0] }, FLOAT64_GRADCHECK);
    expect(report.ok).toBe(false);
    expect(Number.isNaN(report.worst?.numeric)).toBe(true);
  });
});
