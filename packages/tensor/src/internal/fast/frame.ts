/**
 * Marshals the typed arrays of one kernel call into WebAssembly memory.
 *
 * An array whose buffer is the memory's (see `WasmHeap.owns`) is passed by its byte
 * offset (zero copy). Any other array is copied into a scratch block for the call, and outputs are
 * copied back afterwards. Resident offsets are read at registration, before the
 * scratch block is allocated: allocating may grow the memory, which detaches the
 * caller's views (their `byteOffset` would then read 0).
 *
 * @internal
 */
import type { WasmHeap } from './heap.js';

type Elements = Float32Array | Int32Array | Float64Array;

/** Marks a slot that needs no copy. */
const RESIDENT = -2;
/** Marks a slot of kernel scratch. */
const SCRATCH = -1;

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/** Largest block kept between calls (4 MiB); a call needing more allocates and frees its own. */
const RESERVE_LIMIT = 1 << 22;

export class CallFrame {
  private readonly heap: WasmHeap;
  private count = 0;
  private readonly arrays: (Elements | undefined)[] = [];
  /** Elements to copy, or {@link RESIDENT}, or {@link SCRATCH}. */
  private readonly needs: number[] = [];
  private readonly outputs: boolean[] = [];
  /** Byte offsets in memory once known; scratch byte sizes before {@link CallFrame.begin}. */
  private readonly pointers: number[] = [];
  /** The earlier slot that holds the same foreign array, or -1. */
  private readonly aliasOf: number[] = [];
  private block = -1;
  /**
   * A block kept from call to call for the copies and scratch of one call: training runs
   * thousands of small kernels, and allocating and freeing each one's scratch was a
   * measurable share of a step. It only grows (to at least double, up to
   * {@link RESERVE_LIMIT}), so it is allocated a handful of times in a process.
   */
  private reserve = -1;
  private reserveBytes = 0;
  /** Whether {@link CallFrame.block} is a one-off block (freed by `reset`) rather than the reserve. */
  private oneOff = false;

  constructor(heap: WasmHeap) {
    this.heap = heap;
  }

  /** Registers an input that the kernel reads `need` elements of; returns its slot. */
  input(x: Elements, need: number): number {
    return this.add(x, need, false);
  }

  /**
   * Registers an output spanning `need` elements; returns its slot. Outputs are copied
   * in too, since kernels may accumulate or leave strided gaps untouched.
   */
  output(x: Elements, need: number): number {
    return this.add(x, need, true);
  }

  /** Reserves `bytes` bytes of uninitialised scratch for the kernel; returns its slot. */
  scratch(bytes: number): number {
    const slot = this.count++;
    this.arrays[slot] = undefined;
    this.needs[slot] = SCRATCH;
    this.aliasOf[slot] = -1;
    this.pointers[slot] = bytes;
    return slot;
  }

  /** Allocates scratch and copies the foreign arrays in. Call after every registration. */
  begin(): void {
    let bytes = 0;
    for (let i = 0; i < this.count; i++) {
      const need = this.needs[i];
      if (need === RESIDENT || this.aliasOf[i] >= 0) continue;
      const size = need === SCRATCH ? this.pointers[i] : need * (this.arrays[i] as Elements).BYTES_PER_ELEMENT;
      this.pointers[i] = bytes;
      bytes += align16(size);
    }
    if (bytes === 0) return;
    if (bytes > RESERVE_LIMIT) {
      this.block = this.heap.alloc(bytes, false);
      this.oneOff = true;
    } else {
      this.block = this.reserved(bytes);
    }
    // Most calls only reserve scratch: the view of memory is made once something is copied.
    let memory: Uint8Array | null = null;
    for (let i = 0; i < this.count; i++) {
      const need = this.needs[i];
      if (need === RESIDENT || this.aliasOf[i] >= 0) continue;
      this.pointers[i] += this.block;
      const x = this.arrays[i];
      if (x === undefined) continue;
      memory ??= new Uint8Array(this.heap.buffer);
      memory.set(new Uint8Array(x.buffer, x.byteOffset, need * x.BYTES_PER_ELEMENT), this.pointers[i]);
    }
  }

  /** The reserve block, grown to at least `bytes` (at most {@link RESERVE_LIMIT}) first. */
  private reserved(bytes: number): number {
    if (bytes > this.reserveBytes) {
      if (this.reserve >= 0) this.heap.free(this.reserve);
      this.reserve = -1;
      this.reserveBytes = Math.min(RESERVE_LIMIT, Math.max(bytes, 2 * this.reserveBytes));
      this.reserve = this.heap.alloc(this.reserveBytes, false);
    }
    return this.reserve;
  }

  /** Whether `x` lies in the memory, so a prepared call may keep its byte offset. */
  resident(x: Elements): boolean {
    return this.heap.owns(x.buffer);
  }

  /**
   * The address of `bytes` bytes of uninitialised scratch for a prepared call, which
   * runs outside {@link CallFrame.begin} … {@link CallFrame.end}: the reserve block,
   * valid until the next call. Null where `bytes` is more than the reserve may hold.
   */
  borrow(bytes: number): number | null {
    return bytes > RESERVE_LIMIT ? null : this.reserved(bytes);
  }

  /** The byte offset the kernel receives for a slot (valid after {@link CallFrame.begin}). */
  pointer(slot: number): number {
    const alias = this.aliasOf[slot];
    return this.pointers[alias >= 0 ? alias : slot];
  }

  /** Copies outputs back and resets the frame for the next call. */
  end(): void {
    if (this.block >= 0) {
      const memory = this.heap.buffer;
      for (let i = 0; i < this.count; i++) {
        const x = this.arrays[i];
        if (x === undefined || !this.outputs[i] || this.aliasOf[i] >= 0) continue;
        const bytes = this.needs[i] * x.BYTES_PER_ELEMENT;
        new Uint8Array(x.buffer, x.byteOffset, bytes).set(new Uint8Array(memory, this.pointers[i], bytes));
      }
    }
    this.reset();
  }

  /** Forgets every registration (also after a failed call); the reserve stays for the next call. */
  reset(): void {
    for (let i = 0; i < this.count; i++) this.arrays[i] = undefined;
    this.count = 0;
    if (this.oneOff) this.heap.free(this.block);
    this.oneOff = false;
    this.block = -1;
  }

  private add(x: Elements, need: number, output: boolean): number {
    if (x.length < need) {
      this.reset();
      throw new RangeError(`A kernel argument has ${x.length} elements where ${need} are needed.`);
    }
    const slot = this.count++;
    this.outputs[slot] = output;
    this.aliasOf[slot] = -1;
    if (this.heap.owns(x.buffer)) {
      this.arrays[slot] = undefined;
      this.needs[slot] = RESIDENT;
      this.pointers[slot] = x.byteOffset;
      return slot;
    }
    this.arrays[slot] = x;
    this.needs[slot] = need;
    // The same foreign array passed twice (an allowed alias) must share one copy.
    for (let i = 0; i < slot; i++) {
      if (this.arrays[i] !== x || this.aliasOf[i] >= 0) continue;
      this.aliasOf[slot] = i;
      this.needs[i] = Math.max(this.needs[i], need);
      this.outputs[i] ||= output;
      break;
    }
    return slot;
  }
}
