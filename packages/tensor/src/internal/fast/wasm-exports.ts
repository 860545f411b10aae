/**
 * The functions the kernels module exports. Pointers are byte offsets into the
 * imported memory, sizes are element counts, booleans are 0 or 1.
 *
 * @internal
 */

type Ptr = number;
type Flag = number;

export interface WasmExports extends WasmRowExports {
  heapBase(): number;

  matmulScratchBytes(k: number): number;
  matmulNTScratchBytes(k: number, n: number): number;
  matmulTNRowsScratchBytes(m: number, n: number): number;
  matmul(
    out: Ptr, a: Ptr, b: Ptr, m: number, k: number, n: number, acc: Flag, lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulTN(
    out: Ptr, a: Ptr, b: Ptr, m: number, k: number, n: number, acc: Flag, lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulNT(
    out: Ptr, a: Ptr, b: Ptr, m: number, k: number, n: number, acc: Flag, lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulRows(
    out: Ptr, a: Ptr, b: Ptr, rows: Ptr, count: number, k: number, n: number, acc: Flag,
    lda: number, ldb: number, ldc: number, scratch: Ptr, compact: Flag,
  ): void;
  matmulColumnBlocks(
    out: Ptr, a: Ptr, b: Ptr, blocks: Ptr, count: number, m: number, k: number, width: number, acc: Flag,
    lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulNTRows(
    out: Ptr, a: Ptr, b: Ptr, rows: Ptr, count: number, k: number, n: number, acc: Flag,
    lda: number, ldb: number, ldc: number, scratch: Ptr, compact: Flag,
  ): void;
  matmulTNRows(
    out: Ptr, a: Ptr, b: Ptr, rows: Ptr, count: number, m: number, n: number, acc: Flag,
    lda: number, ldb: number, ldc: number, scratch: Ptr, compact: Flag,
  ): void;

  attentionForwardScratchBytes(maxCount: number, maxWidth: number, headDim: number, positions: number): number;
  attentionBackwardScratchBytes(maxCount: number, maxWidth: number, headDim: number, positions: number): number;
  attentionBlocksForward(
    out: Ptr, probs: Ptr, z: Ptr, blocks: Ptr, q: Ptr, keys: Ptr, values: Ptr, lo: Ptr, hi: Ptr, packed: Ptr, table: Ptr,
    scale: number, positions: number, keysTransposed: Flag, blockCount: number, headDim: number, ldk: number, ldv: number,
    scratch: Ptr,
  ): void;
  headGateForward(out: Ptr, o: Ptr, gates: Ptr, rows: Ptr, head: number, count: number, heads: number, headDim: number): void;
  headGateBackward(
    dGates: Ptr, dO: Ptr, dOut: Ptr, o: Ptr, gates: Ptr, rows: Ptr, head: number, count: number, heads: number, headDim: number,
  ): void;
  headRouteScratchBytes(shared: number, routed: number, k: number): number;
  headRouteForward(
    gates: Ptr, base: Ptr, s: Ptr, r: Ptr, alpha: Ptr, indices: Ptr, logitsT: Ptr, scratch: Ptr,
    gating: number, rows: number, sharedHeads: number, routedHeads: number, k: number,
  ): void;
  headRouteProjectScratchBytes(modelDim: number, rows: number, shared: number, routed: number, k: number): number;
  headRouteProjectForward(
    gates: Ptr, base: Ptr, s: Ptr, r: Ptr, alpha: Ptr, indices: Ptr, logitsT: Ptr, x: Ptr, w: Ptr, scratch: Ptr,
    gating: number, rows: number, modelDim: number, sharedHeads: number, routedHeads: number, k: number,
  ): void;
  headRouteBackward(
    dLogits: Ptr, dGates: Ptr, s: Ptr, r: Ptr, alpha: Ptr, base: Ptr, indices: Ptr, balance: Ptr, scratch: Ptr,
    gating: number, rows: number, sharedHeads: number, routedHeads: number, k: number, ld: number,
  ): void;
  attentionBlocksBackward(
    dQ: Ptr, dKeys: Ptr, dValues: Ptr, dTable: Ptr, dOut: Ptr, q: Ptr, keys: Ptr, values: Ptr, probs: Ptr, z: Ptr,
    blocks: Ptr, lo: Ptr, hi: Ptr, packed: Ptr, table: Ptr, scale: number, positions: number, blockCount: number,
    headDim: number, ldk: number, ldv: number, scratch: Ptr,
  ): void;
}

/** Row-wise, element-wise and reduction kernels (assembly/ files other than matmul). */
export interface WasmRowExports {
  add(out: Ptr, a: Ptr, b: Ptr, n: number): void;
  mul(out: Ptr, a: Ptr, b: Ptr, n: number): void;
  scale(out: Ptr, a: Ptr, s: number, n: number): void;
  axpy(y: Ptr, alpha: number, x: Ptr, n: number): void;
  gatherRows(out: Ptr, table: Ptr, ids: Ptr, count: number, cols: number): void;
  scatterAddRows(dTable: Ptr, dOut: Ptr, ids: Ptr, count: number, cols: number): void;

  softmaxForward(out: Ptr, x: Ptr, rows: number, cols: number): void;
  softmaxBackward(dx: Ptr, y: Ptr, dy: Ptr, rows: number, cols: number): void;
  maskedSoftmaxForward(out: Ptr, x: Ptr, lo: Ptr, hi: Ptr, scale: number, rows: number, cols: number): void;
  maskedSoftmaxBackward(dx: Ptr, y: Ptr, dy: Ptr, lo: Ptr, hi: Ptr, scale: number, rows: number, cols: number): void;
  copeGatesForward(z: Ptr, x: Ptr, lo: Ptr, hi: Ptr, positions: number, rows: number, cols: number): number;
  copeBiasForward(
    scores: Ptr, z: Ptr, qe: Ptr, lo: Ptr, hi: Ptr, scale: number, positions: number, width: number, rows: number, cols: number,
  ): void;
  copeBiasBackward(
    dScores: Ptr, dqe: Ptr, z: Ptr, qe: Ptr, lo: Ptr, hi: Ptr, scale: number, positions: number, width: number,
    rows: number, cols: number, pos: Ptr, dqeRow: Ptr,
  ): void;
  logSoftmaxForward(out: Ptr, x: Ptr, rows: number, cols: number): void;
  logSoftmaxBackward(dx: Ptr, y: Ptr, dy: Ptr, rows: number, cols: number): void;
  crossEntropyForward(probs: Ptr, logits: Ptr, targets: Ptr, rows: number, cols: number): number;
  crossEntropyBackward(dLogits: Ptr, probs: Ptr, targets: Ptr, dLoss: number, rows: number, cols: number): void;

  sigmoidForward(out: Ptr, x: Ptr, n: number): void;
  sigmoidBackward(dx: Ptr, y: Ptr, dy: Ptr, n: number): void;
  siluForward(out: Ptr, x: Ptr, n: number): void;
  siluBackward(dx: Ptr, x: Ptr, dy: Ptr, n: number): void;
  swigluForward(out: Ptr, a: Ptr, b: Ptr, n: number): void;
  swigluBackward(dA: Ptr, dB: Ptr, a: Ptr, b: Ptr, dOut: Ptr, n: number): void;
  reluForward(out: Ptr, x: Ptr, n: number): void;
  reluBackward(dx: Ptr, x: Ptr, dy: Ptr, n: number): void;

  rmsnormForward(out: Ptr, rstd: Ptr, x: Ptr, gamma: Ptr, eps: number, rows: number, cols: number): void;
  rmsnormBackward(dx: Ptr, dGamma: Ptr, dy: Ptr, x: Ptr, gamma: Ptr, rstd: Ptr, rows: number, cols: number): void;
  layernormForward(
    out: Ptr, mean: Ptr, rstd: Ptr, x: Ptr, gamma: Ptr, beta: Ptr, eps: number, rows: number, cols: number,
  ): void;
  layernormBackward(
    dx: Ptr, dGamma: Ptr, dBeta: Ptr, dy: Ptr, x: Ptr, gamma: Ptr, mean: Ptr, rstd: Ptr, rows: number, cols: number,
  ): void;

  topK(indices: Ptr, values: Ptr, x: Ptr, k: number, rows: number, cols: number): void;
  sum(x: Ptr, n: number): number;
  max(x: Ptr, n: number): number;
  sumRows(out: Ptr, x: Ptr, rows: number, cols: number, acc: Flag): void;
  adamStep(
    param: Ptr, m: Ptr, v: Ptr, grad: Ptr, lr: number, beta1: number, beta2: number, eps: number, wd: number,
    bc1: number, bc2: number, n: number,
  ): void;
  adamwStep(
    param: Ptr, m: Ptr, v: Ptr, grad: Ptr, lr: number, beta1: number, beta2: number, eps: number, wd: number,
    bc1: number, bc2: number, n: number,
  ): void;
  l2Norm(x: Ptr, n: number): number;
  clipByGlobalNorm(x: Ptr, maxNorm: number, n: number): number;
}
