import type { BackendName, Kernels } from './kernels.js';

/**
 * Storage for `length` elements that a backend's kernels read without copying.
 *
 * On the fast backend the elements live in WebAssembly memory, which grows as tensors
 * are allocated (and, briefly, when a kernel needs scratch space). Where the runtime
 * offers shared WebAssembly memory (Node, cross-origin-isolated browser pages) growth
 * never invalidates a view, so arrays taken from {@link Storage.data} stay valid until
 * `free()`. Elsewhere growth detaches old views: read `data` afresh after any
 * allocation or kernel call; the getter re-creates the view when needed.
 */
export interface Storage<T extends Float32Array | Int32Array> {
  /** Number of elements. */
  readonly length: number;
  /** A view of the elements (see the note above on memory growth). */
  readonly data: T;
  /** Returns the memory to the backend. Using the storage afterwards is an error. */
  free(): void;
}

/**
 * A backend: the kernels plus the allocator whose storage they read in place.
 * Kernels also accept ordinary typed arrays; the fast backend then copies them into
 * its memory for the call, which is correct but slower.
 */
export interface Backend extends Kernels {
  readonly name: BackendName;
  /** The backend and its variant, for reports and test titles: `reference`, `fast` or `fast+fma`. */
  readonly label: string;
  /**
   * Whether the matrix products use fused multiply-add (the fast backend's relaxed-SIMD
   * variant). Fused products round once per step, so their results differ from the
   * unfused ones in the last bits; each variant is deterministic on its own.
   */
  readonly fusedMultiplyAdd: boolean;
  /**
   * Threads the backend computes on: 1, or 2 for a fast backend made with `threads: 2`,
   * whose big matrix products run half on a helper thread (with the same bits).
   */
  readonly threads: number;
  /**
   * Whether a view taken from {@link Storage.data} stays valid until `free()` whatever is
   * allocated meanwhile: true for the reference backend, and for the fast backend on a
   * shared memory (Node, cross-origin-isolated pages). Only then may a layer keep its
   * activations in storage (see `Workspace`).
   */
  readonly stableViews: boolean;
  /** Allocates `n` zeroed floats. */
  allocFloat32(n: number): Storage<Float32Array>;
  /** Allocates `n` zeroed 32-bit integers (index lists). */
  allocInt32(n: number): Storage<Int32Array>;
}
