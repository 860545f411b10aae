// Entry point of the WebAssembly SIMD kernels: re-exports every kernel file. The module
// imports its memory (JavaScript owns and grows it) and allocates nothing itself.

export {
  matmul, matmulNT, matmulNTRows, matmulNTScratchBytes, matmulRows, matmulScratchBytes, matmulTN, matmulTNRows,
  matmulTNRowsScratchBytes,
} from './matmul';

/** First byte after the module's static data: where the JavaScript allocator may start. */
export function heapBase(): usize {
  return __heap_base;
}
