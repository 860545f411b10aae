import { describe, expect, it } from 'vitest';
import { availableBackends, createBackend, enableRelaxedSimd, fastBackend, referenceBackend } from './backends.js';
import { isWasmSimdSupported } from './internal/fast/index.js';

describe.skipIf(!isWasmSimdSupported())('backend variants', () => {
  it('turns relaxed SIMD on in Node (a flag on Node 20, built in from Node 22) and fuses the products', () => {
    expect(enableRelaxedSimd()).toBe(true);
    const fused = createBackend('fast');
    expect(fused.fusedMultiplyAdd).toBe(true);
    expect(fused.label).toBe('fast+fma');
    const plain = createBackend('fast', { fusedMultiplyAdd: false });
    expect(plain.fusedMultiplyAdd).toBe(false);
    expect(plain.label).toBe('fast');
    expect(referenceBackend().label).toBe('reference');
  });

  it('lists both fast variants for the specs when the shared one fuses', () => {
    expect(enableRelaxedSimd()).toBe(true);
    const labels = availableBackends().map((b) => b.label);
    expect(labels).toEqual(fastBackend().fusedMultiplyAdd ? ['reference', 'fast+fma', 'fast'] : ['reference', 'fast']);
  });

  it('fused and unfused products differ only by rounding, and each repeats itself bit for bit', () => {
    // 20×300 · 300×24: long sums, so single and double rounding part ways somewhere.
    const [m, k, n] = [20, 300, 24];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
    const run = (fma: boolean): Float32Array => {
      const out = new Float32Array(m * n);
      createBackend('fast', { fusedMultiplyAdd: fma }).matmul(out, a, b, m, k, n);
      return out;
    };
    const fused = run(true);
    const plain = run(false);
    expect(Array.from(run(true))).toEqual(Array.from(fused));
    let differ = 0;
    for (let i = 0; i < fused.length; i++) {
      if (fused[i] !== plain[i]) differ++;
      expect(Math.abs(fused[i] - plain[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(plain[i])));
    }
    // Were the "fused" products not fused, every element would agree.
    expect(differ).toBeGreaterThan(0);
  });
});
