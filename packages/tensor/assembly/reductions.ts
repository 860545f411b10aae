// Whole-buffer reductions, column sums and per-row top-k. Sums and norms accumulate in
// f64 lanes, matching the reference's float64 accumulation on long buffers.

import { rowMax } from './math';

/** Σ x, accumulated in f64. */
export function sum(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = a0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  a0 = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

/** Σ x², accumulated in f64. */
export function sumSquares(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = a0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    a0 = f64x2.add(a0, f64x2.mul(lo, lo));
    a1 = f64x2.add(a1, f64x2.mul(hi, hi));
  }
  a0 = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** Max of x: −∞ for n = 0, NaN if any element is NaN. */
export function max(x: usize, n: i32): f32 {
  return rowMax(x, n);
}

/** `out[j] (+)= Σ_i x[i, j]`. */
export function sumRows(out: usize, x: usize, rows: i32, cols: i32, accumulate: bool): void {
  if (!accumulate) memory.fill(out, 0, <usize>cols << 2);
  const row = <usize>cols << 2;
  for (let r = 0; r < rows; r++, x += row) {
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(x + o)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(x + o));
    }
  }
}

/** Whether `a` ranks above `b`: larger, and any number above NaN. Ties keep the earlier. */
// @ts-ignore: decorator
@inline function ranksAbove(a: f32, b: f32): bool {
  return a > b || (b != b && a == a);
}

/** Widest rows that {@link topK} ranks instead of sorting by insertion. */
const RANKED_COLS: i32 = 16;

/**
 * {@link topK} for short rows (a router's few heads), without the insertion's
 * data-dependent branches, which mispredict on every other element of random scores:
 * each entry's place is the number of entries that rank above it or tie with it from an
 * earlier column. `ranksAbove` is a strict weak order (numbers by value, NaNs after
 * them, all NaNs tied), so these places are those of the stable descending order that
 * the insertion builds: the same output, bit for bit.
 */
function topKRanked(indices: usize, values: usize, x: usize, k: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * (<usize>cols << 2);
    const vr = values + <usize>r * (<usize>k << 2);
    const ir = indices + <usize>r * (<usize>k << 2);
    for (let j = 0; j < cols; j++) {
      const v = load<f32>(xr + (<usize>j << 2));
      let place = 0;
      for (let i = 0; i < cols; i++) {
        const a = load<f32>(xr + (<usize>i << 2));
        place += <i32>(ranksAbove(a, v) || (i < j && !ranksAbove(v, a)));
      }
      if (place < k) {
        store<f32>(vr + (<usize>place << 2), v);
        store<i32>(ir + (<usize>place << 2), j);
      }
    }
  }
}

/**
 * The `k` largest entries of each row, in descending order, by insertion into the
 * sorted output: O(cols · k) worst case, which suits the small k of routing. A newer
 * element never passes an equal one, so ties keep the lower index.
 */
export function topK(indices: usize, values: usize, x: usize, k: i32, rows: i32, cols: i32): void {
  if (k == 0) return;
  if (cols <= RANKED_COLS) {
    topKRanked(indices, values, x, k, rows, cols);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * (<usize>cols << 2);
    const vr = values + <usize>r * (<usize>k << 2);
    const ir = indices + <usize>r * (<usize>k << 2);
    let size = 0;
    for (let j = 0; j < cols; j++) {
      const v = load<f32>(xr + (<usize>j << 2));
      if (size == k && !ranksAbove(v, load<f32>(vr + (<usize>(k - 1) << 2)))) continue;
      let pos = size < k ? size++ : k - 1;
      while (pos > 0 && ranksAbove(v, load<f32>(vr + (<usize>(pos - 1) << 2)))) {
        store<f32>(vr + (<usize>pos << 2), load<f32>(vr + (<usize>(pos - 1) << 2)));
        store<i32>(ir + (<usize>pos << 2), load<i32>(ir + (<usize>(pos - 1) << 2)));
        pos--;
      }
      store<f32>(vr + (<usize>pos << 2), v);
      store<i32>(ir + (<usize>pos << 2), j);
    }
  }
}
