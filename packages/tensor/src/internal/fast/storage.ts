/**
 * Tensor storage that lives in the fast backend's WebAssembly memory, so kernels read
 * it in place.
 *
 * @internal
 */
import type { Storage } from '../../backend.js';
import type { WasmHeap } from './heap.js';

type ElementsConstructor<T> = new (buffer: ArrayBuffer, byteOffset: number, length: number) => T;

export class WasmStorage<T extends Float32Array | Int32Array> implements Storage<T> {
  readonly length: number;
  private readonly heap: WasmHeap;
  private readonly create: ElementsConstructor<T>;
  private address: number;
  private view: T;
  /**
   * The memory buffer {@link WasmStorage.view} was made over: kept because reading a
   * typed array's `buffer` costs tens of nanoseconds, and `data` is read at every use.
   */
  private viewBuffer: ArrayBuffer;

  constructor(heap: WasmHeap, create: ElementsConstructor<T>, length: number) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Cannot allocate ${length} elements.`);
    this.heap = heap;
    this.create = create;
    this.length = length;
    this.address = heap.alloc(length * 4);
    this.viewBuffer = heap.buffer;
    this.view = new create(this.viewBuffer, this.address, length);
  }

  /**
   * The elements. After memory growth the view is re-created over the new buffer; on a
   * shared memory the old view also stays valid, on an ordinary one it is detached.
   */
  get data(): T {
    if (this.address < 0) throw new Error('This storage was freed.');
    const buffer = this.heap.buffer;
    if (this.viewBuffer !== buffer) {
      this.viewBuffer = buffer;
      this.view = new this.create(buffer, this.address, this.length);
    }
    return this.view;
  }

  free(): void {
    if (this.address < 0) throw new Error('This storage was already freed.');
    this.heap.free(this.address);
    this.address = -1;
  }
}
