/**
 * The plain-TypeScript reference backend: every kernel of the `Kernels` interface written
 * straightforwardly, with float64 accumulation. It is the baseline the fast backend is
 * tested and timed against.
 *
 * @packageDocumentation
 */
import type { Backend, Storage } from '../../backend.js';
import {
  attentionBlocksBackward, attentionBlocksForward, attentionHeadsBackward, attentionHeadsForward, headGateBackward, headGateForward,
} from './attention.js';
import {
  reluBackward,
  reluForward,
  sigmoidBackward,
  sigmoidForward,
  siluBackward,
  siluForward,
  swigluBackward,
  swigluForward,
} from './activations.js';
import { copeBiasBackward, copeBiasForward, copeGatesForward } from './cope.js';
import { add, axpy, gatherRows, mul, scale, scatterAddRows } from './elementwise.js';
import { matmul, matmulNT, matmulTN } from './matmul.js';
import { matmulColumnBlocks, matmulNTRows, matmulRows, matmulTNRows } from './matmul-rows.js';
import { layernormBackward, layernormForward, rmsnormBackward, rmsnormForward } from './norms.js';
import { adamStep, adamwStep, clipByGlobalNorm, l2Norm } from './optimizer.js';
import { headRouteBackward, headRouteForward, headRouteProjectForward, prepareHeadRouteProjectForward } from './route.js';
import { max, mean, sum, sumRows, topK } from './select.js';
import {
  crossEntropyBackward,
  crossEntropyForward,
  logSoftmaxBackward,
  logSoftmaxForward,
  maskedSoftmaxBackward,
  maskedSoftmaxForward,
  softmaxBackward,
  softmaxForward,
} from './softmax.js';

/** Wraps a plain typed array as {@link Storage}; after `free()` the data is unreachable. */
function plainStorage<T extends Float32Array | Int32Array>(array: T): Storage<T> {
  let freed = false;
  return {
    length: array.length,
    get data(): T {
      if (freed) throw new Error('This storage was freed.');
      return array;
    },
    free(): void {
      freed = true;
    },
  };
}

/** Creates the reference backend. Its storage is ordinary zeroed typed arrays. */
export function createReferenceBackend(): Backend {
  return {
    name: 'reference',
    label: 'reference',
    fusedMultiplyAdd: false,
    threads: 1,
    stableViews: true,
    allocFloat32: (n) => plainStorage(new Float32Array(n)),
    allocInt32: (n) => plainStorage(new Int32Array(n)),
    matmul,
    matmulTN,
    matmulNT,
    matmulRows,
    matmulColumnBlocks,
    matmulNTRows,
    matmulTNRows,
    add,
    mul,
    scale,
    axpy,
    gatherRows,
    scatterAddRows,
    softmaxForward,
    softmaxBackward,
    maskedSoftmaxForward,
    maskedSoftmaxBackward,
    copeGatesForward,
    copeBiasForward,
    copeBiasBackward,
    attentionBlocksForward,
    attentionBlocksBackward,
    attentionHeadsForward,
    attentionHeadsBackward,
    headGateForward,
    headGateBackward,
    headRouteForward,
    headRouteProjectForward,
    prepareHeadRouteProjectForward,
    headRouteBackward,
    logSoftmaxForward,
    logSoftmaxBackward,
    crossEntropyForward,
    crossEntropyBackward,
    sigmoidForward,
    sigmoidBackward,
    siluForward,
    siluBackward,
    swigluForward,
    swigluBackward,
    reluForward,
    reluBackward,
    rmsnormForward,
    rmsnormBackward,
    layernormForward,
    layernormBackward,
    topK,
    sum,
    mean,
    max,
    sumRows,
    adamStep,
    adamwStep,
    l2Norm,
    clipByGlobalNorm,
  };
}
