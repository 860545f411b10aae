import { gemm } from './gemm';
import { tile2x16 } from './gemm-tiles';
import { madd } from './math';

// The A·Bᵀ products of the fused attention kernels at head width 16: the scores
// `Q·Kᵀ`, `dP = dO·Vᵀ` and CoPE's `q·E`, each `count × 16 × n` with count ≤ 32 rows.
// The general path (matmul.ts) spends a large share of such short products outside the
// arithmetic: it transposes B into a panel, packs A, and its tiles step through k = 16
// with a loop counter and two pointer bumps per step. Here the inner size is fixed, so:
// - A is read in place: its rows are 64 bytes apart, every broadcast an immediate offset;
// - B is packed once into 8-column strips of Bᵀ (`(p, j)` at `(j >> 3)·512 + p·32 +
//   (j & 7)·4`), so every B load of a tile is an immediate offset too;
// - the tile's loop runs four steps per iteration;
// - a block's last one or two rows take a two-row tile instead of a five-row tile over
//   dummy rows (32 rows = six tiles of five plus one of two).
// Every output element is still the chain `c = madd(a_p, b_p, c)` from 0 over p = 0 … 15
// in order, as in gemm-tiles.ts, so the bits are those of matmulNT.

/** Bytes of a strip panel holding `n` columns (see {@link packStrips16}). */
// @ts-ignore: decorator
@inline export function stripBytes(n: i32): usize {
  return <usize>((n + 7) >> 3) << 9;
}

/** Bytes of the output scratch {@link productNT16} takes: a 5×8 tile and a 16-float dummy row. */
export const NT16_TMP_BYTES: usize = 224;

/**
 * Packs the `n` rows of `b` (16 floats each, `bRow` bytes apart) as strips of Bᵀ: row j of
 * B becomes column j, at `dst + (j >> 3)·512 + p·32 + (j & 7)·4`. The last strip's
 * missing columns become zeroes, so a tile over them reads defined values.
 */
export function packStrips16(dst: usize, b: usize, bRow: usize, n: i32): void {
  const n4 = n & ~3;
  let j = 0;
  for (; j < n4; j += 4) {
    const s0 = b + <usize>j * bRow, s1 = s0 + bRow, s2 = s1 + bRow, s3 = s2 + bRow;
    let d = dst + (<usize>(j >> 3) << 9) + (<usize>(j & 7) << 2);
    // 4×4 blocks of (key, p) transposed through lane shuffles, four p at a time.
    for (let o: usize = 0; o < 64; o += 16, d += 128) {
      const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
      v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
      v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
    }
  }
  const end = (n + 7) & ~7;
  for (; j < end; j++) {
    const s = b + <usize>j * bRow;
    const d = dst + (<usize>(j >> 3) << 9) + (<usize>(j & 7) << 2);
    for (let p = 0; p < 16; p++) store<f32>(d + (<usize>p << 5), j < n ? load<f32>(s + (<usize>p << 2)) : 0);
  }
}

/**
 * Five rows by `strips` strips: row r of tile s (8 floats at `c + r·cRow + 32s`) gets
 * `Σ_p a[r·16 + p] · strip_s(p, ·)` over p < 16, four steps per loop iteration. The
 * strips loop runs here, not in the caller: a tile of k = 16 is only 160 multiply-adds,
 * and a call per tile costs a good share of that.
 */
function tile5x8k16(c: usize, cRow: usize, a0: usize, b: usize, strips: i32): void {
  for (let t = 0; t < strips; t++, c += 32) {
  let a = a0;
  let x00 = f32x4.splat(0), x01 = x00, x10 = x00, x11 = x00, x20 = x00;
  let x21 = x00, x30 = x00, x31 = x00, x40 = x00, x41 = x00;
  for (let i = 0; i < 4; i++, a += 16, b += 128) {
    let b0 = v128.load(b), b1 = v128.load(b, 16);
    let s = v128.load32_splat(a);
    x00 = madd(s, b0, x00); x01 = madd(s, b1, x01);
    s = v128.load32_splat(a, 64); x10 = madd(s, b0, x10); x11 = madd(s, b1, x11);
    s = v128.load32_splat(a, 128); x20 = madd(s, b0, x20); x21 = madd(s, b1, x21);
    s = v128.load32_splat(a, 192); x30 = madd(s, b0, x30); x31 = madd(s, b1, x31);
    s = v128.load32_splat(a, 256); x40 = madd(s, b0, x40); x41 = madd(s, b1, x41);
    b0 = v128.load(b, 32); b1 = v128.load(b, 48);
    s = v128.load32_splat(a, 4); x00 = madd(s, b0, x00); x01 = madd(s, b1, x01);
    s = v128.load32_splat(a, 68); x10 = madd(s, b0, x10); x11 = madd(s, b1, x11);
    s = v128.load32_splat(a, 132); x20 = madd(s, b0, x20); x21 = madd(s, b1, x21);
    s = v128.load32_splat(a, 196); x30 = madd(s, b0, x30); x31 = madd(s, b1, x31);
    s = v128.load32_splat(a, 260); x40 = madd(s, b0, x40); x41 = madd(s, b1, x41);
    b0 = v128.load(b, 64); b1 = v128.load(b, 80);
    s = v128.load32_splat(a, 8); x00 = madd(s, b0, x00); x01 = madd(s, b1, x01);
    s = v128.load32_splat(a, 72); x10 = madd(s, b0, x10); x11 = madd(s, b1, x11);
    s = v128.load32_splat(a, 136); x20 = madd(s, b0, x20); x21 = madd(s, b1, x21);
    s = v128.load32_splat(a, 200); x30 = madd(s, b0, x30); x31 = madd(s, b1, x31);
    s = v128.load32_splat(a, 264); x40 = madd(s, b0, x40); x41 = madd(s, b1, x41);
    b0 = v128.load(b, 96); b1 = v128.load(b, 112);
    s = v128.load32_splat(a, 12); x00 = madd(s, b0, x00); x01 = madd(s, b1, x01);
    s = v128.load32_splat(a, 76); x10 = madd(s, b0, x10); x11 = madd(s, b1, x11);
    s = v128.load32_splat(a, 140); x20 = madd(s, b0, x20); x21 = madd(s, b1, x21);
    s = v128.load32_splat(a, 204); x30 = madd(s, b0, x30); x31 = madd(s, b1, x31);
    s = v128.load32_splat(a, 268); x40 = madd(s, b0, x40); x41 = madd(s, b1, x41);
  }
  const c1 = c + cRow, c2 = c1 + cRow, c3 = c2 + cRow, c4 = c3 + cRow;
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
  v128.store(c4, x40); v128.store(c4, x41, 16);
  }
}

/**
 * Two rows by two strips, `b` and `b2` (stored only when `wide`; else `b2 = b`, so no read
 * passes the panel): the last rows of a block, see {@link tile5x8k16}.
 */
function tile2x16k16(c0: usize, c1: usize, a: usize, b: usize, b2: usize, wide: bool): void {
  let x00 = f32x4.splat(0), x01 = x00, x02 = x00, x03 = x00;
  let x10 = x00, x11 = x00, x12 = x00, x13 = x00;
  for (let p = 0; p < 16; p++, a += 4, b += 32, b2 += 32) {
    const v0 = v128.load(b), v1 = v128.load(b, 16), v2 = v128.load(b2), v3 = v128.load(b2, 16);
    const s0 = v128.load32_splat(a), s1 = v128.load32_splat(a, 64);
    x00 = madd(s0, v0, x00); x01 = madd(s0, v1, x01); x02 = madd(s0, v2, x02); x03 = madd(s0, v3, x03);
    x10 = madd(s1, v0, x10); x11 = madd(s1, v1, x11); x12 = madd(s1, v2, x12); x13 = madd(s1, v3, x13);
  }
  v128.store(c0, x00); v128.store(c0, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  if (wide) {
    v128.store(c0, x02, 32); v128.store(c0, x03, 48);
    v128.store(c1, x12, 32); v128.store(c1, x13, 48);
  }
}

/** Copies `n` floats of each of `h` rows from the tile scratch (rows 32 bytes apart) to C. */
function copyTail(c: usize, cRow: usize, tmp: usize, h: i32, n: i32): void {
  for (let r = 0; r < h; r++) memory.copy(c + <usize>r * cRow, tmp + (<usize>r << 5), <usize>n << 2);
}

/**
 * `C(m, n) = A·Bᵀ` for A `(m, 16)` with rows 64 bytes apart, B packed by
 * {@link packStrips16} and C rows `cRow` bytes apart; `tmp` holds {@link NT16_TMP_BYTES}.
 * Columns past the last full strip are computed into `tmp` and copied, so nothing
 * beyond column n − 1 of C is written.
 */
export function productNT16(c: usize, cRow: usize, a: usize, strips: usize, m: i32, n: i32, tmp: usize): void {
  const n8 = n & ~7;
  const tail = n - n8;
  const dummy = tmp + 160;
  let i = 0;
  for (; i + 5 <= m; i += 5) {
    const c0 = c + <usize>i * cRow;
    const ai = a + (<usize>i << 6);
    if (n8 > 0) tile5x8k16(c0, cRow, ai, strips, n8 >> 3);
    if (tail > 0) {
      tile5x8k16(tmp, 32, ai, strips + (<usize>n8 << 6), 1);
      copyTail(c0 + (<usize>n8 << 2), cRow, tmp, 5, tail);
    }
  }
  // The last one to four rows, two at a time; a missing second row writes `dummy`.
  for (; i < m; i += 2) {
    const two = i + 1 < m;
    const c0 = c + <usize>i * cRow;
    const c1 = two ? c0 + cRow : dummy;
    const ai = a + (<usize>i << 6);
    let j = 0;
    for (; j + 16 <= n8; j += 16) {
      const o = <usize>j << 2;
      const b = strips + (<usize>j << 6);
      tile2x16k16(c0 + o, two ? c1 + o : dummy, ai, b, b + 512, true);
    }
    if (j < n8) {
      const o = <usize>j << 2;
      const b = strips + (<usize>j << 6);
      tile2x16k16(c0 + o, two ? c1 + o : dummy, ai, b, b, false);
      j += 8;
    }
    if (tail > 0) {
      const b = strips + (<usize>n8 << 6);
      tile2x16k16(tmp, tmp + 32, ai, b, b, false);
      copyTail(c0 + (<usize>n8 << 2), cRow, tmp, two ? 2 : 1, tail);
    }
  }
}

/**
 * `C(m, 16) (+)= A(m, k)·B(k, 16)` with `A(r, p)` at `a + r·aRow + p·aStep` (row-major A,
 * or Aᵀ·B with `aRow` 4) and B, C row-major (rows `bRow`, `cRow` bytes apart): gemm on
 * the whole five-row blocks, then the last one to four rows two at a time, where gemm
 * would run a five-row tile over dummy rows (or a one-row product). A lone last row's
 * partner reads it again and writes the dummy row in `tmp` ({@link NT16_TMP_BYTES});
 * `scratch` is gemm's. Same bits as matmul.ts: one chain over p per element.
 */
export function product16(
  c: usize, cRow: usize, a: usize, aRow: usize, aStep: usize, b: usize, bRow: usize, m: i32, k: i32, accumulate: bool,
  tmp: usize, scratch: usize,
): void {
  let i = m - m % 5;
  if (i > 0) gemm(c, a, b, 0, i, k, 16, aRow, aStep, bRow, cRow, accumulate, scratch);
  for (; i < m; i += 2) {
    const c0 = c + <usize>i * cRow, a0 = a + <usize>i * aRow;
    const two = i + 1 < m;
    tile2x16(c0, two ? c0 + cRow : tmp + 160, a0, two ? a0 + aRow : a0, aStep, b, bRow, k, accumulate);
  }
}
