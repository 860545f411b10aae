import type { Backend, Storage } from './backend.js';
import { getBackend } from './backends.js';

/** A tensor's shape: one non-negative integer size per dimension, outermost first. */
export type Shape = readonly number[];

/** The number of elements of a shape (1 for a scalar shape `[]`). */
export function shapeSize(shape: Shape): number {
  let size = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new Error(`Shape [${shape.join(', ')}] is invalid: every size must be a non-negative integer.`);
    }
    size *= dim;
  }
  return size;
}

/**
 * A row-major float32 tensor: a shape over a window of a backend's {@link Storage}.
 * Reshapes and row views share storage; nothing is copied.
 *
 * On the fast backend the storage lives in WebAssembly memory, where the kernels read
 * it in place. Read {@link Tensor.data} when you need it rather than keeping the
 * array: an allocation may grow that memory and replace its buffer.
 *
 * @example
 * ```ts
 * import { Tensor, getBackend } from '@moh/tensor';
 * const backend = getBackend();
 * const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], backend);
 * const b = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2], backend);
 * const c = Tensor.zeros([2, 2], backend);
 * backend.matmul(c.data, a.data, b.data, 2, 3, 2);
 * // c.toArray() is [4, 5, 10, 11]
 * const secondRow = c.row(1); // a view: [10, 11]
 * ```
 */
export class Tensor {
  /** The sizes of the dimensions, outermost first. */
  readonly shape: Shape;
  /** Number of elements. */
  readonly size: number;
  /** The backend whose memory holds the elements. */
  readonly backend: Backend;
  private readonly storage: Storage<Float32Array>;
  private readonly offset: number;

  private constructor(storage: Storage<Float32Array>, offset: number, shape: Shape, backend: Backend) {
    this.storage = storage;
    this.offset = offset;
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    this.backend = backend;
  }

  /** A zero-filled tensor of the given shape. */
  static zeros(shape: Shape, backend: Backend = getBackend()): Tensor {
    return new Tensor(backend.allocFloat32(shapeSize(shape)), 0, shape, backend);
  }

  /** A tensor holding a copy of `values`, which must have exactly `shapeSize(shape)` elements. */
  static from(values: ArrayLike<number>, shape: Shape, backend: Backend = getBackend()): Tensor {
    const size = shapeSize(shape);
    if (values.length !== size) {
      throw new Error(`Tensor.from got ${values.length} values for shape [${shape.join(', ')}] (${size} elements).`);
    }
    const tensor = Tensor.zeros(shape, backend);
    tensor.data.set(values);
    return tensor;
  }

  /** The elements as a view into the backend's memory (no copy). */
  get data(): Float32Array {
    const all = this.storage.data;
    return this.offset === 0 && this.size === all.length ? all : all.subarray(this.offset, this.offset + this.size);
  }

  /** Number of rows: the size of the first dimension (1 for a scalar). */
  get rows(): number {
    return this.shape.length === 0 ? 1 : this.shape[0];
  }

  /** Number of elements in one row: the product of all dimensions but the first. */
  get cols(): number {
    return this.shape.length === 0 ? 1 : shapeSize(this.shape.slice(1));
  }

  /** The same elements under another shape of equal size (no copy). */
  reshape(shape: Shape): Tensor {
    const size = shapeSize(shape);
    if (size !== this.size) {
      throw new Error(
        `Cannot reshape [${this.shape.join(', ')}] (${this.size} elements) to [${shape.join(', ')}] (${size} elements).`,
      );
    }
    return new Tensor(this.storage, this.offset, shape, this.backend);
  }

  /** Row `i` as a tensor of shape `shape.slice(1)` sharing this tensor's storage. */
  row(i: number): Tensor {
    return this.rowRange(i, i + 1).reshape(this.shape.slice(1));
  }

  /** Rows `start` (inclusive) to `end` (exclusive) as a view sharing storage. */
  rowRange(start: number, end: number): Tensor {
    if (this.shape.length === 0) throw new Error('A scalar tensor has no rows.');
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.rows || start > end) {
      throw new Error(`Row range [${start}, ${end}) is outside a tensor with ${this.rows} rows.`);
    }
    const cols = this.cols;
    return new Tensor(this.storage, this.offset + start * cols, [end - start, ...this.shape.slice(1)], this.backend);
  }

  /** A copy of the elements in a plain array. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** A new tensor with a copy of the elements, on the same or another backend. */
  clone(backend: Backend = this.backend): Tensor {
    return Tensor.from(this.data, this.shape, backend);
  }
}
