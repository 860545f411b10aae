// Element-wise arithmetic and row gathers. Outputs may alias inputs where the
// interface allows it: each element is read before it is written.

/** `out = a + b`. */
export function add(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** `out = a ⊙ b`. */
export function mul(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** `out = s · a`. */
export function scale(out: usize, a: usize, s: f32, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * s);
  }
}

/** `y += alpha · x`. */
export function axpy(y: usize, alpha: f32, x: usize, n: i32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

/** `out[r] = table[ids[r]]` for `r < count`, rows of `cols` floats. */
export function gatherRows(out: usize, table: usize, ids: usize, count: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  if (cols <= SHORT_ROW && (cols & 3) == 0) {
    // Short rows (a head's 16 queries): vector moves, where memory.copy's call into the
    // engine cost more than the copy (a row of 16 took ~50 ns).
    for (let r = 0; r < count; r++) {
      const src = table + <usize>load<i32>(ids + (<usize>r << 2)) * bytes;
      const dst = out + <usize>r * bytes;
      for (let o: usize = 0; o < bytes; o += 16) v128.store(dst + o, v128.load(src + o));
    }
    return;
  }
  for (let r = 0; r < count; r++) {
    const id = <usize>load<i32>(ids + (<usize>r << 2));
    memory.copy(out + <usize>r * bytes, table + id * bytes, bytes);
  }
}

/** Longest row (floats) that {@link gatherRows} moves with vector loads and stores rather than memory.copy. */
const SHORT_ROW: i32 = 64;

/** `dTable[ids[r]] += dOut[r]` for `r < count`; repeated ids add up in order. */
export function scatterAddRows(dTable: usize, dOut: usize, ids: usize, count: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const dst = dTable + <usize>load<i32>(ids + (<usize>r << 2)) * bytes;
    axpy(dst, 1, dOut + <usize>r * bytes, cols);
  }
}
