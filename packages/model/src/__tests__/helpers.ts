/**
 * Test helpers: tiny configurations and a whole-model finite-difference check.
 *
 * The whole-model check perturbs parameters in place in the flat buffer and compares
 * `(L(θ + h) − L(θ − h)) / (stored step)` with the analytic gradient from one
 * `backward`. Three things make the loss non-smooth and are handled explicitly:
 * - kinks (CoPE's piecewise-linear interpolation between ⌊p⌋ and ⌈p⌉ and its clamp at
 *   P − 1, ReLU): an element that fails at h is re-measured once at h/4 (with twice
 *   the atol, for rounding); it is a mismatch only if both fail;
 * - a top-k selection that flips under the perturbation (the derivative does not exist
 *   there): the element is skipped, and the number of skips is reported and bounded;
 * - the `attentionEntropy` window, which each forward updates: the running average is
 *   restored before every evaluation, so all evaluations use the same window.
 */
import { referenceBackend } from '@moh/tensor';
import { testRandom } from '@moh/test-utils';
import type { ModelConfig, ModelConfigInput } from '../config.js';
import { createModel, type Model } from '../model.js';
import { resolveConfig } from '../resolve.js';

/** Batch and length of the tiny test inputs. */
export const B = 2;
export const T = 7;

/** The tiny base configuration: d 16, H 4, G 2, F 24, L 2, V 11, CoPE with 5 positions (< T, so the clamp is hit). */
export function tinyConfig(overrides: ModelConfigInput = {}): ModelConfig {
  const base: ModelConfigInput = {
    vocabSize: 11,
    modelDim: 16,
    layers: 2,
    maxSeqLen: 8,
    initStd: 0.5,
    ffn: { kind: 'swiglu', hiddenDim: 24 },
    attention: { queryHeads: 4, kvHeads: 2, position: { kind: 'cope', maxPositions: 5 } },
  };
  return resolveConfig(merge(base, overrides) as ModelConfigInput);
}

function merge(a: unknown, b: unknown): unknown {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null || Array.isArray(b)) return b === undefined ? a : b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) {
    // A union member given with a new kind replaces the old one whole.
    const old = out[k] as { kind?: unknown } | undefined;
    const replace = typeof v === 'object' && v !== null && 'kind' in v && old?.kind !== (v as { kind: unknown }).kind;
    out[k] = replace ? v : merge(out[k], v);
  }
  return out;
}

/** A model on the reference backend. */
export function tinyModel(config: ModelConfig, seed = 7): Model {
  return createModel(config, { backend: referenceBackend(), seed });
}

/** Fixed inputs: ids in [0, V) and next-token targets with some masked rows. */
export function tinyBatch(vocab: number, seed = 3): { ids: Int32Array; targets: Int32Array } {
  const next = testRandom(seed);
  const ids = Int32Array.from({ length: B * T }, () => Math.floor(next() * vocab));
  const targets = Int32Array.from({ length: B * T }, (_, i) => ((i + 1) % T === 0 ? -1 : ids[i + 1]));
  targets[0] = -1; // a masked prompt token
  return { ids, targets };
}

/** Options of {@link checkModelGradients}. */
export interface ModelCheckOptions {
  readonly h: number;
  readonly atol: number;
  readonly rtol: number;
  /** Elements checked per tensor (a seeded subset). */
  readonly perTensor: number;
  /** Tensors not checked numerically (e.g. straight-through router weights). */
  readonly skip?: (name: string) => boolean;
  /** Applied to the analytic gradients before comparing (to prove a wrong gradient is caught). */
  readonly corrupt?: (name: string, grad: Float32Array) => void;
}

/** One mismatching element. */
export interface Mismatch {
  readonly name: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

/** The outcome of {@link checkModelGradients}. */
export interface ModelCheckReport {
  readonly checked: number;
  /** Elements skipped because a top-k selection flipped under the perturbation. */
  readonly skipped: number;
  readonly mismatches: Mismatch[];
  /** Largest |analytic| seen per tensor (a check is only meaningful where this ≫ atol). */
  readonly scale: Map<string, number>;
}

/** The routing decisions and windows of the last forward, as a string. */
function signature(model: Model): string {
  return model.blocks
    .map((b) => `${Array.from(b.parts.router.probabilities?.selected ?? []).join(',')}|${b.parts.attention.windowInForce}`)
    .join(';');
}

/** Checks ∂loss/∂θ for every parameter tensor of `model` against central differences. */
export function checkModelGradients(
  model: Model,
  ids: Int32Array,
  targets: Int32Array,
  options: ModelCheckOptions,
): ModelCheckReport {
  const entropy = model.blocks.map((b) => b.parts.attention.entropyAverage);
  const loss = (): number => {
    model.blocks.forEach((b, i) => {
      b.parts.attention.entropyAverage = entropy[i];
    });
    return model.forward(ids, targets, B, T).loss;
  };
  loss();
  const base = signature(model);
  model.zeroGrad();
  model.backward();
  const analytic = new Map(model.store.specs.map((s) => [s.name, model.grad(s.name).slice()]));
  const next = testRandom(11);
  let checked = 0;
  let skipped = 0;
  const mismatches: Mismatch[] = [];
  const scale = new Map<string, number>();
  for (const spec of model.store.specs) {
    if (options.skip?.(spec.name)) continue;
    const grad = analytic.get(spec.name) as Float32Array;
    options.corrupt?.(spec.name, grad);
    const count = Math.min(options.perTensor, spec.count);
    const indices = new Set<number>();
    // Embedding rows of tokens absent from the batch have zero gradient: check rows in use.
    const d = model.config.modelDim;
    const draw = (): number =>
      spec.name === 'embedding' ? ids[Math.floor(next() * ids.length)] * d + Math.floor(next() * d) : Math.floor(next() * spec.count);
    while (indices.size < count) indices.add(draw());
    let largest = 0;
    for (const i of indices) {
      // Central difference with step `step`; null when a top-k selection flipped.
      const measure = (step: number): number | null => {
        const p = model.param(spec.name);
        const original = p[i];
        p[i] = original + step;
        const up = p[i];
        const lossUp = loss();
        const sigUp = signature(model);
        p[i] = original - step;
        const down = p[i];
        const lossDown = loss();
        const sigDown = signature(model);
        p[i] = original;
        return sigUp !== base || sigDown !== base ? null : (lossUp - lossDown) / (up - down);
      };
      const close = (numeric: number, atol: number): boolean =>
        Math.abs(grad[i] - numeric) <= atol + options.rtol * Math.abs(numeric);
      let numeric = measure(options.h);
      if (numeric !== null && !close(numeric, options.atol)) {
        // A kink (CoPE's floor/ceil interpolation or clamp, ReLU) inside ±h biases the
        // difference; re-measure once at h/4, where float32 rounding doubles the noise.
        const fine = measure(options.h / 4);
        if (fine !== null && close(fine, 2 * options.atol)) numeric = fine;
        else if (fine !== null) numeric = Math.abs(fine - grad[i]) < Math.abs(numeric - grad[i]) ? fine : numeric;
        if (fine !== null && close(fine, 2 * options.atol)) {
          checked++;
          largest = Math.max(largest, Math.abs(grad[i]));
          continue;
        }
      }
      if (numeric === null) {
        skipped++;
        continue;
      }
      checked++;
      largest = Math.max(largest, Math.abs(grad[i]));
      if (!close(numeric, options.atol)) mismatches.push({ name: spec.name, index: i, analytic: grad[i], numeric });
    }
    scale.set(spec.name, largest);
  }
  loss(); // leave the model's state as it was
  return { checked, skipped, mismatches, scale };
}
