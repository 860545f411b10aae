// The per-head gating of attention outputs (kernels/attention.ts states the contract):
// one head's compact output rows, scaled by their gates, into the wide `(rows, H·D)`
// layout, and the backward. Products are rounded once, as float32 multiplies; a gate's
// gradient is a float64 sum over the head width in order, rounded once, so the bits are
// those of the TypeScript loops these kernels replace (numbers there are float64).
// Pointers are byte offsets; sizes are elements.

/** Byte offset of head `head`'s columns in wide row `row`. */
// @ts-ignore: decorator
@inline function wideAt(row: usize, head: i32, heads: i32, D: i32): usize {
  return (row * <usize>(heads * D) + <usize>(head * D)) << 2;
}

/** `out[rows[r], head·D + c] = gates[rows[r]·heads + head] · o[r, c]`. */
export function headGateForward(out: usize, o: usize, gates: usize, rows: usize, head: i32, count: i32, heads: i32, D: i32): void {
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(rows + (<usize>r << 2));
    const gate = load<f32>(gates + ((row * <usize>heads + <usize>head) << 2));
    const dst = out + wideAt(row, head, heads, D);
    const src = o + (<usize>(r * D) << 2);
    const g = f32x4.splat(gate);
    let c = 0;
    for (; c + 4 <= D; c += 4) v128.store(dst + (<usize>c << 2), f32x4.mul(g, v128.load(src + (<usize>c << 2))));
    for (; c < D; c++) store<f32>(dst + (<usize>c << 2), gate * load<f32>(src + (<usize>c << 2)));
  }
}

/**
 * Backward of {@link headGateForward}: `dGates[rows[r]·heads + head] = Σ_c dOut[rows[r],
 * head·D + c] · o[r, c]` and `dO[r, c] = gate · dOut[rows[r], head·D + c]`.
 */
export function headGateBackward(
  dGates: usize, dO: usize, dOut: usize, o: usize, gates: usize, rows: usize, head: i32, count: i32, heads: i32, D: i32,
): void {
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(rows + (<usize>r << 2));
    const at = (row * <usize>heads + <usize>head) << 2;
    const gate = load<f32>(gates + at);
    const src = dOut + wideAt(row, head, heads, D);
    const own = o + (<usize>(r * D) << 2);
    const dst = dO + (<usize>(r * D) << 2);
    const g = f32x4.splat(gate);
    let c = 0;
    for (; c + 4 <= D; c += 4) v128.store(dst + (<usize>c << 2), f32x4.mul(g, v128.load(src + (<usize>c << 2))));
    for (; c < D; c++) store<f32>(dst + (<usize>c << 2), gate * load<f32>(src + (<usize>c << 2)));
    let sum: f64 = 0;
    for (c = 0; c < D; c++) sum += <f64>load<f32>(src + (<usize>c << 2)) * <f64>load<f32>(own + (<usize>c << 2));
    store<f32>(dGates + at, <f32>sum);
  }
}
