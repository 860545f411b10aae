// The Mixture-of-Heads router's row-wise part (kernels/route.ts states the contract):
// from the router's logits to the probabilities, the top-k selection and the head gates,
// and back from the gates' gradient to the logits'. One call per layer and pass instead
// of a transpose, three softmax calls, a top-k call and four TypeScript loops, which at
// a prefill's 80 rows cost several times the router's product.
//
// Row by row it calls the very softmax and top-k functions of the batched kernels (a row
// of a batched call is computed alone, so the bits are theirs), and forms the gates in
// float64 with the operations, in the order, of the TypeScript loops it replaces.
// Pointers are byte offsets; sizes are elements.
//
// Shapes: N rows, hs shared and hr routed heads, H = hs + hr, E = H + 2, k selected.
// `logitsT (E, N)`: rows s, r, α; `gates`, `dGates (N, H)`; `s (N, hs)`; `r`, `base
// (N, hr)`; `alpha (N, 2)`; `indices (N, k)`; `balance (hr)` float64; `dLogits (N, ld)`.

import { matmulNT, matmulNTScratchBytes } from './matmul';
import { topK } from './reductions';
import { softmaxBackward, softmaxForward, softmaxLanes } from './softmax';

/** `gating`: `paper` gates, `scaled` gates, `binary` gates (SPEC §4). */
const PAPER: i32 = 0;
const SCALED: i32 = 1;
const BINARY: i32 = 2;

// @ts-ignore: decorator
@inline function f32At(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function setF32(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

// @ts-ignore: decorator
@inline function i32At(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Σ_q r[indices[q]] in float64: a row's selected probability mass. */
function selectedMass(r: usize, ir: usize, k: i32): f64 {
  let sum: f64 = 0;
  for (let q = 0; q < k; q++) sum += <f64>f32At(r, i32At(ir, q));
  return sum;
}

/** Scratch bytes of {@link headRouteForward} and {@link headRouteBackward}. */
export function headRouteScratchBytes(shared: i32, routed: i32, k: i32): i32 {
  const row = (routed + k) << 2;
  // Four rows at a time: E logits, hr places, hr routed factors and H gates as vectors, and a discard slot.
  const group = (2 * shared + 4 * routed + 3) << 4;
  return max(row, group);
}

/** `x` to float64 and back per lane pair: the lanes of `lo` and `hi` as float64 pairs. */
// @ts-ignore: decorator
@inline function low64(x: v128): v128 {
  return f64x2.promote_low_f32x4(x);
}

// @ts-ignore: decorator
@inline function high64(x: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1));
}

/** Four float32 lanes from two float64 pairs, each rounded once. */
// @ts-ignore: decorator
@inline function join32(lo: v128, hi: v128): v128 {
  const a = f32x4.demote_f64x2_zero(lo);
  const b = f32x4.demote_f64x2_zero(hi);
  return v128.shuffle<f32>(a, b, 0, 1, 4, 5);
}

/** `f32(m · f64(a) · f64(x))` per lane: a gate, formed in float64 and rounded once. */
// @ts-ignore: decorator
@inline function scaled64(m: f64, a: v128, x: v128): v128 {
  const mv = f64x2.splat(m);
  return join32(f64x2.mul(f64x2.mul(mv, low64(a)), low64(x)), f64x2.mul(f64x2.mul(mv, high64(a)), high64(x)));
}

/** Copies `count` vectors at `v` (four rows in the lanes) to rows `t … t+3` of `(·, count)` at `dst`. */
function storeRows(dst: usize, v: usize, t: i32, count: i32): void {
  for (let l = 0; l < 4; l++) {
    const row = dst + (<usize>((t + l) * count) << 2);
    const lane = v + (<usize>l << 2);
    for (let j = 0; j < count; j++) store<f32>(row + (<usize>j << 2), load<f32>(lane + (<usize>j << 4)));
  }
}

/** Writes head `j` at place `place[l]` of row `t + l` of `indices (·, k)` where the place is under k, else into `discard`. */
// @ts-ignore: decorator
@inline function placeLane(indices: usize, discard: usize, place: i32, row: i32, k: i32, j: i32): void {
  store<i32>(select<usize>(indices + (<usize>(row * k + place) << 2), discard, place < k), j);
}

/**
 * {@link headRouteForward} of rows `t … t+3`, the rows in the vector lanes: the logits
 * are read as they lie (a column of `logitsT` holds consecutive rows), and every row's
 * results are those of the row-by-row path (see {@link softmaxLanes}; places counted as
 * `topK`'s ranked path counts them; sums in float64 in the same order).
 */
function routeFour(
  gates: usize, base: usize, s: usize, r: usize, alpha: usize, indices: usize, logitsT: usize, scratch: usize,
  gating: i32, t: i32, rows: i32, hs: i32, hr: i32, k: i32,
): void {
  const H = hs + hr;
  const E = H + 2;
  const P = scratch + (<usize>E << 4); // hr places
  const B = P + (<usize>hr << 4); // hr routed factors
  const G = B + (<usize>hr << 4); // H gates
  const discard = G + (<usize>H << 4);
  for (let j = 0; j < E; j++) v128.store(scratch + (<usize>j << 4), v128.load(logitsT + (<usize>(j * rows + t) << 2)));
  const R = scratch + (<usize>hs << 4);
  const A = R + (<usize>hr << 4);
  softmaxLanes(R, hr);
  if (hs > 0) softmaxLanes(scratch, hs);
  softmaxLanes(A, 2);
  // Places: i goes before j (i < j) unless j ranks above i; each lane that goes before is −1.
  for (let j = 0; j < hr; j++) v128.store(P + (<usize>j << 4), i32x4.splat(0));
  for (let j = 1; j < hr; j++) {
    const rj = v128.load(R + (<usize>j << 4));
    let pj = v128.load(P + (<usize>j << 4));
    for (let i = 0; i < j; i++) {
      const ri = v128.load(R + (<usize>i << 4));
      const jAbove = v128.or(f32x4.gt(rj, ri), v128.and(f32x4.ne(ri, ri), f32x4.eq(rj, rj)));
      pj = i32x4.add(pj, v128.not(jAbove));
      const pi = P + (<usize>i << 4);
      v128.store(pi, i32x4.add(v128.load(pi), jAbove));
    }
    v128.store(P + (<usize>j << 4), pj);
  }
  const kv = i32x4.splat(k);
  for (let j = 0; j < hr; j++) {
    const place = i32x4.neg(v128.load(P + (<usize>j << 4)));
    placeLane(indices, discard, i32x4.extract_lane(place, 0), t, k, j);
    placeLane(indices, discard, i32x4.extract_lane(place, 1), t + 1, k, j);
    placeLane(indices, discard, i32x4.extract_lane(place, 2), t + 2, k, j);
    placeLane(indices, discard, i32x4.extract_lane(place, 3), t + 3, k, j);
    v128.store(P + (<usize>j << 4), place);
    const selected = i32x4.lt_s(place, kv);
    v128.store(B + (<usize>j << 4), v128.and(selected, gating == BINARY ? f32x4.splat(1) : v128.load(R + (<usize>j << 4))));
  }
  if (gating == SCALED) {
    // The selected mass in float64, summed best first as the row path sums it.
    let lo = f64x2.splat(0), hi = lo;
    for (let q = 0; q < k; q++) {
      let value = f32x4.splat(0);
      for (let j = 0; j < hr; j++) {
        const at = v128.and(i32x4.eq(v128.load(P + (<usize>j << 4)), i32x4.splat(q)), v128.load(R + (<usize>j << 4)));
        value = f32x4.add(value, at);
      }
      lo = f64x2.add(lo, low64(value));
      hi = f64x2.add(hi, high64(value));
    }
    const one = f64x2.splat(1);
    const sLo = f64x2.div(one, lo), sHi = f64x2.div(one, hi);
    for (let j = 0; j < hr; j++) {
      const b = v128.load(B + (<usize>j << 4));
      // Masked again: an unselected head's factor is 0 even where the mass is not finite.
      const selected = i32x4.lt_s(v128.load(P + (<usize>j << 4)), kv);
      v128.store(B + (<usize>j << 4), v128.and(selected, join32(f64x2.mul(low64(b), sLo), f64x2.mul(high64(b), sHi))));
    }
  }
  if (gating == BINARY) {
    for (let i = 0; i < hs; i++) v128.store(G + (<usize>i << 4), f32x4.splat(1));
    for (let j = 0; j < hr; j++) v128.store(G + (<usize>(hs + j) << 4), v128.load(B + (<usize>j << 4)));
  } else {
    const ms: f64 = gating == SCALED ? <f64>(2 * hs) : 1;
    const mr: f64 = gating == SCALED ? <f64>(2 * k) : 1;
    const a1 = v128.load(A);
    const a2 = v128.load(A, 16);
    for (let i = 0; i < hs; i++) v128.store(G + (<usize>i << 4), scaled64(ms, a1, v128.load(scratch + (<usize>i << 4))));
    for (let j = 0; j < hr; j++) v128.store(G + (<usize>(hs + j) << 4), scaled64(mr, a2, v128.load(B + (<usize>j << 4))));
  }
  if (hs > 0) storeRows(s, scratch, t, hs);
  storeRows(r, R, t, hr);
  storeRows(alpha, A, t, 2);
  storeRows(base, B, t, hr);
  storeRows(gates, G, t, H);
}

/**
 * Probabilities, selection, routed factors `base` and gates of every row. `scratch`
 * holds {@link headRouteScratchBytes} bytes.
 */
export function headRouteForward(
  gates: usize, base: usize, s: usize, r: usize, alpha: usize, indices: usize, logitsT: usize, scratch: usize,
  gating: i32, rows: i32, hs: i32, hr: i32, k: i32,
): void {
  const H = hs + hr;
  const N = <usize>rows << 2;
  const ms: f64 = gating == SCALED ? <f64>(2 * hs) : 1;
  const mr: f64 = gating == SCALED ? <f64>(2 * k) : 1;
  let t = 0;
  for (; t + 4 <= rows; t += 4) routeFour(gates, base, s, r, alpha, indices, logitsT, scratch, gating, t, rows, hs, hr, k);
  for (; t < rows; t++) {
    const sr = s + (<usize>(t * hs) << 2);
    const rr = r + (<usize>(t * hr) << 2);
    const ar = alpha + (<usize>(t * 2) << 2);
    const ir = indices + (<usize>(t * k) << 2);
    const br = base + (<usize>(t * hr) << 2);
    const gr = gates + (<usize>(t * H) << 2);
    let column = logitsT + (<usize>t << 2);
    for (let j = 0; j < hs; j++, column += N) setF32(sr, j, load<f32>(column));
    for (let j = 0; j < hr; j++, column += N) setF32(rr, j, load<f32>(column));
    setF32(ar, 0, load<f32>(column));
    setF32(ar, 1, load<f32>(column + N));
    softmaxForward(rr, rr, 1, hr);
    if (hs > 0) softmaxForward(sr, sr, 1, hs);
    softmaxForward(ar, ar, 1, 2);
    topK(ir, scratch, rr, k, 1, hr);
    for (let j = 0; j < hr; j++) setF32(br, j, 0);
    if (gating == BINARY) {
      for (let q = 0; q < k; q++) setF32(br, i32At(ir, q), 1);
      for (let i = 0; i < hs; i++) setF32(gr, i, 1);
      for (let j = 0; j < hr; j++) setF32(gr, hs + j, f32At(br, j));
      continue;
    }
    const scale: f64 = gating == PAPER ? 1 : 1 / selectedMass(rr, ir, k);
    for (let q = 0; q < k; q++) {
      const j = i32At(ir, q);
      setF32(br, j, <f32>(<f64>f32At(rr, j) * scale));
    }
    const shared = ms * <f64>f32At(ar, 0);
    const routed = mr * <f64>f32At(ar, 1);
    for (let i = 0; i < hs; i++) setF32(gr, i, <f32>(shared * <f64>f32At(sr, i)));
    for (let j = 0; j < hr; j++) setF32(gr, hs + j, <f32>(routed * <f64>f32At(br, j)));
  }
}

/** Scratch bytes of {@link headRouteProjectForward}: the product's, then the routing's. */
export function headRouteProjectScratchBytes(modelDim: i32, rows: i32, shared: i32, routed: i32, k: i32): usize {
  return ((matmulNTScratchBytes(modelDim, rows) + 15) & ~15) + <usize>headRouteScratchBytes(shared, routed, k);
}

/**
 * {@link headRouteForward} of the logits of `x (N, d)`: `logitsT = w·xᵀ` first (the
 * stacked weights `w (E, d)`), by {@link matmulNT} itself, so with its bits. One call
 * where a router took two: a decode step routes one row per layer, and there the calls'
 * fixed costs outweigh the arithmetic.
 */
export function headRouteProjectForward(
  gates: usize, base: usize, s: usize, r: usize, alpha: usize, indices: usize, logitsT: usize, x: usize, w: usize,
  scratch: usize, gating: i32, rows: i32, d: i32, hs: i32, hr: i32, k: i32,
): void {
  const E = hs + hr + 2;
  matmulNT(logitsT, w, x, E, d, rows, false, d, d, rows, scratch);
  const routeScratch = (scratch + matmulNTScratchBytes(d, rows) + 15) & ~15;
  headRouteForward(gates, base, s, r, alpha, indices, logitsT, routeScratch, gating, rows, hs, hr, k);
}

/**
 * Backward of {@link headRouteForward} from the gates' gradient, plus `balance[j]` added
 * to every `∂/∂r_tj` (`balance` 0: none), into the logits' gradient `dLogits (N, ld)`:
 * columns s, r, α, then zeros up to `ld`. Binary gates give s and α no gradient.
 */
export function headRouteBackward(
  dLogits: usize, dGates: usize, s: usize, r: usize, alpha: usize, base: usize, indices: usize, balance: usize,
  scratch: usize, gating: i32, rows: i32, hs: i32, hr: i32, k: i32, ld: i32,
): void {
  const H = hs + hr;
  const E = H + 2;
  const ms: f64 = gating == SCALED ? <f64>(2 * hs) : 1;
  const mr: f64 = gating == SCALED ? <f64>(2 * k) : 1;
  const dBase = scratch;
  for (let t = 0; t < rows; t++) {
    const sr = s + (<usize>(t * hs) << 2);
    const rr = r + (<usize>(t * hr) << 2);
    const ar = alpha + (<usize>(t * 2) << 2);
    const ir = indices + (<usize>(t * k) << 2);
    const br = base + (<usize>(t * hr) << 2);
    const gr = dGates + (<usize>(t * H) << 2);
    const dS = dLogits + (<usize>(t * ld) << 2);
    const dR = dS + (<usize>hs << 2);
    const dA = dR + (<usize>hr << 2);
    if (gating == BINARY) {
      for (let i = 0; i < hs; i++) setF32(dS, i, 0);
      setF32(dA, 0, 0);
      setF32(dA, 1, 0);
      for (let j = 0; j < hr; j++) setF32(dBase, j, f32At(gr, hs + j));
    } else {
      const a1 = ms * <f64>f32At(ar, 0);
      const a2 = mr * <f64>f32At(ar, 1);
      let dA1: f64 = 0;
      for (let i = 0; i < hs; i++) {
        const dg = <f64>f32At(gr, i);
        dA1 += dg * <f64>f32At(sr, i);
        setF32(dS, i, <f32>(a1 * dg));
      }
      // base is 0 on unselected heads, so their gates' gradients add nothing to dα2.
      let dA2: f64 = 0;
      for (let j = 0; j < hr; j++) {
        const dg = <f64>f32At(gr, hs + j);
        dA2 += dg * <f64>f32At(br, j);
        setF32(dBase, j, <f32>(a2 * dg));
      }
      setF32(dA, 0, <f32>(ms * dA1));
      setF32(dA, 1, <f32>(mr * dA2));
    }
    for (let j = 0; j < hr; j++) setF32(dR, j, 0);
    if (gating == SCALED) {
      // Through the renormalisation: (dg_j − Σ_m dg_m g_m) / Σ_m r_m.
      const inverseMass = 1 / selectedMass(rr, ir, k);
      let weighted: f64 = 0;
      for (let q = 0; q < k; q++) {
        const j = i32At(ir, q);
        weighted += <f64>f32At(dBase, j) * <f64>f32At(rr, j) * inverseMass;
      }
      for (let q = 0; q < k; q++) {
        const j = i32At(ir, q);
        setF32(dR, j, <f32>((<f64>f32At(dBase, j) - weighted) * inverseMass));
      }
    } else {
      for (let q = 0; q < k; q++) {
        const j = i32At(ir, q);
        setF32(dR, j, f32At(dBase, j));
      }
    }
    if (balance != 0) {
      for (let j = 0; j < hr; j++) setF32(dR, j, <f32>(<f64>f32At(dR, j) + load<f64>(balance + (<usize>j << 3))));
    }
    softmaxBackward(dR, rr, dR, 1, hr);
    if (gating != BINARY) {
      if (hs > 0) softmaxBackward(dS, sr, dS, 1, hs);
      softmaxBackward(dA, ar, dA, 1, 2);
    }
    for (let j = E; j < ld; j++) setF32(dS, j, 0);
  }
}
