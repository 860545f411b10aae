/**
 * The fast backend: WebAssembly SIMD kernels compiled from assembly/ (AssemblyScript)
 * by scripts/build-wasm.mjs, running on a memory that JavaScript owns and grows.
 *
 * @internal
 */
import type { Backend } from '../../backend.js';
import { assembleBackend } from './backend.js';
import { SHARED_MAXIMUM_PAGES, wasmBinary, wasmBinaryShared } from './wasm-binary.generated.js';

/** `(module (func (result v128) v128.const i32x4 0 0 0 0))`: valid only where SIMD is. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0b,
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

/**
 * Creates a fast backend, compiling the kernels synchronously: fine in Node and in
 * workers, refused by browsers on their main thread (use {@link loadFastBackend}).
 * Each call makes an independent instance with its own memory.
 */
export function createFastBackend(options: { sharedMemory?: boolean } = {}): Backend {
  const shared = options.sharedMemory ?? isSharedMemorySupported();
  return assembleBackend(new WebAssembly.Module(shared ? wasmBinaryShared() : wasmBinary()), shared, SHARED_MAXIMUM_PAGES);
}

/** Creates a fast backend, compiling the kernels asynchronously (for a browser's main thread). */
export async function loadFastBackend(): Promise<Backend> {
  const shared = isSharedMemorySupported();
  return assembleBackend(await WebAssembly.compile(shared ? wasmBinaryShared() : wasmBinary()), shared, SHARED_MAXIMUM_PAGES);
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
