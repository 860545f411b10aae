// Row softmax, log-softmax and masked cross-entropy. Rows are max-subtracted before
// exponentiating; a NaN anywhere in a row makes its max NaN and so the whole row NaN.

import { scale as scaleRow } from './elementwise';
import { expv, exps, hsum, shiftMax, zeroFloats } from './math';

/** Writes `exp(x − mx)` of a row to `out` and returns its sum. `out` may alias `x`. */
function expShifted(out: usize, x: usize, mx: f32, n: i32): f32 {
  const mv = f32x4.splat(mx);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const e = expv(f32x4.sub(v128.load(x + o), mv));
    v128.store(out + o, e);
    acc = f32x4.add(acc, e);
  }
  let s = hsum(acc);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exps(load<f32>(x + o) - mx);
    store<f32>(out + o, e);
    s += e;
  }
  return s;
}

/** `x[j] = x[j] · s + t` over a row. */
function affine(x: usize, s: f32, t: f32, n: i32): void {
  const sv = f32x4.splat(s), tv = f32x4.splat(t);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(x + o, f32x4.add(f32x4.mul(v128.load(x + o), sv), tv));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(x + o, load<f32>(x + o) * s + t);
  }
}

/** Σ a[j]·b[j] over a row. */
function dot(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(acc);
  for (; j < n; j++) s += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return s;
}

/** Row softmax. */
export function softmaxForward(out: usize, x: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  if (cols <= 4) {
    if (cols > 0) softmaxNarrow(out, x, rows, cols);
    return;
  }
  for (let r = 0; r < rows; r++, out += row, x += row) {
    const sum = expShifted(out, x, shiftMax(x, cols), cols);
    affine(out, 1 / sum, 0, cols);
  }
}

/**
 * {@link softmaxForward} of rows of at most four entries (a router's scores), one vector
 * per row instead of a scalar tail of full-width exps: the same max, the same lane-wise
 * exps, the sum in the order the general path adds them, the same scaling, so the same
 * bits. Lanes past `cols` are never summed or stored.
 */
function softmaxNarrow(out: usize, x: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, out += row, x += row) {
    let v: v128;
    if (cols == 4) v = v128.load(x);
    else {
      // Missing lanes repeat the first entry: it leaves the max alone, and its exp stays
      // a normal number (a −∞ pad would make exp's scaling subnormal, which is slow).
      v = v128.load32_splat(x);
      if (cols > 1) v = f32x4.replace_lane(v, 1, load<f32>(x, 4));
      if (cols > 2) v = f32x4.replace_lane(v, 2, load<f32>(x, 8));
    }
    const m2 = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    const mx = f32x4.pmax(m2, v128.shuffle<f32>(m2, m2, 1, 0, 3, 2));
    const e = expv(f32x4.sub(v, mx));
    // A vector of four sums as hsum does; shorter rows add one entry after another.
    const sum = cols == 4
      ? hsum(e)
      : f32x4.extract_lane(e, 0) + (cols > 1 ? f32x4.extract_lane(e, 1) : 0) + (cols > 2 ? f32x4.extract_lane(e, 2) : 0);
    const y = f32x4.add(f32x4.mul(e, f32x4.splat(1 / sum)), f32x4.splat(0));
    if (cols == 4) v128.store(out, y);
    else {
      store<f32>(out, f32x4.extract_lane(y, 0));
      if (cols > 1) store<f32>(out, f32x4.extract_lane(y, 1), 4);
      if (cols > 2) store<f32>(out, f32x4.extract_lane(y, 2), 8);
    }
  }
}

/**
 * The softmax over `count` vectors at `v` (four rows in the lanes, vector `j` being
 * column j), in place, with the arithmetic of {@link softmaxForward} on each row: the
 * row's maximum, lane-wise exps, the sum in the order its row paths add (a four-lane
 * accumulator then the tail for five or more columns, else one after another), then
 * `e · (1/sum) + 0`. So the same bits, row by row.
 */
export function softmaxLanes(v: usize, count: i32): void {
  let m = v128.load(v);
  for (let j = 1; j < count; j++) m = f32x4.pmax(m, v128.load(v + (<usize>j << 4)));
  for (let j = 0; j < count; j++) {
    const at = v + (<usize>j << 4);
    v128.store(at, expv(f32x4.sub(v128.load(at), m)));
  }
  let sum: v128;
  if (count <= 4) {
    sum = v128.load(v);
    if (count == 4) {
      sum = f32x4.add(f32x4.add(sum, v128.load(v, 32)), f32x4.add(v128.load(v, 16), v128.load(v, 48)));
    } else {
      sum = f32x4.add(sum, count > 1 ? v128.load(v, 16) : f32x4.splat(0));
      sum = f32x4.add(sum, count > 2 ? v128.load(v, 32) : f32x4.splat(0));
    }
  } else {
    const whole = count & ~3;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let j = 0; j < whole; j += 4) {
      const at = v + (<usize>j << 4);
      a0 = f32x4.add(a0, v128.load(at));
      a1 = f32x4.add(a1, v128.load(at, 16));
      a2 = f32x4.add(a2, v128.load(at, 32));
      a3 = f32x4.add(a3, v128.load(at, 48));
    }
    sum = f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3));
    for (let j = whole; j < count; j++) sum = f32x4.add(sum, v128.load(v + (<usize>j << 4)));
  }
  const inv = f32x4.div(f32x4.splat(1), sum);
  const zero = f32x4.splat(0);
  for (let j = 0; j < count; j++) {
    const at = v + (<usize>j << 4);
    v128.store(at, f32x4.add(f32x4.mul(v128.load(at), inv), zero));
  }
}

/** `dx = y ⊙ (dy − Σ y·dy)` per row; `dx` may alias `dy`. */
export function softmaxBackward(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, dx += row, y += row, dy += row) {
    const d = f32x4.splat(dot(y, dy, cols));
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(dx + o, f32x4.mul(v128.load(y + o), f32x4.sub(v128.load(dy + o), d)));
    }
    const ds = f32x4.extract_lane(d, 0);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(dx + o, load<f32>(y + o) * (load<f32>(dy + o) - ds));
    }
  }
}

/** Writes `exp(s·x − s·mx)` of a row to `out` and returns its sum (`s > 0`). `out` may alias `x`. */
function expScaled(out: usize, x: usize, s: f32, mx: f32, n: i32): f32 {
  const sv = f32x4.splat(s);
  const mv = f32x4.splat(s * mx);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const e = expv(f32x4.sub(f32x4.mul(v128.load(x + o), sv), mv));
    v128.store(out + o, e);
    acc = f32x4.add(acc, e);
  }
  let sum = hsum(acc);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const e = exps(load<f32>(x + o) * s - s * mx);
    store<f32>(out + o, e);
    sum += e;
  }
  return sum;
}

/**
 * {@link shiftMax} of a band with four independent maxima, whose one-vector chain of
 * dependent maxima made it a third of a long band's cost. The same value: the maximum of
 * the non-NaN elements does not depend on the order (but for the sign of a zero maximum,
 * which `x − max` and `scale·max` then turn into the same exponentials).
 */
function bandMax(x: usize, n: i32): f32 {
  let a = f32x4.splat(-Infinity);
  let b = a;
  let c = a;
  let d = a;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const o = x + (<usize>j << 2);
    a = f32x4.pmax(a, v128.load(o));
    b = f32x4.pmax(b, v128.load(o, 16));
    c = f32x4.pmax(c, v128.load(o, 32));
    d = f32x4.pmax(d, v128.load(o, 48));
  }
  for (; j + 4 <= n; j += 4) a = f32x4.pmax(a, v128.load(x + (<usize>j << 2)));
  // pmax keeps its first operand against a NaN, so no lane is NaN.
  const m = f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(c, d));
  let s = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v > s) s = v;
  }
  return s;
}

/**
 * Banded softmax of `scale·x`: row r covers columns lo[r] … hi[r]−1, everything else
 * becomes 0. The wrapper has checked the bands and `scale > 0` (so the max of `scale·x`
 * is `scale` times the max of x).
 */
export function maskedSoftmaxForward(out: usize, x: usize, lo: usize, hi: usize, scale: f32, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, out += row, x += row) {
    const a = load<i32>(lo + (<usize>r << 2));
    const b = load<i32>(hi + (<usize>r << 2));
    const start = <usize>a << 2;
    if (b > a) {
      // With scale 1 (CoPE has scaled already) `x·1 − 1·max` is `x − max`: the same bits
      // without the multiply. The exponentials are ≥ +0, so `e·(1/Σ)` needs no `+ 0`.
      const n = b - a;
      const mx = bandMax(x + start, n);
      const sum = scale == 1 ? expShifted(out + start, x + start, mx, n) : expScaled(out + start, x + start, scale, mx, n);
      scaleRow(out + start, out + start, 1 / sum, n);
    }
    zeroFloats(out, a);
    zeroFloats(out + (<usize>b << 2), cols - b);
  }
}

/**
 * {@link dot} of two rows' bands at once, each its own sum in its own order (lane by
 * lane, then {@link hsum} and the tail): the same bits, but the two chains of dependent
 * vector adds interleave instead of one waiting on the other. Lanes 0 and 1 hold them.
 */
function dotPair(a0: usize, b0: usize, n0: i32, a1: usize, b1: usize, n1: i32): v128 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n0 && j + 4 <= n1; j += 4) {
    const o = <usize>j << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a0 + o), v128.load(b0 + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a1 + o), v128.load(b1 + o)));
  }
  let j0 = j;
  for (; j0 + 4 <= n0; j0 += 4) acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a0 + (<usize>j0 << 2)), v128.load(b0 + (<usize>j0 << 2))));
  let j1 = j;
  for (; j1 + 4 <= n1; j1 += 4) acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a1 + (<usize>j1 << 2)), v128.load(b1 + (<usize>j1 << 2))));
  let s0 = hsum(acc0);
  for (; j0 < n0; j0++) s0 += load<f32>(a0 + (<usize>j0 << 2)) * load<f32>(b0 + (<usize>j0 << 2));
  let s1 = hsum(acc1);
  for (; j1 < n1; j1++) s1 += load<f32>(a1 + (<usize>j1 << 2)) * load<f32>(b1 + (<usize>j1 << 2));
  return f32x4.replace_lane(f32x4.splat(s0), 1, s1);
}

/** `dx = scale · y ⊙ (dy − Σ_band y·dy)` on each band, 0 elsewhere; `dx` may alias `dy`. */
export function maskedSoftmaxBackward(dx: usize, y: usize, dy: usize, lo: usize, hi: usize, scale: f32, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  let dots = f32x4.splat(0);
  for (let r = 0; r < rows; r++, dx += row, y += row, dy += row) {
    const a = load<i32>(lo + (<usize>r << 2));
    const b = load<i32>(hi + (<usize>r << 2));
    const start = <usize>a << 2;
    const n = b - a;
    // Rows go in pairs for their sums (see dotPair): the odd row takes the second.
    if ((r & 1) == 0) {
      if (r + 1 < rows) {
        const a1 = load<i32>(lo + (<usize>(r + 1) << 2));
        const n1 = load<i32>(hi + (<usize>(r + 1) << 2)) - a1;
        const s1 = <usize>a1 << 2;
        dots = dotPair(y + start, dy + start, n, y + row + s1, dy + row + s1, n1);
      } else {
        dots = f32x4.splat(dot(y + start, dy + start, n));
      }
    }
    const d = (r & 1) == 0 ? f32x4.extract_lane(dots, 0) : f32x4.extract_lane(dots, 1);
    const dv = f32x4.splat(d);
    const sv = f32x4.splat(scale);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = start + (<usize>j << 2);
      v128.store(dx + o, f32x4.mul(f32x4.mul(v128.load(y + o), f32x4.sub(v128.load(dy + o), dv)), sv));
    }
    for (; j < n; j++) {
      const o = start + (<usize>j << 2);
      store<f32>(dx + o, load<f32>(y + o) * (load<f32>(dy + o) - d) * scale);
    }
    zeroFloats(dx, a);
    zeroFloats(dx + (<usize>b << 2), cols - b);
  }
}

/** Row log-softmax: `x − max − log Σ exp(x − max)`; `out` may alias `x`. */
export function logSoftmaxForward(out: usize, x: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, out += row, x += row) {
    const mx = shiftMax(x, cols);
    // Only the sum is needed, so nothing is written before `x` has been read in full.
    const lse = mx + <f32>Math.log(expSum(x, mx, cols));
    const sv = f32x4.splat(lse);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, f32x4.sub(v128.load(x + o), sv));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, load<f32>(x + o) - lse);
    }
  }
}

/** Σ exp(x − mx) over a row, without writing anything. */
function expSum(x: usize, mx: f32, n: i32): f32 {
  const mv = f32x4.splat(mx);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) acc = f32x4.add(acc, expv(f32x4.sub(v128.load(x + (<usize>j << 2)), mv)));
  let s = hsum(acc);
  for (; j < n; j++) s += exps(load<f32>(x + (<usize>j << 2)) - mx);
  return s;
}

/** `dx = dy − exp(y) · Σ dy` per row; `dx` may alias `dy`. */
export function logSoftmaxBackward(dx: usize, y: usize, dy: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, dx += row, y += row, dy += row) {
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) acc = f32x4.add(acc, v128.load(dy + (<usize>j << 2)));
    let s = hsum(acc);
    for (; j < cols; j++) s += load<f32>(dy + (<usize>j << 2));
    const sv = f32x4.splat(s);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(dx + o, f32x4.sub(v128.load(dy + o), f32x4.mul(expv(v128.load(y + o)), sv)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(dx + o, load<f32>(dy + o) - exps(load<f32>(y + o)) * s);
    }
  }
}

/**
 * Softmax of every row into `probs`; returns the mean over rows with a target ≥ 0 of
 * `−log p[target]`, computed as `max + log Σ − x[target]` so it stays finite where the
 * probability underflows. 0 when every row is masked.
 */
export function crossEntropyForward(probs: usize, logits: usize, targets: usize, rows: i32, cols: i32): f64 {
  const row = <usize>cols << 2;
  let total: f64 = 0;
  let count = 0;
  for (let r = 0; r < rows; r++, probs += row, logits += row) {
    const mx = shiftMax(logits, cols);
    const sum = expShifted(probs, logits, mx, cols);
    affine(probs, 1 / sum, 0, cols);
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) continue;
    total += <f64>mx + Math.log(<f64>sum) - <f64>load<f32>(logits + (<usize>t << 2));
    count++;
  }
  return count == 0 ? 0 : total / count;
}

/** `dLogits = dLoss · (probs − onehot(target)) / count` on unmasked rows, 0 on masked ones. */
export function crossEntropyBackward(dLogits: usize, probs: usize, targets: usize, dLoss: f32, rows: i32, cols: i32): void {
  let count = 0;
  for (let r = 0; r < rows; r++) if (load<i32>(targets + (<usize>r << 2)) >= 0) count++;
  const row = <usize>cols << 2;
  const s: f32 = count == 0 ? 0 : dLoss / <f32>count;
  for (let r = 0; r < rows; r++, dLogits += row, probs += row) {
    const t = load<i32>(targets + (<usize>r << 2));
    if (t < 0) {
      memory.fill(dLogits, 0, row);
      continue;
    }
    memory.copy(dLogits, probs, row);
    affine(dLogits, s, 0, cols);
    const o = dLogits + (<usize>t << 2);
    store<f32>(o, load<f32>(o) - s);
  }
}
