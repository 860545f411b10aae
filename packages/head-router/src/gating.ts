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

/** The multiplier of α1·s_i: 2·hs for `scaled`, else 1. */
function sharedMultiplier(gating: Gating, sharedHeads: number): number {
  return gating === 'scaled' ? 2 * sharedHeads : 1;
}

/** The multiplier of α2·base_j: 2·k for `scaled`, else 1. */
function routedMultiplier(gating: Gating, k: number): number {
  return gating === 'scaled' ? 2 * k : 1;
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
  gatesForward(base, inputs.r, inputs.indices, ROUTED_GATE_MODE[gating], rows, routedHeads, k);
  // Separate loops per gating rather than a gating test per gate: this runs for every
  // layer and token, and a decode step's router is mostly such fixed costs.
  if (gating === 'binary') binaryGates(gates, base, rows, sharedHeads, routedHeads);
  else {
    const ms = sharedMultiplier(gating, sharedHeads);
    const mr = routedMultiplier(gating, k);
    mixedGates(gates, base, inputs.s, inputs.alpha, ms, mr, rows, sharedHeads, routedHeads);
  }
}

/** Binary gates: 1 on shared heads, `base` (1 on M_t, else 0) on routed heads. */
function binaryGates(gates: Float32Array, base: Float32Array, rows: number, hs: number, hr: number): void {
  const H = hs + hr;
  for (let t = 0; t < rows; t++) {
    const go = t * H;
    const bo = t * hr;
    for (let i = 0; i < hs; i++) gates[go + i] = 1;
    for (let j = 0; j < hr; j++) gates[go + hs + j] = base[bo + j];
  }
}

/** `paper` and `scaled` gates: `ms·α1·s_i` on shared heads, `mr·α2·base_j` on routed heads. */
function mixedGates(
  gates: Float32Array,
  base: Float32Array,
  s: Float32Array,
  alpha: Float32Array,
  ms: number,
  mr: number,
  rows: number,
  hs: number,
  hr: number,
): void {
  const H = hs + hr;
  for (let t = 0; t < rows; t++) {
    const shared = ms * alpha[2 * t];
    const routed = mr * alpha[2 * t + 1];
    const go = t * H;
    const so = t * hs;
    const bo = t * hr;
    for (let i = 0; i < hs; i++) gates[go + i] = shared * s[so + i];
    for (let j = 0; j < hr; j++) gates[go + hs + j] = routed * base[bo + j];
  }
}

/**
 * Backward of {@link headGatesForward}: overwrites `dS`, `dR`, `dAlpha`, and `dBase`
 * (scratch, `(N, hr)`). `binary` gives `dS = dAlpha = 0` (its shared gates and α are
 * constants) and `dR_j = dG_j` on M_t.
 */
export function headGatesBackward(
  dS: Float32Array,
  dR: Float32Array,
  dAlpha: Float32Array,
  dBase: Float32Array,
  dGates: Float32Array,
  inputs: GatingInputs,
  base: Float32Array,
  gating: Gating,
  rows: number,
  sharedHeads: number,
  routedHeads: number,
  k: number,
): void {
  const H = sharedHeads + routedHeads;
  const hs = sharedHeads;
  const hr = routedHeads;
  if (gating === 'binary') {
    dS.fill(0, 0, rows * hs);
    dAlpha.fill(0, 0, rows * 2);
    for (let t = 0; t < rows; t++) {
      for (let j = 0; j < hr; j++) dBase[t * hr + j] = dGates[t * H + hs + j];
    }
  } else {
    mixedGatesBackward(dS, dAlpha, dBase, dGates, inputs.s, inputs.alpha, base, sharedMultiplier(gating, hs), routedMultiplier(gating, k), rows, hs, hr);
  }
  gatesBackward(dR, dBase, inputs.r, inputs.indices, ROUTED_GATE_MODE[gating], rows, routedHeads, k);
}

/** Backward of {@link mixedGates} into `dS`, `dAlpha` and the routed factor's `dBase`. */
function mixedGatesBackward(
  dS: Float32Array,
  dAlpha: Float32Array,
  dBase: Float32Array,
  dGates: Float32Array,
  s: Float32Array,
  alpha: Float32Array,
  base: Float32Array,
  ms: number,
  mr: number,
  rows: number,
  hs: number,
  hr: number,
): void {
  const H = hs + hr;
  for (let t = 0; t < rows; t++) {
    const go = t * H;
    const so = t * hs;
    const bo = t * hr;
    const a1 = alpha[2 * t];
    const a2 = alpha[2 * t + 1];
    let dA1 = 0;
    for (let i = 0; i < hs; i++) {
      const dg = dGates[go + i];
      dA1 += dg * s[so + i];
      dS[so + i] = ms * a1 * dg;
    }
    // base is 0 on unselected heads, so their dGates add nothing to dα2.
    let dA2 = 0;
    for (let j = 0; j < hr; j++) {
      const dg = dGates[go + hs + j];
      dA2 += dg * base[bo + j];
      dBase[bo + j] = mr * a2 * dg;
    }
    dAlpha[2 * t] = ms * dA1;
    dAlpha[2 * t + 1] = mr * dA2;
  }
}
