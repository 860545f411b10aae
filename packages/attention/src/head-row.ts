/**
 * One query row of one head: scores over its visible keys, softmax, and `A·V`, with the
 * backward right beside it. Everything the layer does per (row, head) pair happens
 * here, so an inactive pair costs nothing simply by never calling it.
 *
 * Shapes: D head width, L visible keys of the row (`lo … t`), `keys`/`values` are
 * `(rows, G·D)` (row stride `kvStride = G·D`); `kvOff` addresses key `lo`'s group block.
 * Query rows and gradient rows are `D` floats at the given offsets.
 *
 * Dot products accumulate in float64 and are stored as float32. The full forward and
 * the KV-cache decode both call {@link HeadRowEngine.forward}, so a row gets the same
 * arithmetic, in the same order, either way.
 *
 * @packageDocumentation
 */
import type { Kernels } from '@moh/tensor';
import { copeRowBackward, copeRowForward, type CopeRowSlots, type CopeScratch } from './cope.js';

/** CoPE inputs of one (row, head) pair: the head's table and the row's slots. */
export interface CopeRow {
  /** `h·P·D`: start of the head's table in the `(H, P, D)` parameter. */
  readonly tableOff: number;
  /** The row's stashed gates, positions and `q·E` values. */
  readonly slots: CopeRowSlots;
}

/** A grow-only float32 scratch. */
function grow32(a: Float32Array, n: number): Float32Array {
  return a.length >= n ? a : new Float32Array(Math.max(n, 2 * a.length));
}

/** Runs single rows of attention for a layer's geometry. */
export class HeadRowEngine {
  private readonly scale: number;
  /** `(D)` output / query-gradient accumulators. */
  private readonly acc: Float64Array;
  /** `(D)` gated output gradient. */
  private readonly dOut: Float64Array;
  /** `(≥ L)` gradient of the attention weights, then of the scores. */
  private dA: Float32Array = new Float32Array(16);
  /** `(≥ L)` gradient of the raw dot products. */
  private dQk: Float32Array = new Float32Array(16);
  private copeScratch: CopeScratch;

  constructor(
    private readonly kernels: Kernels,
    private readonly headDim: number,
    private readonly kvStride: number,
    /** The records holding the `(H, P, D)` CoPE tables and their gradient, or null without CoPE. */
    private readonly cope: { params: { readonly cope?: Float32Array }; grads: { readonly cope?: Float32Array }; positions: number } | null,
  ) {
    this.scale = 1 / Math.sqrt(headDim);
    this.acc = new Float64Array(headDim);
    this.dOut = new Float64Array(headDim);
    this.copeScratch = { dz: new Float32Array(16), dqe: new Float64Array(cope?.positions ?? 0) };
  }

  /**
   * Forward of one row: writes the attention weights into `probs` (a view of length L)
   * and `O = A·V` into `out[outOff … outOff+D)`.
   */
  forward(
    q: Float32Array,
    qOff: number,
    keys: Float32Array,
    values: Float32Array,
    kvOff: number,
    length: number,
    probs: Float32Array,
    out: Float32Array,
    outOff: number,
    copeRow: CopeRow | null,
  ): void {
    const D = this.headDim;
    const stride = this.kvStride;
    for (let j = 0; j < length; j++) {
      const k = kvOff + j * stride;
      let dot = 0;
      for (let c = 0; c < D; c++) dot += q[qOff + c] * keys[k + c];
      probs[j] = copeRow === null ? dot * this.scale : dot;
    }
    if (copeRow !== null && this.cope !== null) {
      const { positions } = this.cope;
      const table = this.cope.params.cope as Float32Array;
      copeRowForward(this.kernels, table, copeRow.tableOff, positions, D, q, qOff, probs, this.scale, length, copeRow.slots);
    }
    this.kernels.softmaxForward(probs, probs, 1, length);
    const acc = this.acc;
    acc.fill(0);
    for (let j = 0; j < length; j++) {
      const a = probs[j];
      const v = kvOff + j * stride;
      for (let c = 0; c < D; c++) acc[c] += a * values[v + c];
    }
    for (let c = 0; c < D; c++) out[outOff + c] = acc[c];
  }

  /**
   * Backward of one row. `dGated` at `dOff` is the gradient of the gated output
   * `gate·O`; the row's query gradient is written to `dq[dqOff … +D)` (overwritten) and
   * key/value gradients are added into `dKeys`/`dValues` (same layout as `keys`).
   */
  backward(
    dGated: Float32Array,
    dOff: number,
    gate: number,
    q: Float32Array,
    qOff: number,
    keys: Float32Array,
    values: Float32Array,
    dKeys: Float32Array,
    dValues: Float32Array,
    kvOff: number,
    length: number,
    probs: Float32Array,
    dq: Float32Array,
    dqOff: number,
    copeRow: CopeRow | null,
  ): void {
    const D = this.headDim;
    const stride = this.kvStride;
    const dOut = this.dOut;
    for (let c = 0; c < D; c++) dOut[c] = gate * dGated[dOff + c];
    this.dA = grow32(this.dA, length);
    this.dQk = grow32(this.dQk, length);
    const dA = this.dA.subarray(0, length);
    const dQk = this.dQk.subarray(0, length);
    for (let j = 0; j < length; j++) {
      const v = kvOff + j * stride;
      const a = probs[j];
      let dot = 0;
      for (let c = 0; c < D; c++) {
        dot += dOut[c] * values[v + c];
        dValues[v + c] += a * dOut[c];
      }
      dA[j] = dot;
    }
    this.kernels.softmaxBackward(dA, probs, dA, 1, length); // dA now holds dS
    for (let j = 0; j < length; j++) dQk[j] = dA[j] * this.scale;
    const acc = this.acc;
    acc.fill(0);
    if (copeRow !== null && this.cope !== null) {
      const { positions } = this.cope;
      const table = this.cope.params.cope as Float32Array;
      const dTable = this.cope.grads.cope as Float32Array;
      this.copeScratch = { dz: grow32(this.copeScratch.dz, length), dqe: this.copeScratch.dqe };
      copeRowBackward(
        this.kernels, table, dTable, copeRow.tableOff, positions, D, q, qOff, acc, dA, dQk, length, copeRow.slots,
        this.copeScratch,
      );
    }
    for (let j = 0; j < length; j++) {
      const k = kvOff + j * stride;
      const g = dQk[j];
      for (let c = 0; c < D; c++) {
        acc[c] += g * keys[k + c];
        dKeys[k + c] += g * q[qOff + c];
      }
    }
    for (let c = 0; c < D; c++) dq[dqOff + c] = acc[c];
  }
}
