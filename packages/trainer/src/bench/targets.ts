/**
 * The benchmark's verdicts: each variant's measured time saving against `allHeads`
 * beside the saving its FLOPs promise, and the targets of the speed issue.
 *
 * Every saving is estimated twice. `measured` sets the fastest sample of the variant
 * against the fastest of `allHeads`; the targets are judged on it. But on a drifting
 * machine (a shared 2-core VM swings ±20 % from minute to minute) the two fastest samples
 * may come from different moments, a minute apart, and a saving of a few percent then
 * swings from run to run. `paired` is the median, over the alternation cycles, of the
 * saving of the variant's sample against the `allHeads` sample of the same cycle: two
 * samples taken seconds (or milliseconds) apart, which a slow drift hits alike. Where the
 * two estimates disagree, the machine drifted; where they agree, the figure is sound.
 *
 * @packageDocumentation
 */
import type { VariantFigures } from './benchmark.js';
import { median } from './measure.js';
import type { BenchVariant } from './variants.js';

/** One figure of one variant set against the same figure of `allHeads`. */
export interface Saving {
  readonly variant: BenchVariant;
  readonly seqLen: number;
  /** `training B=16`, `prefill`, `decode`, … */
  readonly figure: string;
  /** `1 − fastest(variant) / fastest(allHeads)`: the fastest samples' saving, which the targets judge. */
  readonly measured: number;
  /** `1 − FLOPs(variant) / FLOPs(allHeads)` per token (training, forward or decode-step FLOPs). */
  readonly analytic: number;
  /** `measured / analytic`: 1 means the whole arithmetic saving shows up in time. */
  readonly ratio: number;
  /** The median over alternation cycles of `1 − time(variant) / time(allHeads)` of the same cycle (see {@link pairedSaving}). */
  readonly paired: number;
  /** `paired / analytic`. */
  readonly pairedRatio: number;
}

/** One target and whether the run meets it. */
export interface TargetCheck {
  readonly target: string;
  readonly holds: boolean;
  /** The figures it was judged on. */
  readonly detail: string;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/**
 * The paired saving of a variant: the median over `i` of `1 − samples[i] / baseSamples[i]`,
 * where sample `i` of the variant and of `allHeads` were taken in the same alternation
 * cycle (A B C A B C …), seconds apart. NaN when there are no samples.
 *
 * @param samples - milliseconds of the variant's samples, in the order taken.
 * @param baseSamples - milliseconds of the `allHeads` samples of the same cycles.
 * @throws RangeError when the two differ in length (the samples would not pair up).
 *
 * @example
 * ```ts
 * pairedSaving([9, 18, 27], [10, 20, 30]); // 0.1: the variant takes 10 % less time
 * ```
 */
export function pairedSaving(samples: readonly number[], baseSamples: readonly number[]): number {
  if (samples.length !== baseSamples.length) {
    throw new RangeError(`pairedSaving: ${samples.length} samples cannot pair with ${baseSamples.length} of the baseline`);
  }
  return median(samples.map((t, i) => 1 - t / baseSamples[i]));
}

/** A figure of one model: its fastest milliseconds and every sample behind them. */
interface Timed {
  readonly ms: number;
  readonly samples: readonly number[];
}

/** Savings of every non-baseline variant at every context length and figure. */
export function compareVariants(results: readonly VariantFigures[]): Saving[] {
  const savings: Saving[] = [];
  for (const r of results) {
    if (r.variant === 'allHeads') continue;
    const base = results.find((b) => b.variant === 'allHeads' && b.seqLen === r.seqLen);
    if (base === undefined) continue;
    const add = (figure: string, own: Timed, baseline: Timed, flops: number, baseFlops: number): void => {
      const measured = 1 - own.ms / baseline.ms;
      const analytic = 1 - flops / baseFlops;
      const paired = pairedSaving(own.samples, baseline.samples);
      savings.push({ variant: r.variant, seqLen: r.seqLen, figure, measured, analytic, ratio: measured / analytic, paired, pairedRatio: paired / analytic });
    };
    const prefill = (f: VariantFigures): Timed => ({ ms: f.prefillMs, samples: f.prefillSamples });
    const decode = (f: VariantFigures): Timed => ({ ms: f.decodeMs, samples: f.decodeSamples });
    r.training.forEach((t, i) => {
      const b = base.training[i];
      add(`training B=${t.batch}`, { ms: t.msPerStep, samples: t.samples }, { ms: b.msPerStep, samples: b.samples }, r.flops.training, base.flops.training);
    });
    add('prefill', prefill(r), prefill(base), r.flops.forward.total, base.flops.forward.total);
    add('decode', decode(r), decode(base), r.decodeFlops.forward.total, base.decodeFlops.forward.total);
  }
  return savings;
}

/**
 * The targets: savings ≥ 90 % of analytic for training (largest batch) and
 * inference (prefill and decode step) at every context, judged on the fastest samples
 * (`ratio`; the detail adds the paired figures, to tell a real shortfall from drift); MoH memory
 * overhead under 1 %; model FLOP/s in a training step (largest batch) ≥ 50 % of the
 * matmul's; decoding at T = 80 ≥ 10× faster than recomputing the prefix.
 */
export function checkTargets(results: readonly VariantFigures[], savings: readonly Saving[], matmulGflops: number): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const largest = (r: VariantFigures): VariantFigures['training'][number] =>
    r.training.reduce((a, b) => (b.batch > a.batch ? b : a), r.training[0]);
  for (const s of savings) {
    const own = results.find((r) => r.variant === s.variant && r.seqLen === s.seqLen);
    if (own === undefined) continue;
    if (s.figure !== `training B=${largest(own).batch}` && s.figure !== 'prefill' && s.figure !== 'decode') continue;
    checks.push({
      target: `${s.variant} T=${s.seqLen} ${s.figure}: measured saving ≥ 90 % of analytic`,
      holds: s.ratio >= 0.9,
      detail: `${pct(s.measured)} of ${pct(s.analytic)} (ratio ${s.ratio.toFixed(2)}; paired ${pct(s.paired)}, ${s.pairedRatio.toFixed(2)})`,
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
