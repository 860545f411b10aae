/**
 * Reference dense matrix products: `out(m,n) = A(m,k) · B(k,n)` in the three storage
 * layouts (`matmul`, `matmulTN` with A stored `(k,m)`, `matmulNT` with B stored `(n,k)`).
 *
 * Shapes: `a` `(m,k)` or `(k,m)`, `b` `(k,n)` or `(n,k)`, `out` `(m,n)`; every matrix
 * has an optional row stride (`lda`, `ldb`, `ldc`).
 *
 * All three layouts, and the row-gathered `matmulRows`/`matmulNTRows`, go through one
 * strided core, {@link gemmStrided}: element `A(i,p)` lives at `a[i·aRowStep + p·aColStep]`
 * and `B(p,j)` at `b[p·bRowStep + j·bColStep]`, so a transpose is just swapped steps.
 * The core walks 4×4 output tiles held in 16 local (float64) accumulators, which V8
 * keeps in registers; the remainder rows and columns use a scalar dot product.
 *
 * @packageDocumentation
 */

/**
 * The strided product core. `rowMap`, when given, maps the logical row `i` to the
 * physical row `rowMap[i]` of `a`, and `outMap` (by default the same) to that of `out`
 * (row-gathered products; a null `outMap` with a `rowMap` writes them compactly).
 */
export function gemmStrided(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate: boolean,
  aRowStep: number,
  aColStep: number,
  bRowStep: number,
  bColStep: number,
  ldc: number,
  rowMap: Int32Array | null,
  outMap: Int32Array | null = rowMap,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    // An empty contraction is a zero matrix: overwrite with 0, or add nothing.
    if (!accumulate) {
      for (let i = 0; i < m; i++) {
        const oRow = (outMap === null ? i : outMap[i]) * ldc;
        out.fill(0, oRow, oRow + n);
      }
    }
    return;
  }
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  const a1 = aRowStep;
  const b1 = bColStep;
  const b2 = 2 * bColStep;
  const b3 = 3 * bColStep;

  for (let i = 0; i < m4; i += 4) {
    // Physical row offsets of the four A rows and four output rows of this tile.
    const r0 = rowMap === null ? i : rowMap[i];
    const r1 = rowMap === null ? i + 1 : rowMap[i + 1];
    const r2 = rowMap === null ? i + 2 : rowMap[i + 2];
    const r3 = rowMap === null ? i + 3 : rowMap[i + 3];
    const ar0 = r0 * a1;
    const ar1 = r1 * a1;
    const ar2 = r2 * a1;
    const ar3 = r3 * a1;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = 0;
      let pb = j * bColStep;
      for (let p = 0; p < k; p++) {
        const x0 = a[ar0 + pa];
        const x1 = a[ar1 + pa];
        const x2 = a[ar2 + pa];
        const x3 = a[ar3 + pa];
        const y0 = b[pb];
        const y1 = b[pb + b1];
        const y2 = b[pb + b2];
        const y3 = b[pb + b3];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
        pa += aColStep;
        pb += bRowStep;
      }
      const o0 = outMap === null ? i : outMap[i];
      const o1 = outMap === null ? i + 1 : outMap[i + 1];
      const o2 = outMap === null ? i + 2 : outMap[i + 2];
      const o3 = outMap === null ? i + 3 : outMap[i + 3];
      storeRow(out, o0 * ldc + j, c00, c01, c02, c03, accumulate);
      storeRow(out, o1 * ldc + j, c10, c11, c12, c13, accumulate);
      storeRow(out, o2 * ldc + j, c20, c21, c22, c23, accumulate);
      storeRow(out, o3 * ldc + j, c30, c31, c32, c33, accumulate);
    }
  }

  // Remainders: the last n % 4 columns of the tiled rows, then the last m % 4 rows.
  for (let i = 0; i < m; i++) {
    const r = rowMap === null ? i : rowMap[i];
    const jStart = i < m4 ? n4 : 0;
    for (let j = jStart; j < n; j++) {
      let acc = 0;
      let pa = r * aRowStep;
      let pb = j * bColStep;
      for (let p = 0; p < k; p++) {
        acc += a[pa] * b[pb];
        pa += aColStep;
        pb += bRowStep;
      }
      const o = (outMap === null ? i : outMap[i]) * ldc + j;
      out[o] = accumulate ? out[o] + acc : acc;
    }
  }
}

/** Writes (or adds) four accumulated values at `out[o..o+3]`. */
export function storeRow(
  out: Float32Array,
  o: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  accumulate: boolean,
): void {
  if (accumulate) {
    out[o] += c0;
    out[o + 1] += c1;
    out[o + 2] += c2;
    out[o + 3] += c3;
  } else {
    out[o] = c0;
    out[o + 1] = c1;
    out[o + 2] = c2;
    out[o + 3] = c3;
  }
}

/** `out(m,n) = a(m,k) · b(k,n)`, or `+=` when `accumulate`. */
export function matmul(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
  lda = k,
  ldb = n,
  ldc = n,
): void {
  gemmStrided(out, a, b, m, k, n, accumulate, lda, 1, ldb, 1, ldc, null);
}

/** `out(m,n) = aᵀ · b` with `a` stored `(k,m)`: the weight gradient of `matmul`. */
export function matmulTN(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
  lda = m,
  ldb = n,
  ldc = n,
): void {
  gemmStrided(out, a, b, m, k, n, accumulate, 1, lda, ldb, 1, ldc, null);
}

/** `out(m,n) = a · bᵀ` with `b` stored `(n,k)`: the input gradient of `matmul`. */
export function matmulNT(
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  accumulate = false,
  lda = k,
  ldb = k,
  ldc = n,
): void {
  gemmStrided(out, a, b, m, k, n, accumulate, lda, 1, 1, ldb, ldc, null);
}
