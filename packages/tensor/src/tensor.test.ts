import { describe, expect, it } from 'vitest';
import { availableBackends } from './backends.js';
import { Tensor, shapeSize } from './tensor.js';

describe('shapeSize', () => {
  it('multiplies the sizes and rejects invalid ones', () => {
    expect(shapeSize([2, 3, 4])).toBe(24);
    expect(shapeSize([])).toBe(1);
    expect(shapeSize([5, 0])).toBe(0);
    expect(() => shapeSize([2, -1])).toThrow(/non-negative integer/);
    expect(() => shapeSize([1.5])).toThrow(/non-negative integer/);
  });
});

describe.each(availableBackends().map((b) => [b.label, b] as const))('Tensor on the %s backend', (_name, backend) => {
  it('holds values row-major and shares storage between views', () => {
    const t = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], backend);
    expect(t.rows).toBe(2);
    expect(t.cols).toBe(3);
    expect(t.row(1).toArray()).toEqual([4, 5, 6]);
    const flat = t.reshape([3, 2]);
    expect(flat.row(0).toArray()).toEqual([1, 2]);
    // Writing through a view changes the original: no copy was made.
    flat.row(2).data[1] = 60;
    expect(t.toArray()).toEqual([1, 2, 3, 4, 5, 60]);
    const middle = Tensor.from([0, 1, 2, 3, 4, 5, 6, 7], [4, 2], backend).rowRange(1, 3);
    expect(middle.shape).toEqual([2, 2]);
    expect(middle.toArray()).toEqual([2, 3, 4, 5]);
  });

  it('rejects mismatched sizes and out-of-range rows with clear errors', () => {
    const t = Tensor.zeros([2, 3], backend);
    expect(() => t.reshape([4, 2])).toThrow(/Cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\] \(8 elements\)/);
    expect(() => t.row(2)).toThrow(/outside a tensor with 2 rows/);
    expect(() => Tensor.from([1, 2], [3], backend)).toThrow(/got 2 values for shape \[3\]/);
  });

  it('keeps its values when later allocations grow the backend memory', () => {
    const t = Tensor.from([1, -2, 3.5], [3], backend);
    const big = Array.from({ length: 4 }, () => Tensor.zeros([1 << 22], backend)); // 64 MiB in all
    expect(t.toArray()).toEqual([1, -2, 3.5]);
    big[3].data[(1 << 22) - 1] = 7;
    expect(big[3].data[(1 << 22) - 1]).toBe(7);
  });

  it('computes with the backend kernels in place (a product that would catch a transpose)', () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], backend);
    const b = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2], backend);
    const c = Tensor.zeros([2, 2], backend);
    backend.matmul(c.data, a.data, b.data, 2, 3, 2);
    expect(c.toArray()).toEqual([4, 5, 10, 11]);
    expect(c.clone().toArray()).toEqual([4, 5, 10, 11]);
  });
});
