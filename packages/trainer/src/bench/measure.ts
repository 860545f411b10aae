/**
 * What one benchmarked model runs: a training step exactly as the trainer takes it
 * (zero gradients, forward, backward, global-norm clipping, one AdamW update), a
 * prefill forward and a KV-cache decode step; and the fast matmul's own speed, the
 * yardstick for the model's FLOP rate. Every figure is the fastest of its samples: on a
 * shared machine interference only ever adds time, so the minimum is the stable statistic
 * (a decode step's, per prompt: see {@link DECODE_PROMPTS}).
 * The samples themselves are kept too, for the paired savings of `targets.ts` (medians of
 * back-to-back samples, see {@link median}).
 *
 * @packageDocumentation
 */
import type { Decoder, Model, ModelPart, PartTimer } from '@moh/model';
import { referenceBackend, type Backend } from '@moh/tensor';
import { AdamW } from '../train/optimizer.js';

/** The smallest of `values` (NaN when empty): the fastest sample of a timing. */
export function fastest(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

/**
 * Prompts a decode figure rotates through. A Mixture-of-Heads decode step routes one
 * token, whose heads are what they are, and a step costs more or less with its routing,
 * so one fixed prompt measures one routing (seen: a MoH saving of 1 % on one prompt,
 * 4–5 % on another).
 */
export const DECODE_PROMPTS = 8;

/**
 * Untimed decode steps before a timed one. Right after a prefill a decode step is a
 * transient: its buffers were last cut for the prefill's rows and the prefill's working
 * set has displaced the step's. Measured at T = 512 (25th percentiles, the step's index
 * after the prefill): 505, 216, 185, then 179–181 µs from the fourth step on. A token of
 * generated text is a step after steps, so the figure times the ninth.
 */
export const DECODE_WARMUP_STEPS = 8;

/**
 * The mean over prompts of each one's fastest sample, sample `j` having used prompt
 * `j mod prompts`: a decode figure over the prompts it rotates through, each timed at its
 * best. Prompts without a sample (a run of fewer samples than prompts) are left out; NaN
 * when there is no sample at all.
 */
export function fastestPerPrompt(values: readonly number[], prompts: number): number {
  let sum = 0;
  const used = Math.min(prompts, values.length);
  for (let p = 0; p < used; p++) {
    let best = values[p];
    for (let j = p + prompts; j < values.length; j += prompts) best = Math.min(best, values[j]);
    sum += best;
  }
  return used === 0 ? Number.NaN : sum / used;
}

/**
 * The median of `values` (the mean of the middle two for an even count; NaN when empty).
 * The paired savings use it rather than a mean: one sample hit by a burst of
 * interference moves a mean by its whole size, a median not at all.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * How many samples of a figure to take per round so that each variant spends about
 * `budgetMs` on it: `budgetMs / costMs`, rounded, within `[min, max]` (`min` when the
 * cost is unknown). `costMs` is the wall time of one sample, untimed work included.
 * Cheap figures (a T = 80 prefill takes ~3 ms) get many samples, so a saving of a few
 * percent shows through the noise; dear ones keep `min` and the run stays short.
 */
export function samplesPerRound(costMs: number, budgetMs: number, min: number, max: number): number {
  const n = Math.round(budgetMs / costMs);
  return Number.isNaN(n) ? min : Math.min(max, Math.max(min, n));
}

/** Deterministic token ids `(n)` in `[0, vocab)` from `seed`. */
export function benchTokens(n: number, vocab: number, seed: number): Int32Array {
  const ids = new Int32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    ids[i] = s % vocab;
  }
  return ids;
}

/** Milliseconds per part, summed over timed passes. */
export class PartTotals implements PartTimer {
  readonly ms = new Map<ModelPart | 'optimizer', number>();

  add(part: ModelPart | 'optimizer', ms: number): void {
    this.ms.set(part, (this.ms.get(part) ?? 0) + ms);
  }
}

/** A model under test with its optimizer and a fixed batch per batch size. */
export class BenchSubject {
  private readonly optimizer: AdamW;
  private readonly batches = new Map<string, { ids: Int32Array; targets: Int32Array }>();
  private decoder: Decoder | null = null;

  constructor(
    readonly model: Model,
    private readonly seed: number,
  ) {
    this.optimizer = new AdamW(model.backend, model.params.length, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 });
  }

  /** Bytes of parameters, gradients and the two AdamW moments. */
  get stateBytes(): number {
    return 4 * 4 * this.model.params.length;
  }

  /** One training step on `batch` sequences of `seqLen` tokens; returns its milliseconds. */
  trainStep(batch: number, seqLen: number, totals: PartTotals | null = null): number {
    const { model } = this;
    const { ids, targets } = this.batch(batch, seqLen);
    model.setTimer(totals);
    const t0 = performance.now();
    model.zeroGrad();
    const { loss } = model.forward(ids, targets, batch, seqLen);
    model.backward();
    const t1 = performance.now();
    const n = model.params.length;
    model.backend.clipByGlobalNorm(model.grads, 1, n);
    this.optimizer.update(model.params, model.grads, 1e-4);
    const t2 = performance.now();
    model.setTimer(null);
    totals?.add('optimizer', t2 - t1);
    if (!Number.isFinite(loss)) throw new Error(`bench: the training loss became ${loss}`);
    return t2 - t0;
  }

  /** A forward pass over one sequence of `seqLen` tokens (no loss): the prefill latency. */
  prefill(seqLen: number): number {
    const { ids } = this.batch(1, seqLen);
    const t0 = performance.now();
    this.model.forward(ids, null, 1, seqLen, { updateStatistics: false });
    return performance.now() - t0;
  }

  /**
   * One decode step of a sequence that has `seqLen − 1` cached tokens, prompt `prompt`
   * of {@link DECODE_PROMPTS}; returns its milliseconds. As in generation, the step
   * follows a run of decode steps: the prompt's first `seqLen − 1 − w` tokens are
   * prefilled, then `w` = min({@link DECODE_WARMUP_STEPS}, `seqLen − 1`) tokens are
   * decoded one by one, all untimed. A decoder cannot rewind, so every sample prefills
   * its prefix again: a sample's wall time is about a prefill's.
   */
  decodeStep(seqLen: number, prompt = 0): number {
    const ids = this.prompt(seqLen, prompt);
    const decoder = this.decoderFor(seqLen);
    decoder.reset();
    const warm = Math.min(DECODE_WARMUP_STEPS, seqLen - 1);
    const prefix = seqLen - 1 - warm;
    if (prefix > 0) decoder.append(ids.subarray(0, prefix), prefix);
    for (let i = prefix; i < seqLen - 1; i++) decoder.append(ids.subarray(i, i + 1), 1);
    const t0 = performance.now();
    decoder.append(ids.subarray(seqLen - 1), 1);
    return performance.now() - t0;
  }

  /**
   * Checks decoding against the full forward: the last token's logits after
   * `seqLen − 1` cached tokens must match the forward's last row (prompt 0 of the decode
   * figure). Returns the largest absolute difference.
   */
  decodeError(seqLen: number): number {
    const { model } = this;
    const ids = this.prompt(seqLen, 0);
    const decoder = this.decoderFor(seqLen);
    decoder.reset();
    decoder.append(ids.subarray(0, seqLen - 1), seqLen - 1);
    const decoded = decoder.append(ids.subarray(seqLen - 1), 1);
    model.forward(ids, null, 1, seqLen, { updateStatistics: false });
    const V = model.config.vocabSize;
    const full = model.logits.subarray((seqLen - 1) * V, seqLen * V);
    let worst = 0;
    for (let j = 0; j < V; j++) worst = Math.max(worst, Math.abs(decoded[j] - full[j]));
    return worst;
  }

  /** Returns every buffer the subject holds to the backend. */
  free(): void {
    this.decoder?.free();
    this.optimizer.free();
    this.model.free();
  }

  private decoderFor(seqLen: number): Decoder {
    if (this.decoder === null || this.decoder.capacity !== seqLen) {
      this.decoder?.free();
      this.decoder = this.model.decoder(1, seqLen);
    }
    return this.decoder;
  }

  /** The `seqLen` tokens of decode prompt `prompt` (of {@link DECODE_PROMPTS}). */
  private prompt(seqLen: number, prompt: number): Int32Array {
    if (!Number.isInteger(prompt) || prompt < 0 || prompt >= DECODE_PROMPTS) {
      throw new RangeError(`bench: prompt must be an integer in 0..${DECODE_PROMPTS - 1}, got ${prompt}`);
    }
    return this.batch(DECODE_PROMPTS, seqLen).ids.subarray(prompt * seqLen, (prompt + 1) * seqLen);
  }

  private batch(batch: number, seqLen: number): { ids: Int32Array; targets: Int32Array } {
    const key = `${batch}x${seqLen}`;
    let found = this.batches.get(key);
    if (found === undefined) {
      const V = this.model.config.vocabSize;
      const ids = benchTokens(batch * seqLen + 1, V, this.seed);
      found = { ids: ids.slice(0, batch * seqLen), targets: ids.slice(1) };
      this.batches.set(key, found);
    }
    return found;
  }
}

/**
 * GFLOP/s of `backend.matmul` on `(m, k) · (k, n)` with operands in backend storage,
 * after checking the product against the reference backend. The fastest of `repeats`.
 */
export function matmulGflops(backend: Backend, m: number, k: number, n: number, repeats: number): number {
  const a = backend.allocFloat32(m * k);
  const b = backend.allocFloat32(k * n);
  const out = backend.allocFloat32(m * n);
  try {
    const ad = a.data;
    const bd = b.data;
    ad.set(benchTokens(m * k, 2001, 1));
    bd.set(benchTokens(k * n, 2001, 2));
    for (const x of [ad, bd]) for (let i = 0; i < x.length; i++) x[i] = (x[i] - 1000) / 1000;
    const want = new Float32Array(m * n);
    referenceBackend().matmul(want, ad.slice(), bd.slice(), m, k, n);
    backend.matmul(out.data, ad, bd, m, k, n);
    for (let i = 0; i < want.length; i++) {
      if (Math.abs(out.data[i] - want[i]) > 1e-3 * (1 + Math.abs(want[i]))) throw new Error(`bench: matmul differs from the reference at ${i}`);
    }
    const times: number[] = [];
    const inner = Math.max(1, Math.round(2e8 / (2 * m * k * n)));
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      for (let i = 0; i < inner; i++) backend.matmul(out.data, ad, bd, m, k, n);
      times.push((performance.now() - t0) / inner);
    }
    return (2 * m * k * n) / (fastest(times) * 1e6);
  } finally {
    a.free();
    b.free();
    out.free();
  }
}
