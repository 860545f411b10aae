// Element-wise activations and their gradients. Each loop runs four lanes at a time and
// finishes a tail of up to three elements through the same vector code on one lane, so
// head and tail agree bit for bit. Outputs may alias inputs: every element is read
// before it is written.

import { sigmoidv } from './math';

// @ts-ignore: decorator
@inline function lane(x: usize): v128 {
  return f32x4.splat(load<f32>(x));
}

/** `out = σ(x)`. */
export function sigmoidForward(out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, sigmoidv(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(sigmoidv(lane(x + o)), 0));
  }
}

// @ts-ignore: decorator
@inline function sigmoidGrad(y: v128, dy: v128): v128 {
  return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(f32x4.splat(1), y)));
}

/** `dx = dy · y(1 − y)`. */
export function sigmoidBackward(dx: usize, y: usize, dy: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, sigmoidGrad(v128.load(y + o), v128.load(dy + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, f32x4.extract_lane(sigmoidGrad(lane(y + o), lane(dy + o)), 0));
  }
}

/** `out = x · σ(x)`. */
export function siluForward(out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(out + o, f32x4.mul(v, sigmoidv(v)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = lane(x + o);
    store<f32>(out + o, f32x4.extract_lane(f32x4.mul(v, sigmoidv(v)), 0));
  }
}

// @ts-ignore: decorator
@inline function siluGrad(x: v128, dy: v128): v128 {
  const s = sigmoidv(x);
  const one = f32x4.splat(1);
  return f32x4.mul(dy, f32x4.mul(s, f32x4.add(one, f32x4.mul(x, f32x4.sub(one, s)))));
}

/** `dx = dy · σ(x)(1 + x(1 − σ(x)))`. */
export function siluBackward(dx: usize, x: usize, dy: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, siluGrad(v128.load(x + o), v128.load(dy + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, f32x4.extract_lane(siluGrad(lane(x + o), lane(dy + o)), 0));
  }
}

/** `out = silu(a) · b` (SwiGLU), silu rounded to f32 before the product like siluForward then mul. */
export function swigluForward(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(a + o);
    v128.store(out + o, f32x4.mul(f32x4.mul(v, sigmoidv(v)), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = lane(a + o);
    store<f32>(out + o, f32x4.extract_lane(f32x4.mul(f32x4.mul(v, sigmoidv(v)), lane(b + o)), 0));
  }
}

/**
 * SwiGLU backward: `dB = silu(a) · dOut`, `dA = silu'(a) · (dOut · b)`, with the
 * arithmetic of siluForward, mul and siluBackward but one σ per element. Every lane
 * reads a, b and dOut before writing, so dA or dB may alias dOut.
 */
export function swigluBackward(dA: usize, dB: usize, a: usize, b: usize, dOut: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(a + o), g = v128.load(dOut + o), t = f32x4.mul(g, v128.load(b + o));
    const s = sigmoidv(v);
    v128.store(dB + o, f32x4.mul(f32x4.mul(v, s), g));
    v128.store(dA + o, swigluGradA(v, s, t));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = lane(a + o), g = lane(dOut + o), t = f32x4.mul(g, lane(b + o));
    const s = sigmoidv(v);
    store<f32>(dB + o, f32x4.extract_lane(f32x4.mul(f32x4.mul(v, s), g), 0));
    store<f32>(dA + o, f32x4.extract_lane(swigluGradA(v, s, t), 0));
  }
}

/** `t · σ(1 + v(1 − σ))`: siluGrad with σ already known. */
// @ts-ignore: decorator
@inline function swigluGradA(v: v128, s: v128, t: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.mul(t, f32x4.mul(s, f32x4.add(one, f32x4.mul(v, f32x4.sub(one, s)))));
}

/** `out = max(x, 0)`; f32x4.max propagates NaN. */
export function reluForward(out: usize, x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.max(v128.load(x + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, max<f32>(load<f32>(x + o), 0));
  }
}

/** `dx = dy · [x > 0]`, as a select so that masked lanes give 0 even where dy is NaN. */
export function reluBackward(dx: usize, x: usize, dy: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
