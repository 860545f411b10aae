/**
 * The one seeded random number generator of @moh: xoshiro128** (Blackman and Vigna),
 * a 128-bit-state generator that needs only 32-bit integer arithmetic, so every
 * JavaScript engine produces the same stream bit for bit. The seed is expanded into
 * the state with splitmix32, which never yields the all-zero state for distinct seeds
 * in practice and is guarded against it anyway.
 */

/** The complete state of an {@link Rng}: enough to resume the stream exactly. */
export interface RngState {
  /** The four 32-bit words of the xoshiro128** state. */
  readonly s: readonly [number, number, number, number];
  /** The second Box–Muller normal, when one is cached; `null` otherwise. */
  readonly spareNormal: number | null;
}

/** 2^-32, to map a uint32 to [0, 1). */
const INV_2_32 = 1 / 4294967296;

/** One splitmix32 step: returns [next state, output]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * A seeded generator with uniform, normal, integer and shuffle draws. The same seed
 * gives the same stream on every runtime.
 *
 * @example
 * ```ts
 * import { Rng } from '@moh/tensor';
 * const rng = new Rng(42);
 * const w = new Float32Array(4);
 * rng.fillNormal(w, 0, 0.02); // deterministic initialisation
 * const order = rng.shuffle([0, 1, 2, 3]);
 * ```
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** Seeds the generator; any integer (taken modulo 2^32) is a valid seed. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number, got ${seed}.`);
    let state = Math.trunc(seed) | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(state);
      state = next;
      words.push(out);
    }
    this.s0 = words[0];
    this.s1 = words[1];
    this.s2 = words[2];
    this.s3 = words[3];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator resumed from a saved {@link RngState}. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 32 bits of randomness. */
  uniform(): number {
    return this.nextUint32() * INV_2_32;
  }

  /** A uniform integer in [0, n), without modulo bias. `n` must be in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new Error(`Rng.int needs an integer n in [1, 2^32], got ${n}.`);
    }
    // Rejection sampling: draws at or above the largest multiple of n are redrawn.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A normal draw by the Box–Muller transform; the second value is cached for the next call. */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spare = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  /** Fills `out` with uniform draws in [low, high). */
  fillUniform(out: Float32Array | Float64Array, low = 0, high = 1): void {
    const width = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + width * this.uniform();
  }

  /** Fills `out` with normal draws. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  shuffle<A extends Int32Array | Uint32Array | Float32Array | Float64Array>(items: A): A;
  shuffle<T>(items: T[] | Int32Array | Uint32Array | Float32Array | Float64Array): unknown {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** The complete state, for checkpoints. */
  getState(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spare };
  }

  /** Restores a state returned by {@link Rng.getState}. */
  setState(state: RngState): void {
    const [a, b, c, d] = state.s;
    if (((a | b | c | d) >>> 0) === 0) throw new Error('Rng state must not be all zeros.');
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
    this.spare = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
