/**
 * Rotary position encoding (SPEC §3): the pairs `(2i, 2i+1)` of a head-width block at
 * position `t` are rotated by the angle `t · base^(−2i/D)`. The backward applies the
 * transposed rotation (angle `−θ`) to the gradient.
 *
 * Shapes: D head width (even); a block is `D` consecutive floats of a row.
 *
 * Angles and their sines and cosines are computed in float64 once per position and
 * cached, so a row rotated in a full forward and the same row rotated in a KV-cache
 * decode see the very same numbers.
 *
 * @packageDocumentation
 */

/** Cached sines and cosines for positions `0 … positions−1`. */
export class RopeTable {
  /** `(positions, D/2)` cosines. */
  private cos = new Float64Array(0);
  /** `(positions, D/2)` sines. */
  private sin = new Float64Array(0);
  private positions = 0;
  private readonly half: number;
  /** `(D/2)`: `base^(−2i/D)`. */
  private readonly inverseFrequency: Float64Array;

  constructor(
    readonly headDim: number,
    readonly base: number,
  ) {
    if (headDim % 2 !== 0) throw new Error(`RoPE: head width must be even, got ${headDim}`);
    this.half = headDim / 2;
    this.inverseFrequency = new Float64Array(this.half);
    for (let i = 0; i < this.half; i++) this.inverseFrequency[i] = Math.pow(base, (-2 * i) / headDim);
  }

  /** Makes positions `0 … count−1` available. */
  ensure(count: number): void {
    if (count <= this.positions) return;
    const cos = new Float64Array(count * this.half);
    const sin = new Float64Array(count * this.half);
    for (let t = 0; t < count; t++) {
      for (let i = 0; i < this.half; i++) {
        const angle = t * this.inverseFrequency[i];
        cos[t * this.half + i] = Math.cos(angle);
        sin[t * this.half + i] = Math.sin(angle);
      }
    }
    this.cos = cos;
    this.sin = sin;
    this.positions = count;
  }

  /** Rotates the block `x[off … off+D)` in place to position `t` (forward). */
  rotate(x: Float32Array, off: number, t: number): void {
    this.apply(x, off, t, 1);
  }

  /** Applies the inverse (transposed) rotation of position `t` to the gradient block in place (backward). */
  rotateBack(dx: Float32Array, off: number, t: number): void {
    this.apply(dx, off, t, -1);
  }

  private apply(x: Float32Array, off: number, t: number, sign: 1 | -1): void {
    if (t >= this.positions) this.ensure(Math.max(t + 1, 2 * this.positions));
    const row = t * this.half;
    for (let i = 0; i < this.half; i++) {
      const c = this.cos[row + i];
      const s = sign * this.sin[row + i];
      const a = x[off + 2 * i];
      const b = x[off + 2 * i + 1];
      x[off + 2 * i] = a * c - b * s;
      x[off + 2 * i + 1] = a * s + b * c;
    }
  }
}
