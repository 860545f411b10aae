/**
 * The Mixture-of-Heads gating table (SPEC §4), forward beside backward. Per row t, with
 * shared probabilities s, routed probabilities r, mix α = (α1, α2) and the selected
 * routed heads M_t:
 *
 * | gating | shared head i | selected routed head j |
 * |---|---|---|
 * | `paper` | α1·s_i | α2·r_j |
 * | `scaled` | 2·α1·hs·s_i | 2·α2·k·r_j / Σ_{m∈M_t} r_m |
 * | `binary` | 1 | 1 (backward as if r_j) |
 *
 * The routed factor (`r_j`, `r_j / Σ r_m` or the straight-through 1) is the gate of
 * `@moh/routing` (`gatesForward` in mode probability, renormalized or straightThrough),
 * kept as `base` for the backward. Unselected routed heads get gate 0.
 *
 * Shapes: N rows, H = hs + hr heads, k selected routed heads per row.
 * `gates`, `dGates (N, H)` with shared heads in columns 0..hs−1; `s`, `dS (N, hs)`;
 * `r`, `dR`, `base (N, hr)`; `alpha`, `dAlpha (N, 2)`; `indices (N, k)` over 0..hr−1.
 *
 * @packageDocumentation
 */
import { gatesBackward, gatesForward, type GateMode } from '@moh/routing';
import type { Gating } from './config.js';

/** The routing gate mode each gating uses for its routed factor. */
export const ROUTED_GATE_MODE: Readonly<Record<Gating, GateMode>> = {
  paper: 'probability',
  scaled: 'renormalized',
  binary: 'straightThrough',
};

/** Multipliers of α1·s_i and α2·base_j: 1 for `paper`, 2·hs and 2·k for `scaled`. */
function multipliers(gating: Gating, sharedHeads: number, k: number): [number, number] {
  return gating === 'scaled' ? [2 * sharedHeads, 2 * k] : [1, 1];
}

/** The probabilities of one forward pass that the gates are formed from. */
export interface GatingInputs {
  /** `(N, hs)` shared-head probabilities. */
  readonly s: Float32Array;
  /** `(N, hr)` routed-head probabilities. */
  readonly r: Float32Array;
  /** `(N, 2)` the shared/routed mix α. */
  readonly alpha: Float32Array;
  /** `(N, k)` selected routed heads per row. */
  readonly indices: Int32Array;
}

/** Writes `base (N, hr)` and `gates (N, H)` (both overwritten). */
export function headGatesForward(
  gates: Float32Array,
  base: Float32Array,
  inputs: GatingInputs,
  gating: Gating,
  rows: number,
  sharedHeads: number,
  routedHeads: number,
  k: number,
): void {
  const { s, r, alpha, indices } = inputs;
  const H = sharedHeads + routedHeads;
  gatesForward(base, r, indices, ROUTED_GATE_MODE[gating], rows, routedHeads, k);
  const [ms, mr] = multipliers(gating, sharedHeads, k);
  const binary = gating === 'binary';
  for (let t = 0; t < rows; t++) {
    const shared = binary ? 1 : ms * alpha[2 * t];
    const routed = binary ? 1 : mr * alpha[2 * t + 1];
    for (let i = 0; i < sharedHeads; i++) gates[t * H + i] = binary ? 1 : shared * s[t * sharedHeads + i];
    for (let j = 0; j < routedHeads; j++) gates[t * H + sharedHeads + j] = routed * base[t * routedHeads + j];
  }
}

/**
 * Backward of {@link headGatesForward}: overwrites `dS`, `dR`, `dAlpha`. `binary` gives
 * `dS = dAlpha = 0` (its shared gates and α are constants) and `dR_j = dG_j` on M_t.
 */
export function headGatesBackward(
  dS: Float32Array,
  dR: Float32Array,
  dAlpha: Float32Array,
  dGates: Float32Array,
  inputs: GatingInputs,
  base: Float32Array,
  gating: Gating,
  rows: number,
  sharedHeads: number,
  routedHeads: number,
  k: number,
): void {
  const { s, r, alpha, indices } = inputs;
  const H = sharedHeads + routedHeads;
  const [ms, mr] = multipliers(gating, sharedHeads, k);
  const dBase = new Float32Array(rows * routedHeads);
  for (let t = 0; t < rows; t++) {
    const go = t * H;
    if (gating === 'binary') {
      dS.fill(0, t * sharedHeads, (t + 1) * sharedHeads);
      dAlpha[2 * t] = 0;
      dAlpha[2 * t + 1] = 0;
      for (let j = 0; j < routedHeads; j++) dBase[t * routedHeads + j] = dGates[go + sharedHeads + j];
      continue;
    }
    const a1 = alpha[2 * t];
    const a2 = alpha[2 * t + 1];
    let dA1 = 0;
    for (let i = 0; i < sharedHeads; i++) {
      const dg = dGates[go + i];
      dA1 += dg * s[t * sharedHeads + i];
      dS[t * sharedHeads + i] = ms * a1 * dg;
    }
    // base is 0 on unselected heads, so their dGates add nothing to dα2.
    let dA2 = 0;
    for (let j = 0; j < routedHeads; j++) {
      const dg = dGates[go + sharedHeads + j];
      dA2 += dg * base[t * routedHeads + j];
      dBase[t * routedHeads + j] = mr * a2 * dg;
    }
    dAlpha[2 * t] = ms * dA1;
    dAlpha[2 * t + 1] = mr * dA2;
  }
  gatesBackward(dR, dBase, r, indices, ROUTED_GATE_MODE[gating], rows, routedHeads, k);
}
