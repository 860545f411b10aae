import { describe, expect, it } from 'vitest';
import { expectClose, isClose } from './index.js';

const tol = { atol: 1e-6, rtol: 1e-4 };

describe('expectClose', () => {
  it('accepts values within atol + rtol·|expected|', () => {
    expect(() => expectClose([1, 100, 0], [1 + 5e-7, 100.009, 9e-7], tol)).not.toThrow();
    expect(() => expectClose(2.5, 2.5000001, tol)).not.toThrow();
    expect(() => expectClose(new Float32Array([1, 2]), new Float64Array([1, 2]), tol)).not.toThrow();
  });

  it('rejects a value just outside the tolerance and names label, index, values and count', () => {
    expect(() => expectClose([1, 100, 3, 4], [1, 100.02, 3, 4.1], tol, 'matmul')).toThrow(
      /matmul: 2 of 4 element\(s\) not close; first at index 1: actual 100\.000000, expected 100\.020000.*allowed 0\.0100030.*atol 0\.000001, rtol 0\.0001/,
    );
  });

  it('treats NaN as equal only to NaN, and infinities only to the same infinity', () => {
    expect(() => expectClose([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity], tol)).not.toThrow();
    expect(() => expectClose([NaN], [0], tol)).toThrow(/index 0: actual NaN, expected 0/);
    expect(() => expectClose([0], [NaN], tol)).toThrow(/expected NaN/);
    expect(() => expectClose([Infinity], [-Infinity], tol)).toThrow();
    expect(isClose(Infinity, 1e300, tol)).toBe(false);
  });

  it('checks lengths and number-versus-array', () => {
    expect(() => expectClose([1, 2], [1, 2, 3], tol, 'x')).toThrow(/x: length 2 differs from expected length 3/);
    expect(() => expectClose(1, [1], tol)).toThrow(/number with an array/);
  });

  it('catches a sign error that a loose tolerance would hide only at zero', () => {
    expect(() => expectClose([0.5, -0.25], [-0.5, 0.25], { atol: 1e-3, rtol: 1e-2 })).toThrow(/2 of 2/);
  });
});
