/**
 * Assembles the fast backend from a compiled kernels module: instantiates it on a new
 * memory, and joins the allocator with the kernel wrappers.
 *
 * @internal
 */
import type { Backend, Storage } from '../../backend.js';
import { attentionKernels } from './attention-kernels.js';
import { copeKernels } from './cope-kernels.js';
import { CallFrame } from './frame.js';
import { HelperThread } from './helper.js';
import { WasmHeap } from './heap.js';
import { elementwiseKernels } from './elementwise-kernels.js';
import { matmulKernels } from './matmul-kernels.js';
import { reduceKernels } from './reduce-kernels.js';
import { rowKernels } from './row-kernels.js';
import { routeKernels } from './route-kernels.js';
import { WasmStorage } from './storage.js';
import type { WasmExports } from './wasm-exports.js';

/** Pages the memory starts with (1 MiB); it grows on demand. */
const INITIAL_PAGES = 16;

/**
 * Instantiates `module` on a fresh memory and returns the backend over it. `shared`
 * must match the module: a shared memory of `maximumPages` for the shared variant;
 * `fma` says whether it is the fused multiply-add variant. With `threads` 2 (a shared
 * memory only) a helper thread runs half of every big dense product.
 */
export function assembleBackend(module: WebAssembly.Module, shared: boolean, fma: boolean, maximumPages: number, threads: 1 | 2 = 1): Backend {
  const memory = shared
    ? new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: maximumPages, shared: true })
    : new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const wasm = instance.exports as unknown as WasmExports;
  const heap = new WasmHeap(memory, wasm.heapBase());
  const frame = new CallFrame(heap);
  const helper = threads === 2 ? new HelperThread(module, memory, heap) : null;
  return {
    name: 'fast',
    label: (fma ? 'fast+fma' : 'fast') + (threads === 2 ? ' ×2' : ''),
    fusedMultiplyAdd: fma,
    threads,
    stableViews: heap.shared,
    allocFloat32: (n: number): Storage<Float32Array> => new WasmStorage(heap, Float32Array, n),
    allocInt32: (n: number): Storage<Int32Array> => new WasmStorage(heap, Int32Array, n),
    ...matmulKernels(wasm, frame, helper),
    ...elementwiseKernels(wasm, frame),
    ...rowKernels(wasm, frame),
    ...copeKernels(wasm, frame),
    ...reduceKernels(wasm, frame),
    ...attentionKernels(wasm, frame, heap, helper),
    ...routeKernels(wasm, frame),
  };
}
