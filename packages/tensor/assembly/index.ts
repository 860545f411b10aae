// Entry point of the WebAssembly SIMD kernels: re-exports every kernel file. The module
// imports its memory (JavaScript owns and grows it) and allocates nothing itself.

export {
  matmul, matmulColumnBlocks, matmulNT, matmulNTRows, matmulNTScratchBytes, matmulRows, matmulScratchBytes, matmulTN,
  matmulTNRows, matmulTNRowsScratchBytes,
} from './matmul';
export { add, axpy, gatherRows, mul, scale, scatterAddRows } from './elementwise';
export {
  crossEntropyBackward, crossEntropyForward, logSoftmaxBackward, logSoftmaxForward, maskedSoftmaxBackward,
  maskedSoftmaxForward, softmaxBackward, softmaxForward,
} from './softmax';
export { copeBiasForward, copeGatesForward } from './cope';
export { copeBiasBackward } from './cope-backward';
export {
  attentionBackwardScratchBytes, attentionBlocksBackward, attentionBlocksForward, attentionForwardScratchBytes,
} from './attention';
export { headGateBackward, headGateForward } from './head-gates';
export {
  headRouteBackward, headRouteForward, headRouteProjectForward, headRouteProjectScratchBytes, headRouteScratchBytes,
} from './head-route';
export {
  reluBackward, reluForward, sigmoidBackward, sigmoidForward, siluBackward, siluForward, swigluBackward, swigluForward,
} from './activations';
export { layernormBackward, layernormForward, rmsnormBackward, rmsnormForward } from './norms';
export { max, sum, sumRows, topK } from './reductions';
export { adamStep, adamwStep, clipByGlobalNorm, l2Norm } from './optimizer';

/** First byte after the module's static data: where the JavaScript allocator may start. */
export function heapBase(): usize {
  return __heap_base;
}
