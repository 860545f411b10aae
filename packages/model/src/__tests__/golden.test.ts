/**
 * Our model against the independent PyTorch reference (tools/reference/golden.py, run
 * in float64 on float32-rounded weights): logits, loss, CE, L_b per layer and the
 * gradient of the loss with respect to every parameter tensor, for all heads and for
 * Mixture-of-Heads (scaled gating, top-4 of 6 routed heads), within 1e-4 absolute.
 * The fixtures were written by that script; regenerating them needs PyTorch, running
 * this test does not.
 */
import { readFileSync } from 'node:fs';
import { referenceBackend } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import type { ModelConfigInput } from '../config.js';
import { resolveConfig } from '../resolve.js';
import { readSafetensors } from '../safetensors.js';
import { loadSafetensors } from '../weights.js';

interface GoldenCase {
  readonly config: ModelConfigInput;
  readonly loss: number;
  readonly ce: number;
  readonly balance: number[];
  readonly logits: number[];
}
interface Golden {
  readonly batch: number;
  readonly seqLen: number;
  readonly ids: number[];
  readonly targets: number[];
  readonly cases: Record<string, GoldenCase>;
}

const fixtures = new URL('../../fixtures/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('golden.json', fixtures), 'utf8')) as Golden;
const TOLERANCE = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe.each(Object.keys(golden.cases))('golden reference: %s', (label) => {
  it('matches logits, losses and every parameter gradient within 1e-4', () => {
    const g = golden.cases[label];
    const config = resolveConfig(g.config);
    const weights = readFileSync(new URL(`golden-${label}.weights.safetensors`, fixtures));
    const model = loadSafetensors(new Uint8Array(weights), config, { backend: referenceBackend() });
    const out = model.forward(Int32Array.from(golden.ids), Int32Array.from(golden.targets), golden.batch, golden.seqLen);
    const diffs: Record<string, number> = {
      logits: maxAbsDiff(model.logits, g.logits),
      loss: Math.abs(out.loss - g.loss),
      ce: Math.abs(out.ce - g.ce),
      balance: maxAbsDiff(out.balance.filter((_, i) => g.balance.length > i), g.balance),
    };
    model.zeroGrad();
    model.backward();
    const grads = readSafetensors(new Uint8Array(readFileSync(new URL(`golden-${label}.grads.safetensors`, fixtures))));
    let gradScale = 0;
    for (const spec of model.store.specs) {
      const want = grads.tensors.get(spec.name)?.data;
      expect(want, spec.name).toBeDefined();
      diffs[`grad ${spec.name}`] = maxAbsDiff(model.grad(spec.name), want ?? []);
      for (const v of want ?? []) gradScale = Math.max(gradScale, Math.abs(v));
    }
    console.log(`${label}: max |ours − torch|`, JSON.stringify(Object.fromEntries(Object.entries(diffs).map(([k, v]) => [k, Number(v.toExponential(2))]))));
    expect(gradScale).toBeGreaterThan(0.05); // the comparison is meaningful
    for (const [name, diff] of Object.entries(diffs)) expect(diff, name).toBeLessThan(TOLERANCE);
  });
});
