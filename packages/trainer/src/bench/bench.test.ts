import { createModel, resolveConfig } from '@moh/model';
import { referenceBackend } from '@moh/tensor';
import { describe, expect, it, vi } from 'vitest';
import { runBenchmark, type VariantFigures } from './benchmark.js';
import { countDecodeFlops, countFlops, meanVisibleKeys } from './flops.js';
import { BenchSubject, DECODE_PROMPTS, DECODE_WARMUP_STEPS, fastest, fastestPerPrompt, median, samplesPerRound } from './measure.js';
import { formatBenchmark } from './report.js';
import { checkTargets, compareVariants, pairedSaving } from './targets.js';
import { variantConfig } from './variants.js';

describe('countFlops', () => {
  it('counts the seed model by hand (d 128, 3 layers, 8 heads of 16, G 4, F 256, V 605, CoPE 64)', () => {
    const T = 80;
    const L = meanVisibleKeys(T, null);
    expect(L).toBe(40.5);
    const f = countFlops(resolveConfig({ preset: 'seed' }), T);
    expect(f.forward.projections).toBe(3 * (2 * 128 * 16 * 8 + 4 * 128 * 64));
    expect(f.forward.attention).toBe(3 * 8 * 4 * 16 * 40.5);
    expect(f.forward.cope).toBe(3 * 8 * 2 * 16 * 40.5);
    expect(f.forward.router).toBe(0);
    expect(f.forward.ffn).toBe(3 * 6 * 128 * 256);
    expect(f.forward.lmHead).toBe(2 * 128 * 605);
    expect(f.training).toBe(3 * f.forward.total);
  });

  it('charges attention only to active heads and MoH its router; windows cap the keys', () => {
    const all = countFlops(variantConfig('allHeads', 512), 512);
    const moh = countFlops(variantConfig('moh', 512), 512);
    const pruned = countFlops(variantConfig('staticPruning', 512), 512);
    expect(moh.activeHeads).toBe(6);
    expect(moh.forward.attention).toBeCloseTo((all.forward.attention * 6) / 8, 6);
    expect(moh.forward.router).toBe(3 * 2 * 128 * 10);
    expect(pruned.forward.total).toBeLessThan(moh.forward.total);
    expect(moh.forward.total).toBeLessThan(all.forward.total);
    expect(meanVisibleKeys(6, 2)).toBeCloseTo((1 + 2 * 5) / 6, 12);
    const decode = countDecodeFlops(variantConfig('allHeads', 80), 79);
    expect(decode.forward.attention).toBe(3 * 8 * 4 * 16 * 80);
  });
});

describe('paired savings', () => {
  it('takes the median of an odd count, and the mean of the middle two of an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('sets each sample against the baseline sample of its own cycle: a saving is positive when the variant is faster', () => {
    expect(pairedSaving([9, 18, 27], [10, 20, 30])).toBeCloseTo(0.1, 12); // swapped: −0.111…
    expect(pairedSaving([12, 24], [10, 20])).toBeCloseTo(-0.2, 12);
    // Cycle by cycle, not rank by rank: pairs save −1.7, 0.55 and 0.4 (sorted first, 0.1 each).
    expect(pairedSaving([27, 9, 18], [10, 20, 30])).toBeCloseTo(0.4, 12);
    // Even count: pairs save 0.1, 0.2, 0.3, 0.4 → median 0.25.
    expect(pairedSaving([9, 16, 7, 6], [10, 20, 10, 10])).toBeCloseTo(0.25, 12);
    expect(pairedSaving([], [])).toBeNaN();
    expect(() => pairedSaving([1, 2], [1])).toThrow(RangeError);
  });

  it('differs from the fastest samples when the machine drifts between them', () => {
    // The baseline's fastest sample (10) came in a quiet moment the variant never saw;
    // cycle by cycle the variant is 5 % faster.
    const base = [10, 20, 20, 20, 20];
    const variant = [19, 19, 19, 19, 19];
    expect(1 - Math.min(...variant) / Math.min(...base)).toBeCloseTo(-0.9, 12);
    expect(pairedSaving(variant, base)).toBeCloseTo(0.05, 12);
  });

  it('carries the paired saving and its ratio into every Saving and the targets', () => {
    const figures = (variant: VariantFigures['variant'], ms: readonly number[], flops: number): VariantFigures => {
      const f = { training: 3 * flops, forward: { total: flops } } as unknown as VariantFigures['flops'];
      return {
        variant, seqLen: 80, flops: f, decodeFlops: f,
        training: [{ batch: 16, msPerStep: Math.min(...ms), samples: ms, tokensPerSecond: 1, modelGflops: 1 }],
        prefillMs: Math.min(...ms), prefillSamples: ms, decodeMs: Math.min(...ms), decodeSamples: ms, decodeSpeedup: 1,
        memory: { stateBytes: 1, activationBytes: 1, totalBytes: 2 }, profile: null, checks: { lossError: 0, decodeError: 0 },
      };
    };
    const results = [figures('allHeads', [10, 20, 20], 100), figures('moh', [19, 19, 18], 96)];
    const savings = compareVariants(results);
    expect(savings.map((s) => s.figure)).toEqual(['training B=16', 'prefill', 'decode']);
    for (const s of savings) {
      expect(s.measured).toBeCloseTo(1 - 18 / 10, 12);
      expect(s.analytic).toBeCloseTo(0.04, 12);
      expect(s.paired).toBeCloseTo(0.05, 12); // pairs: −0.9, 0.05, 0.1
      expect(s.pairedRatio).toBeCloseTo(0.05 / 0.04, 12);
    }
    const targets = checkTargets(results, savings, 1);
    const prefill = targets.find((t) => t.target === 'moh T=80 prefill: measured saving ≥ 90 % of analytic');
    expect(prefill).toEqual({ target: expect.any(String), holds: false, detail: '-80.0 % of 4.0 % (ratio -20.00; paired 5.0 %, 1.25)' });
    // Inference is judged on the decode step too, training on the largest batch.
    expect(targets.filter((t) => t.target.includes('saving')).map((t) => t.target.split(':')[0])).toEqual([
      'moh T=80 training B=16', 'moh T=80 prefill', 'moh T=80 decode',
    ]);
  });

  it('takes a decode figure as the mean of each prompt\'s fastest sample', () => {
    // Sample j used prompt j mod 3: prompt 0 has 5 and 4, prompt 1 has 9 and 2, prompt 2 has 7.
    expect(fastestPerPrompt([5, 9, 7, 4, 2], 3)).toBeCloseTo((4 + 2 + 7) / 3, 12);
    // Fewer samples than prompts: only the prompts sampled count.
    expect(fastestPerPrompt([6, 3], 3)).toBeCloseTo(4.5, 12);
    expect(fastestPerPrompt([], 3)).toBeNaN();
    // Not the overall fastest: a prompt whose routing makes a step cheap cannot stand for the rest.
    expect(fastestPerPrompt([1, 10], 2)).not.toBe(fastest([1, 10]));
  });

  it('sizes inference rounds to a time budget, within bounds', () => {
    expect(samplesPerRound(3, 150, 10, 100)).toBe(50);
    expect(samplesPerRound(30, 150, 10, 100)).toBe(10);
    expect(samplesPerRound(0.1, 150, 10, 100)).toBe(100);
    expect(samplesPerRound(0, 150, 10, 100)).toBe(100);
    expect(samplesPerRound(Number.NaN, 150, 10, 100)).toBe(10);
  });
});

describe('BenchSubject', () => {
  it('decodes any of the decode prompts and rejects others', () => {
    const subject = new BenchSubject(createModel(variantConfig('moh', 6), { backend: referenceBackend(), seed: 1 }), 1);
    expect(subject.decodeError(6)).toBeLessThanOrEqual(1e-5);
    for (let p = 0; p < DECODE_PROMPTS; p++) expect(subject.decodeStep(6, p)).toBeGreaterThanOrEqual(0);
    expect(() => subject.decodeStep(6, DECODE_PROMPTS)).toThrow(/prompt must be/);
    expect(() => subject.decodeStep(6, -1)).toThrow(/prompt must be/);
    subject.free();
  });

  it('times a decode step that follows untimed decode steps, after a prefill of the rest', () => {
    /** The token counts of every `append` of one `decodeStep(seqLen)`. */
    const appends = (seqLen: number): number[] => {
      const model = createModel(variantConfig('moh', seqLen), { backend: referenceBackend(), seed: 1 });
      const subject = new BenchSubject(model, 1);
      const decoder = model.decoder(1, seqLen);
      const counts: number[] = [];
      const append = decoder.append.bind(decoder);
      decoder.append = (ids, n) => {
        counts.push(n);
        return append(ids, n);
      };
      vi.spyOn(model, 'decoder').mockReturnValue(decoder);
      subject.decodeStep(seqLen);
      expect(decoder.length).toBe(seqLen);
      subject.free();
      return counts;
    };
    expect(appends(16)).toEqual([16 - 1 - DECODE_WARMUP_STEPS, ...Array<number>(DECODE_WARMUP_STEPS + 1).fill(1)]);
    // A context shorter than the warm-up decodes every token one by one.
    expect(appends(4)).toEqual([1, 1, 1, 1]);
  });
});

describe('runBenchmark', () => {
  it('checks, times and compares every variant, and reports savings, memory and targets', () => {
    const result = runBenchmark({ contexts: [6], batchSizes: [1, 2], rounds: 1, quick: true, profile: true, backend: referenceBackend() });
    expect(result.results.map((r) => r.variant)).toEqual(['allHeads', 'moh', 'staticPruning']);
    for (const r of result.results) {
      expect(r.checks.lossError).toBe(0); // same backend: identical arithmetic
      expect(r.checks.decodeError).toBeLessThanOrEqual(1e-5);
      expect(r.training.map((t) => t.batch)).toEqual([1, 2]);
      expect(r.training.every((t) => t.tokensPerSecond > 0 && t.modelGflops > 0)).toBe(true);
      expect(r.decodeSpeedup).toBeGreaterThan(0);
      expect(r.memory.totalBytes).toBe(r.memory.stateBytes + r.memory.activationBytes);
      const shares = Object.values(r.profile ?? {});
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
    expect(result.savings).toHaveLength(2 * 4);
    for (const s of result.savings) {
      expect(s.ratio).toBeCloseTo(s.measured / s.analytic, 12);
      expect(s.pairedRatio).toBeCloseTo(s.paired / s.analytic, 12);
    }
    // What `moh bench --json` prints: the samples and the paired savings survive it.
    const json = JSON.parse(JSON.stringify(result)) as typeof result;
    const [base, moh] = json.results;
    // 1 round of 2 to 5 steps (--quick), the same count for every variant: samples pair up.
    expect(base.training[0].samples.length).toBeGreaterThanOrEqual(2);
    expect(base.training[0].samples.length).toBeLessThanOrEqual(5);
    expect(moh.training[0].samples).toHaveLength(base.training[0].samples.length);
    expect(base.prefillSamples.length).toBeGreaterThanOrEqual(4);
    expect(moh.prefillSamples).toHaveLength(base.prefillSamples.length);
    expect(moh.decodeSamples).toHaveLength(base.decodeSamples.length);
    expect(moh.decodeMs).toBeCloseTo(fastestPerPrompt(moh.decodeSamples, DECODE_PROMPTS), 12);
    expect(moh.prefillMs).toBe(Math.min(...moh.prefillSamples));
    const prefill = json.savings.find((s) => s.variant === 'moh' && s.figure === 'prefill');
    expect(prefill?.paired).toBeCloseTo(pairedSaving(moh.prefillSamples, base.prefillSamples), 12);
    expect(typeof prefill?.pairedRatio).toBe('number');
    expect(json.targets.find((t) => t.target.startsWith('moh T=6 prefill'))?.detail).toMatch(/; paired -?\d+\.\d %, -?\d+\.\d\d\)$/);
    expect(result.targets.some((t) => t.target.includes('memory overhead'))).toBe(true);
    const text = formatBenchmark(result);
    expect(text).toContain('Savings against allHeads');
    expect(text).toMatch(/measured +analytic +ratio +paired +ratio \(paired\)/);
    expect(text).toContain('Targets:');
  });
});
