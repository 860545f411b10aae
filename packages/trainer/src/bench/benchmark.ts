/**
 * The end-to-end benchmark behind `moh bench`: does skipping heads make a model
 * faster by what its FLOPs promise? For each context length it builds the variants
 * (all heads, Mixture-of-Heads, static pruning; seed widths, same seed), checks them
 * (fast against reference loss, decoding against the full forward), then times them
 * in alternation (A B C A B C …), so that a machine's drift hits every variant alike.
 * Sample `i` of every variant at a context comes from the same cycle, seconds apart,
 * which the paired savings of `targets.ts` rely on.
 *
 * @packageDocumentation
 */
import { createModel, type ModelPart } from '@moh/model';
import { createBackend, getBackend, referenceBackend, type Backend } from '@moh/tensor';
import { countDecodeFlops, countFlops, type FlopCount } from './flops.js';
import { BenchSubject, DECODE_PROMPTS, fastest, fastestPerPrompt, matmulGflops, PartTotals, samplesPerRound } from './measure.js';
import { compareVariants, type Saving, type TargetCheck, checkTargets } from './targets.js';
import { BENCH_VARIANTS, variantConfig, type BenchVariant } from './variants.js';

/** What to run. */
export interface BenchmarkOptions {
  /** Sequence lengths T. Defaults to `[80, 512]`. */
  readonly contexts?: readonly number[];
  /** Variants, compared against `allHeads` (always included). Defaults to all three. */
  readonly variants?: readonly BenchVariant[];
  /** Training batch sizes. Defaults to `[1, 16]`. */
  readonly batchSizes?: readonly number[];
  /**
   * Threads of the fast backend (1 or 2: its big matrix products run half on a helper
   * thread, and so does the matmul yardstick). Defaults to 1; ignored with `backend`.
   */
  readonly threads?: number;
  /** Timed rounds (each times every variant a few times per figure, alternating). Defaults to 5, or 2 with `quick`. */
  readonly rounds?: number;
  /** A short run: 2 rounds and fewer repeats and inference samples. Defaults to false. */
  readonly quick?: boolean;
  /** Also time the model's parts over extra training steps (see {@link VariantFigures.profile}). Defaults to false. */
  readonly profile?: boolean;
  /** Seed of the models and token batches. Defaults to 1. */
  readonly seed?: number;
  /**
   * The backend to time. Defaults to `getBackend()`, of which every model then gets an
   * instance of its own (a fast backend's memory holds 2 GiB: three models' activations
   * at T = 512, B = 16 would not fit one). A backend given here is shared by all models.
   */
  readonly backend?: Backend;
  /** Called with a line of progress now and then. */
  readonly onProgress?: (message: string) => void;
}

/** Training speed at one batch size. */
export interface TrainingFigure {
  readonly batch: number;
  /** Fastest milliseconds of a whole step (forward, backward, clipping, AdamW). */
  readonly msPerStep: number;
  /**
   * Milliseconds of every timed step, in the order taken; sample `i` of every variant at
   * this context and batch came from the same alternation cycle (for paired savings).
   */
  readonly samples: readonly number[];
  readonly tokensPerSecond: number;
  /** Model (analytic training) FLOPs per second, in GFLOP/s. */
  readonly modelGflops: number;
}

/** Every figure of one variant at one context length. */
export interface VariantFigures {
  readonly variant: BenchVariant;
  readonly seqLen: number;
  /** Analytic FLOPs per token of training and of a forward pass. */
  readonly flops: FlopCount;
  /** Analytic FLOPs of the decode step timed (the token after `seqLen − 1`). */
  readonly decodeFlops: FlopCount;
  readonly training: readonly TrainingFigure[];
  /** Fastest milliseconds of a forward pass over one sequence of `seqLen` tokens. */
  readonly prefillMs: number;
  /** Milliseconds of every prefill sample, in the order taken (paired across variants as {@link TrainingFigure.samples}). */
  readonly prefillSamples: readonly number[];
  /**
   * Milliseconds of one KV-cache decode step with `seqLen − 1` cached tokens, after
   * `DECODE_WARMUP_STEPS` untimed steps: the mean over the {@link DECODE_PROMPTS}
   * prompts of each one's fastest step.
   */
  readonly decodeMs: number;
  /**
   * Milliseconds of every decode-step sample, in the order taken, sample `j` on prompt
   * `j mod DECODE_PROMPTS` (paired as {@link TrainingFigure.samples}).
   */
  readonly decodeSamples: readonly number[];
  /** `prefillMs / decodeMs`: how much faster decoding is than recomputing the prefix. */
  readonly decodeSpeedup: number;
  /** Bytes: parameters, gradients and AdamW moments; peak activations; their sum. */
  readonly memory: { readonly stateBytes: number; readonly activationBytes: number; readonly totalBytes: number };
  /** Share of training-step time per part (largest batch), when profiling; else null. */
  readonly profile: Readonly<Record<ModelPart | 'optimizer', number>> | null;
  /** Correctness before timing: fast−reference loss difference, and decode−forward logits difference. */
  readonly checks: { readonly lossError: number; readonly decodeError: number };
}

/** The whole run. */
export interface BenchmarkResult {
  /** The backend's label: `reference`, `fast` or `fast+fma` (fused multiply-add). */
  readonly backend: string;
  readonly rounds: number;
  /** GFLOP/s of the backend's matmul on `(1280, 128)·(128, 256)`: the fastest of the samples taken before and in every round. */
  readonly matmulGflops: number;
  readonly results: readonly VariantFigures[];
  /** Measured against analytic savings of every variant against `allHeads`. */
  readonly savings: readonly Saving[];
  /** The targets and whether this run meets them. */
  readonly targets: readonly TargetCheck[];
}

/**
 * Runs the benchmark. Throws when a variant fails its correctness checks (fast loss
 * within 1e-3 relative of the reference backend's; decoded logits within 1e-3 of the
 * full forward's).
 *
 * @example
 * ```ts
 * const result = runBenchmark({ contexts: [80], quick: true });
 * console.log(formatBenchmark(result));
 * ```
 */
export function runBenchmark(options: BenchmarkOptions = {}): BenchmarkResult {
  const threads = options.threads ?? 1;
  const backend = options.backend ?? (threads === 1 ? getBackend() : createBackend('fast', { threads }));
  const quick = options.quick ?? false;
  const rounds = options.rounds ?? (quick ? 2 : 5);
  // A few-percent saving has to show through ±20 % swings of a shared machine: each
  // figure keeps the fastest of its samples, at least `min` a round, more where a step is
  // cheap (a T = 80 batch-16 step takes ~0.12 s, a T = 512 one ~1.3 s).
  const steps = quick ? { budgetMs: 250, min: 2, max: 5 } : { budgetMs: 1000, min: 5, max: 20 };
  // Inference figures are cheap at short contexts (a T = 80 prefill takes ~3 ms, a decode
  // step ~0.15 ms) and a saving of a few percent is what they must resolve on a noisy
  // machine: each round gives each variant about a fixed time per inference figure,
  // within [min, max] samples (see samplesPerRound).
  const inference = quick ? { budgetMs: 40, min: 4, max: 25 } : { budgetMs: 150, min: 10, max: 100 };
  const seed = options.seed ?? 1;
  const progress = options.onProgress ?? (() => undefined);
  const contexts = options.contexts ?? [80, 512];
  const batchSizes = options.batchSizes ?? [1, 16];
  const variants = BENCH_VARIANTS.filter((v) => v === 'allHeads' || (options.variants ?? BENCH_VARIANTS).includes(v));
  progress(`matmul speed of the ${backend.label} backend…`);
  // Sampled again in every round, so the yardstick sees the same machine load as the models.
  const matmulSamples = [matmulGflops(backend, 1280, 128, 256, 3)];
  const results: VariantFigures[] = [];
  for (const seqLen of contexts) {
    const own = (): Backend => (options.backend === undefined ? createBackend(backend.name, { fusedMultiplyAdd: backend.fusedMultiplyAdd, threads: backend.threads }) : backend);
    const subjects = variants.map((variant) => new BenchSubject(createModel(variantConfig(variant, seqLen), { backend: own(), seed }), seed));
    try {
      const checks = variants.map((variant, i) => check(variant, subjects[i], seqLen, seed, progress));
      progress(`T=${seqLen}: warming up…`);
      for (const s of subjects) {
        for (const b of batchSizes) s.trainStep(b, seqLen);
        s.prefill(seqLen);
        s.decodeStep(seqLen);
      }
      const prefillOf = (s: BenchSubject): number => s.prefill(seqLen);
      // Sample j of every variant decodes prompt j mod DECODE_PROMPTS: back-to-back samples
      // (the paired saving) time the same token, and the figure covers every prompt's routing.
      const decodeOf = (s: BenchSubject, index: number): number => s.decodeStep(seqLen, index % DECODE_PROMPTS);
      // Wall milliseconds per inference sample, which size the next round: first one more
      // warm-up sample each, then the round before, as the first calls still run code the
      // engine has not optimized yet (a T = 80 prefill can take 10 ms, later 3).
      const cost = { prefill: sampleRound(subjects, 1, prefillOf, null), decode: sampleRound(subjects, 1, decodeOf, null) };
      const stepOf = batchSizes.map((b) => (s: BenchSubject): number => s.trainStep(b, seqLen));
      const stepCost = stepOf.map((step) => sampleRound(subjects, 1, step, null));
      const train = batchSizes.map(() => variants.map((): number[] => []));
      const prefill = variants.map((): number[] => []);
      const decode = variants.map((): number[] => []);
      for (let r = 0; r < rounds; r++) {
        const prefillRepeats = samplesPerRound(cost.prefill, inference.budgetMs, inference.min, inference.max);
        // Whole turns of the decode prompts, at least two a round (one with --quick), so that
        // every prompt's fastest step comes from as many samples as the others'.
        const turns = Math.max(quick ? 1 : 2, Math.ceil(samplesPerRound(cost.decode, inference.budgetMs, inference.min, inference.max) / DECODE_PROMPTS));
        const decodeRepeats = turns * DECODE_PROMPTS;
        const stepRepeats = stepCost.map((c) => samplesPerRound(c, steps.budgetMs, steps.min, steps.max));
        progress(
          `T=${seqLen}: round ${r + 1} of ${rounds} (${stepRepeats.join('/')} training steps at batch ${batchSizes.join('/')}, ` +
            `${prefillRepeats} prefill and ${decodeRepeats} decode samples per variant)`,
        );
        batchSizes.forEach((_, bi) => {
          stepCost[bi] = sampleRound(subjects, stepRepeats[bi], stepOf[bi], train[bi]);
        });
        cost.prefill = sampleRound(subjects, prefillRepeats, prefillOf, prefill);
        cost.decode = sampleRound(subjects, decodeRepeats, decodeOf, decode);
        matmulSamples.push(matmulGflops(backend, 1280, 128, 256, 3));
      }
      const profiles = options.profile === true ? profile(subjects, Math.max(...batchSizes), seqLen, quick ? 2 : 4, progress) : null;
      variants.forEach((variant, i) => {
        const config = subjects[i].model.config;
        const flops = countFlops(config, seqLen);
        const training = batchSizes.map((batch, bi): TrainingFigure => {
          const ms = fastest(train[bi][i]);
          return {
            batch, msPerStep: ms, samples: train[bi][i], tokensPerSecond: (batch * seqLen * 1000) / ms,
            modelGflops: (flops.training * batch * seqLen) / (ms * 1e6),
          };
        });
        const prefillMs = fastest(prefill[i]);
        const decodeMs = fastestPerPrompt(decode[i], DECODE_PROMPTS);
        const activationBytes = subjects[i].model.workspace.peakBytes;
        results.push({
          variant, seqLen, flops, decodeFlops: countDecodeFlops(config, seqLen - 1), training,
          prefillMs, prefillSamples: prefill[i], decodeMs, decodeSamples: decode[i],
          decodeSpeedup: prefillMs / decodeMs,
          memory: { stateBytes: subjects[i].stateBytes, activationBytes, totalBytes: subjects[i].stateBytes + activationBytes },
          profile: profiles === null ? null : profiles[i], checks: checks[i],
        });
      });
    } finally {
      for (const s of subjects) s.free();
    }
  }
  const savings = compareVariants(results);
  const matmul = Math.max(...matmulSamples);
  return { backend: backend.label, rounds, matmulGflops: matmul, results, savings, targets: checkTargets(results, savings, matmul) };
}

/**
 * Takes `count` samples of a figure from every subject in alternation (A B C A B C …),
 * subject `i`'s into `into[i]` (nowhere when null), and returns the mean wall
 * milliseconds of a sample, untimed work included: a decode sample prefills its prefix
 * again (a decoder cannot rewind), so it costs about a prefill however short its step.
 */
function sampleRound(
  subjects: readonly BenchSubject[],
  count: number,
  sample: (s: BenchSubject, index: number) => number,
  into: number[][] | null,
): number {
  const t0 = performance.now();
  for (let k = 0; k < count; k++) {
    subjects.forEach((s, i) => {
      // The sample's index among those kept (0 for warm-up samples), the same for every subject.
      const ms = sample(s, into?.[i].length ?? 0);
      into?.[i].push(ms);
    });
  }
  return (performance.now() - t0) / (count * subjects.length);
}

/** The correctness checks run before timing; throws on a failure. */
function check(variant: BenchVariant, subject: BenchSubject, seqLen: number, seed: number, progress: (m: string) => void): VariantFigures['checks'] {
  progress(`T=${seqLen}: checking ${variant} against the reference backend and decoding against the forward…`);
  const T = Math.min(seqLen, 32);
  const reference = createModel(subject.model.config, { backend: referenceBackend(), seed });
  const ids = Int32Array.from({ length: T }, (_, i) => (i * 7 + 3) % subject.model.config.vocabSize);
  const targets = Int32Array.from({ length: T }, (_, i) => (i * 5 + 1) % subject.model.config.vocabSize);
  const want = reference.forward(ids, targets, 1, T, { updateStatistics: false }).loss;
  const got = subject.model.forward(ids, targets, 1, T, { updateStatistics: false }).loss;
  reference.free();
  const lossError = Math.abs(got - want) / Math.abs(want);
  const decodeError = subject.decodeError(seqLen);
  if (!(lossError <= 1e-3)) throw new Error(`bench: ${variant} loss ${got} differs from the reference backend's ${want}`);
  if (!(decodeError <= 1e-3)) throw new Error(`bench: ${variant} decoded logits differ from the full forward's by ${decodeError}`);
  return { lossError, decodeError };
}

/** Shares of training-step time per part, over `steps` extra steps per subject (alternating). */
function profile(
  subjects: readonly BenchSubject[],
  batch: number,
  seqLen: number,
  steps: number,
  progress: (m: string) => void,
): Record<ModelPart | 'optimizer', number>[] {
  progress(`T=${seqLen}: profiling ${steps} steps per variant…`);
  const totals = subjects.map(() => new PartTotals());
  for (let k = 0; k < steps; k++) subjects.forEach((s, i) => s.trainStep(batch, seqLen, totals[i]));
  return totals.map((t) => {
    const sum = [...t.ms.values()].reduce((a, b) => a + b, 0);
    const parts: (ModelPart | 'optimizer')[] = ['embedding', 'attention', 'router', 'ffn', 'norms', 'lmHead', 'loss', 'optimizer'];
    return Object.fromEntries(parts.map((p) => [p, (t.ms.get(p) ?? 0) / sum])) as Record<ModelPart | 'optimizer', number>;
  });
}
