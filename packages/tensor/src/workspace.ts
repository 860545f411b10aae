/**
 * Activation buffers that a backend's kernels read and write in place.
 *
 * The fast backend copies every ordinary typed array it is handed into its WebAssembly
 * memory for the call, and copies outputs back: correct, but for attention's many
 * small products the copies cost as much as the arithmetic. A layer that takes its
 * buffers from a workspace avoids them: where the backend's storage views are stable
 * (see {@link Backend.stableViews}) the buffers are backend storage; elsewhere they are
 * ordinary arrays, exactly as before.
 *
 * A buffer keeps its storage when it is asked to shrink and grow again (a model that
 * alternates a training batch with one-token decoding reuses the same memory), so a
 * loop at fixed shapes allocates nothing after its first pass.
 */
import type { Backend, Storage } from './backend.js';

/** The element arrays a workspace hands out. */
export type Elements = Float32Array | Int32Array;

/** The storage behind one handed-out buffer. */
interface Slot {
  /** The whole allocation; handed-out buffers are prefixes of it. */
  readonly backing: Elements;
  /** Backend storage to free, or null for an ordinary array. */
  readonly storage: Storage<Float32Array> | Storage<Int32Array> | null;
}

/** The new length of a buffer of `length` that must hold `n`. */
function grown(length: number, n: number): number {
  return Math.max(n, Math.ceil(1.25 * length));
}

/** Grow-only typed buffers owned by one model (or layer), freed together. */
export class Workspace {
  private readonly resident: boolean;
  /** Every buffer handed out and not released, by the view the caller holds. */
  private readonly slots = new Map<Elements, Slot>();
  private bytes = 0;
  private peak = 0;

  /**
   * @param backend - Whose storage holds the buffers; `null` (or a backend whose views
   *   are not stable) gives ordinary typed arrays.
   */
  constructor(private readonly backend: Backend | null = null) {
    this.resident = backend !== null && backend.stableViews;
  }

  /** Bytes allocated now (resident or not). */
  get liveBytes(): number {
    return this.bytes;
  }

  /** The most bytes allocated at once so far. */
  get peakBytes(): number {
    return this.peak;
  }

  /**
   * `buffer` when it has exactly `n` floats; else a zeroed buffer of `n` floats, which
   * reuses `buffer`'s storage when that is large enough (`buffer` must not be used
   * afterwards).
   */
  ensure(buffer: Float32Array, n: number): Float32Array {
    if (buffer.length === n) return buffer;
    const slot = this.slots.get(buffer);
    if (slot !== undefined && slot.backing.length >= n) {
      const view = (slot.backing as Float32Array).subarray(0, n);
      view.fill(0);
      this.slots.delete(buffer);
      this.slots.set(view, slot);
      return view;
    }
    this.release(buffer);
    return this.float32(n);
  }

  /**
   * `buffer` when it has at least `n` floats, else a new zeroed one with a quarter more
   * room than `buffer` had: sizes that wander from call to call (a routed head's rows)
   * settle after a few calls without doubling the memory they hold.
   */
  grow(buffer: Float32Array, n: number): Float32Array {
    if (buffer.length >= n) return buffer;
    this.release(buffer);
    return this.float32(grown(buffer.length, n));
  }

  /** Like {@link Workspace.grow}, for ints. */
  growInt32(buffer: Int32Array, n: number): Int32Array {
    if (buffer.length >= n) return buffer;
    this.release(buffer);
    return this.int32(grown(buffer.length, n));
  }

  /** A new zeroed buffer of `n` floats. */
  float32(n: number): Float32Array {
    if (!this.resident || n === 0) return this.hand(new Float32Array(n), null);
    const storage = (this.backend as Backend).allocFloat32(n);
    return this.hand(storage.data, storage);
  }

  /** A new zeroed buffer of `n` ints. */
  int32(n: number): Int32Array {
    if (!this.resident || n === 0) return this.hand(new Int32Array(n), null);
    const storage = (this.backend as Backend).allocInt32(n);
    return this.hand(storage.data, storage);
  }

  /** Gives a buffer this workspace made back (no-op for any other array). */
  release(buffer: Elements): void {
    const slot = this.slots.get(buffer);
    if (slot === undefined) return;
    this.slots.delete(buffer);
    this.bytes -= slot.backing.byteLength;
    slot.storage?.free();
  }

  /** Frees every buffer; arrays handed out before must not be used afterwards. */
  free(): void {
    for (const slot of this.slots.values()) slot.storage?.free();
    this.slots.clear();
    this.bytes = 0;
  }

  private hand<T extends Elements>(buffer: T, storage: Slot['storage']): T {
    this.slots.set(buffer, { backing: buffer, storage });
    this.bytes += buffer.byteLength;
    this.peak = Math.max(this.peak, this.bytes);
    return buffer;
  }
}
