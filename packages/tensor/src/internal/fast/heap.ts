/**
 * The allocator of the fast backend: hands out 16-byte-aligned blocks of one
 * `WebAssembly.Memory`, which it grows geometrically when the blocks run out.
 *
 * Free blocks sit in a list sorted by address; allocation takes the first that fits
 * (splitting it), freeing merges neighbours, and a free block that reaches the top of
 * the heap lowers the top instead. Tensors are few and large, so a linear scan is
 * cheaper than any cleverness.
 *
 * @internal
 */

/** Bytes per WebAssembly page. */
const PAGE = 65536;
/** Alignment of every block: one v128. */
const ALIGN = 16;

const alignUp = (x: number): number => Math.ceil(x / ALIGN) * ALIGN;

export class WasmHeap {
  /** The memory the kernels run on. */
  readonly memory: WebAssembly.Memory;
  /** End of the used region: everything at or above it is free. */
  private top: number;
  /**
   * Everything at or above this address has never been handed out, so it is still
   * the zeroes WebAssembly gives fresh memory and needs no clearing.
   */
  private clean: number;
  private readonly freeStarts: number[] = [];
  private readonly freeSizes: number[] = [];
  private readonly live = new Map<number, number>();
  /** Buffers the memory had before it grew; only a shared memory's stay usable. */
  private readonly earlierBuffers = new WeakSet<ArrayBufferLike>();
  /**
   * The memory's current buffer. Only {@link WasmHeap.reserve} grows the memory, so it is
   * read there and in the constructor: the `buffer` getter is slow (on shared memories
   * especially), and every kernel argument asks {@link WasmHeap.owns}.
   */
  private current: ArrayBuffer;
  /** Whether growth keeps old views valid (a shared memory is never detached). */
  readonly shared: boolean;

  /**
   * @param memory - the memory the module imports.
   * @param base - the first byte after the module's static data.
   */
  constructor(memory: WebAssembly.Memory, base: number) {
    this.memory = memory;
    this.current = memory.buffer;
    this.shared = typeof SharedArrayBuffer !== 'undefined' && this.current instanceof SharedArrayBuffer;
    this.top = alignUp(Math.max(base, ALIGN));
    this.clean = this.top;
  }

  /**
   * Whether a typed array's buffer is this memory, so kernels can read it in place:
   * the current buffer, or, for a shared memory, one it had before growing (growth
   * gives a shared memory a new, longer buffer object over the same bytes).
   */
  owns(buffer: ArrayBufferLike): boolean {
    return buffer === this.current || (this.shared && this.earlierBuffers.has(buffer));
  }

  /** The memory's current buffer (a view of it reaches every byte allocated so far). */
  get buffer(): ArrayBuffer {
    return this.current;
  }

  /** Bytes currently handed out (for tests and diagnostics). */
  get liveBytes(): number {
    let total = 0;
    for (const size of this.live.values()) total += size;
    return total;
  }

  /**
   * Returns the address of a block of at least `bytes` bytes, zeroed unless `zero` is
   * false. May grow the memory, which detaches every view of the old buffer unless the
   * memory is shared.
   */
  alloc(bytes: number, zero = true): number {
    if (!(bytes >= 0) || !Number.isSafeInteger(bytes)) throw new RangeError(`Cannot allocate ${bytes} bytes.`);
    const size = Math.max(ALIGN, alignUp(bytes));
    let start = -1;
    for (let i = 0; i < this.freeStarts.length; i++) {
      const available = this.freeSizes[i];
      if (available < size) continue;
      start = this.freeStarts[i];
      if (available === size) {
        this.freeStarts.splice(i, 1);
        this.freeSizes.splice(i, 1);
      } else {
        this.freeStarts[i] = start + size;
        this.freeSizes[i] = available - size;
      }
      break;
    }
    if (start < 0) {
      start = this.top;
      this.reserve(start + size);
      this.top = start + size;
    }
    const end = start + size;
    if (zero && start < this.clean) new Uint8Array(this.current, start, Math.min(end, this.clean) - start).fill(0);
    if (end > this.clean) this.clean = end;
    this.live.set(start, size);
    return start;
  }

  /** Returns a block to the heap. Freeing an address twice is an error. */
  free(start: number): void {
    const size = this.live.get(start);
    if (size === undefined) throw new Error(`Double free or foreign pointer ${start}.`);
    this.live.delete(start);
    let lo = 0;
    let hi = this.freeStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.freeStarts[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    let blockStart = start;
    let blockSize = size;
    const next = lo;
    if (next < this.freeStarts.length && this.freeStarts[next] === start + size) {
      blockSize += this.freeSizes[next];
      this.freeStarts.splice(next, 1);
      this.freeSizes.splice(next, 1);
    }
    const prev = lo - 1;
    if (prev >= 0 && this.freeStarts[prev] + this.freeSizes[prev] === start) {
      blockStart = this.freeStarts[prev];
      blockSize += this.freeSizes[prev];
      this.freeStarts.splice(prev, 1);
      this.freeSizes.splice(prev, 1);
      lo = prev;
    }
    if (blockStart + blockSize === this.top) {
      this.top = blockStart;
    } else {
      this.freeStarts.splice(lo, 0, blockStart);
      this.freeSizes.splice(lo, 0, blockSize);
    }
  }

  /** Grows the memory to hold `end` bytes: at least doubling, so n allocations cost O(log n) growths. */
  private reserve(end: number): void {
    const have = this.current.byteLength;
    if (end <= have) return;
    const needed = Math.ceil((end - have) / PAGE);
    const current = have / PAGE;
    if (this.shared) this.earlierBuffers.add(this.current);
    try {
      this.memory.grow(Math.max(needed, current));
    } catch {
      // Near the engine's limit doubling may fail where the exact amount still fits.
      this.memory.grow(needed);
    } finally {
      this.current = this.memory.buffer;
    }
  }
}
