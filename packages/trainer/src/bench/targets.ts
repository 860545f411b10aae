/**
 * The benchmark's verdicts: each variant's measured time saving against `allHeads`
 * beside the saving its FLOPs promise, and the targets of the speed issue.
 *
 * @packageDocumentation
 */
import type { VariantFigures } from './benchmark.js';
import type { BenchVariant } from './variants.js';

/** One figure of one variant set against the same figure of `allHeads`. */
export interface Saving {
  readonly variant: BenchVariant;
  readonly seqLen: number;
  /** `training B=16`, `prefill`, `decode`, … */
  readonly figure: string;
  /** `1 − time(variant) / time(allHeads)`. */
  readonly measured: number;
  /** `1 − FLOPs(variant) / FLOPs(allHeads)` per token (training, forward or decode-step FLOPs). */
  readonly analytic: number;
  /** `measured / analytic`: 1 means the whole arithmetic saving shows up in time. */
  readonly ratio: number;
}

/** One target and whether the run meets it. */
export interface TargetCheck {
  readonly target: string;
  readonly holds: boolean;
  /** The figures it was judged on. */
  readonly detail: string;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** Savings of every non-baseline variant at every context length and figure. */
export function compareVariants(results: readonly VariantFigures[]): Saving[] {
  const savings: Saving[] = [];
  for (const r of results) {
    if (r.variant === 'allHeads') continue;
    const base = results.find((b) => b.variant === 'allHeads' && b.seqLen === r.seqLen);
    if (base === undefined) continue;
    const add = (figure: string, time: number, baseTime: number, flops: number, baseFlops: number): void => {
      const measured = 1 - time / baseTime;
      const analytic = 1 - flops / baseFlops;
      savings.push({ variant: r.variant, seqLen: r.seqLen, figure, measured, analytic, ratio: measured / analytic });
    };
    r.training.forEach((t, i) => add(`training B=${t.batch}`, t.msPerStep, base.training[i].msPerStep, r.flops.training, base.flops.training));
    add('prefill', r.prefillMs, base.prefillMs, r.flops.forward.total, base.flops.forward.total);
    add('decode', r.decodeMs, base.decodeMs, r.decodeFlops.forward.total, base.decodeFlops.forward.total);
  }
  return savings;
}

/**
 * The targets: savings ≥ 90 % of analytic for training (largest batch) and
 * inference (prefill) at every context; MoH memory overhead under 1 %; model FLOP/s in
 * a training step (largest batch) ≥ 50 % of the matmul's; decoding at T = 80 ≥ 10×
 * faster than recomputing the prefix.
 */
export function checkTargets(results: readonly VariantFigures[], savings: readonly Saving[], matmulGflops: number): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const largest = (r: VariantFigures): VariantFigures['training'][number] =>
    r.training.reduce((a, b) => (b.batch > a.batch ? b : a), r.training[0]);
  for (const s of savings) {
    const own = results.find((r) => r.variant === s.variant && r.seqLen === s.seqLen);
    if (own === undefined || (s.figure !== `training B=${largest(own).batch}` && s.figure !== 'prefill')) continue;
    checks.push({
      target: `${s.variant} T=${s.seqLen} ${s.figure}: measured saving ≥ 90 % of analytic`,
      holds: s.ratio >= 0.9,
      detail: `${pct(s.measured)} of ${pct(s.analytic)} (ratio ${s.ratio.toFixed(2)})`,
    });
  }
  for (const r of results) {
    if (r.variant !== 'moh') continue;
    const base = results.find((b) => b.variant === 'allHeads' && b.seqLen === r.seqLen);
    if (base === undefined) continue;
    const overhead = r.memory.totalBytes / base.memory.totalBytes - 1;
    checks.push({ target: `moh T=${r.seqLen}: memory overhead < 1 %`, holds: overhead < 0.01, detail: `${pct(overhead)}` });
  }
  for (const r of results) {
    const t = largest(r);
    checks.push({
      target: `${r.variant} T=${r.seqLen} B=${t.batch}: model FLOP/s ≥ 50 % of matmul`,
      holds: t.modelGflops >= 0.5 * matmulGflops,
      detail: `${t.modelGflops.toFixed(1)} of ${matmulGflops.toFixed(1)} GFLOP/s (${pct(t.modelGflops / matmulGflops)})`,
    });
    if (r.seqLen === 80) {
      checks.push({
        target: `${r.variant} T=80: decode step ≥ 10× faster than recomputing the prefix`,
        holds: r.decodeSpeedup >= 10,
        detail: `${r.prefillMs.toFixed(2)} ms / ${r.decodeMs.toFixed(3)} ms = ${r.decodeSpeedup.toFixed(1)}×`,
      });
    }
  }
  return checks;
}
