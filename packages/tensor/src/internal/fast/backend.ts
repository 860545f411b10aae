/**
 * Assembles the fast backend from a compiled kernels module: instantiates it on a new
 * memory, and joins the allocator with the kernel wrappers.
 *
 * @internal
 */
import type { Backend, Storage } from '../../backend.js';
import { CallFrame } from './frame.js';
import { WasmHeap } from './heap.js';
import { matmulKernels } from './matmul-kernels.js';
import { WasmStorage } from './storage.js';
import type { WasmExports } from './wasm-exports.js';

/** Pages the memory starts with (1 MiB); it grows on demand. */
const INITIAL_PAGES = 16;

/** Instantiates `module` on a fresh memory and returns the backend over it. */
export function assembleBackend(module: WebAssembly.Module): Backend {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const wasm = instance.exports as unknown as WasmExports;
  const heap = new WasmHeap(memory, wasm.heapBase());
  const frame = new CallFrame(heap);
  return {
    name: 'fast',
    allocFloat32: (n: number): Storage<Float32Array> => new WasmStorage(heap, Float32Array, n),
    allocInt32: (n: number): Storage<Int32Array> => new WasmStorage(heap, Int32Array, n),
    ...matmulKernels(wasm, frame),
  } as Backend;
}
