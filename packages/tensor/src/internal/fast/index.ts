/**
 * The fast backend: WebAssembly SIMD kernels compiled from assembly/ (AssemblyScript)
 * by scripts/build-wasm.mjs, running on a memory that JavaScript owns and grows.
 *
 * @internal
 */
import type { Backend } from '../../backend.js';
import { assembleBackend } from './backend.js';
import { isHelperThreadSupported } from './helper.js';
import { SHARED_MAXIMUM_PAGES, wasmBinary } from './wasm-binary.generated.js';

/** `(module (func (result v128) v128.const i32x4 0 0 0 0))`: valid only where SIMD is. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0b,
]);

/** `(module (func (param v128 v128 v128) (result v128) … f32x4.relaxed_madd))`: valid only where relaxed SIMD is. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

let simdSupported: boolean | undefined;

/** Whether this runtime runs WebAssembly with the 128-bit SIMD proposal (cached). */
export function isWasmSimdSupported(): boolean {
  if (simdSupported === undefined) {
    try {
      simdSupported = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simdSupported = false;
    }
  }
  return simdSupported;
}

let relaxedSupported: boolean | undefined;

/**
 * Whether this runtime validates WebAssembly relaxed SIMD, whose fused multiply-add the
 * `fma` variant's matrix products use. Cached once true; a negative answer is re-checked,
 * since Node 20 can turn the feature on at run time (`enableRelaxedSimd`).
 */
export function isRelaxedSimdSupported(): boolean {
  if (relaxedSupported !== true) {
    try {
      relaxedSupported = isWasmSimdSupported() && WebAssembly.validate(RELAXED_SIMD_PROBE);
    } catch {
      relaxedSupported = false;
    }
  }
  return relaxedSupported;
}

/** Which module a fast backend runs. */
export interface FastBackendOptions {
  /** A shared memory (default where the runtime has one; see {@link isSharedMemorySupported}). */
  readonly sharedMemory?: boolean;
  /** Fused multiply-add in the matrix products (default where relaxed SIMD validates). */
  readonly fusedMultiplyAdd?: boolean;
  /** Threads for the big matrix products: 1 (default) or 2 (a helper thread; Node, shared memory). */
  readonly threads?: number;
}

function resolveOptions(options: FastBackendOptions): { shared: boolean; fma: boolean; threads: 1 | 2 } {
  const fma = options.fusedMultiplyAdd ?? isRelaxedSimdSupported();
  if (fma && !isRelaxedSimdSupported()) {
    throw new Error('fusedMultiplyAdd needs WebAssembly relaxed SIMD, which this runtime lacks (on Node 20 call enableRelaxedSimd() first).');
  }
  const shared = options.sharedMemory ?? isSharedMemorySupported();
  const threads = options.threads ?? 1;
  if (threads !== 1 && threads !== 2) throw new RangeError(`threads must be 1 or 2, got ${threads}.`);
  if (threads === 2 && !(shared && isHelperThreadSupported())) {
    throw new Error('threads: 2 needs a shared WebAssembly memory and Node’s worker_threads; use threads: 1 here.');
  }
  return { shared, fma, threads };
}

/**
 * The compiled kernels modules, one per variant. Backends instantiate the same module:
 * instances share its machine code, so several backends in one process (one per model,
 * as `moh bench` makes) do not each compile, nor each fill the instruction caches with,
 * a copy of their own.
 */
const modules = new Map<string, WebAssembly.Module | Promise<WebAssembly.Module>>();

function moduleKey(shared: boolean, fma: boolean): string {
  return `${shared ? 'shared' : 'plain'}-${fma ? 'fma' : 'simd'}`;
}

/**
 * Creates a fast backend, compiling the kernels synchronously the first time: fine in
 * Node and in workers, refused by browsers on their main thread (use
 * {@link loadFastBackend}). Each call makes an independent instance with its own memory.
 */
export function createFastBackend(options: FastBackendOptions = {}): Backend {
  const { shared, fma, threads } = resolveOptions(options);
  const key = moduleKey(shared, fma);
  let module = modules.get(key);
  if (!(module instanceof WebAssembly.Module)) {
    module = new WebAssembly.Module(wasmBinary(shared, fma));
    modules.set(key, module);
  }
  return assembleBackend(module, shared, fma, SHARED_MAXIMUM_PAGES, threads);
}

/** Creates a fast backend, compiling the kernels asynchronously the first time (for a browser's main thread). */
export async function loadFastBackend(options: FastBackendOptions = {}): Promise<Backend> {
  const { shared, fma, threads } = resolveOptions(options);
  const key = moduleKey(shared, fma);
  let module = modules.get(key);
  if (module === undefined) {
    const compiling = WebAssembly.compile(wasmBinary(shared, fma));
    modules.set(key, compiling);
    // A failed compilation is not kept: the next call tries again.
    compiling.catch(() => modules.delete(key));
    module = compiling;
  }
  return assembleBackend(await module, shared, fma, SHARED_MAXIMUM_PAGES, threads);
}

let sharedSupported: boolean | undefined;

/**
 * Whether this runtime can make a shared WebAssembly memory: Node can, and so can
 * browser pages that are cross-origin isolated. There, memory growth never detaches
 * the views that tensors and layers hold; elsewhere views must be re-read after growth.
 */
export function isSharedMemorySupported(): boolean {
  if (sharedSupported === undefined) {
    try {
      sharedSupported =
        typeof SharedArrayBuffer !== 'undefined' &&
        new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      sharedSupported = false;
    }
  }
  return sharedSupported;
}
