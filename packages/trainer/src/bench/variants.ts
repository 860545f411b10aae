/**
 * The head selections the benchmark compares, all at the seed preset's widths: every
 * head (the baseline), Mixture-of-Heads (2 shared + 6 routed, top-4: 6 of 8 heads per
 * token) and static pruning to the same 6 heads.
 *
 * @packageDocumentation
 */
import { resolveConfig, type ModelConfig, type ModelConfigInput } from '@moh/model';

/** A benchmarked head selection. */
export type BenchVariant = 'allHeads' | 'moh' | 'staticPruning';

/** Every variant, baseline first. */
export const BENCH_VARIANTS: readonly BenchVariant[] = ['allHeads', 'moh', 'staticPruning'];

/** The seed-width configuration of `variant` for sequences of up to `seqLen` tokens. */
export function variantConfig(variant: BenchVariant, seqLen: number): ModelConfig {
  const maxSeqLen = Math.max(seqLen, 80);
  const inputs: Record<BenchVariant, ModelConfigInput> = {
    allHeads: { preset: 'seed', maxSeqLen },
    moh: { preset: 'seed-moh', maxSeqLen },
    staticPruning: { preset: 'seed', maxSeqLen, attention: { headSelection: { kind: 'staticPruning', activeHeads: 6 } } },
  };
  return resolveConfig(inputs[variant]);
}
