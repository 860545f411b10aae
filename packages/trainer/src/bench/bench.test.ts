import { resolveConfig } from '@moh/model';
import { referenceBackend } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import { runBenchmark } from './benchmark.js';
import { countDecodeFlops, countFlops, meanVisibleKeys } from './flops.js';
import { formatBenchmark } from './report.js';
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
    for (const s of result.savings) expect(s.ratio).toBeCloseTo(s.measured / s.analytic, 12);
    expect(result.targets.some((t) => t.target.includes('memory overhead'))).toBe(true);
    const text = formatBenchmark(result);
    expect(text).toContain('Savings against allHeads');
    expect(text).toContain('Targets:');
  });
});
