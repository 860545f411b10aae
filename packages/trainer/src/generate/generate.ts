/**
 * Text generation in token ids: greedy, sampled (temperature, top-k, top-p) and beam
 * search, through the model's KV cache, stopping at a stop token, at `maxNewTokens` or
 * at the context length; with a callback per token or an async iterator.
 *
 * Context rule: a sequence never holds more than the model's `maxSeqLen` (C) tokens,
 * prompt and generated tokens together. A prompt longer than C − 1 keeps only its last
 * C − 1 tokens (the most recent context, with room for one new token), and generation
 * stops with `'contextFull'` when the sequence reaches C tokens.
 */
import type { Model } from '@moh/model';
import { Rng } from '@moh/tensor';
import { beamSearch } from './beam.js';
import { greedyToken, logProbabilities, sampleToken, temperatureProbabilities, topKFilter, topPFilter } from './filters.js';
import { toSource, type DecodingSource } from './source.js';
import type { DecodingStrategy, GenerateOptions, GenerateResult, SampledDecoding, StopReason } from './types.js';

/**
 * The prompt that fits a context of `contextLength` tokens with room for one new token:
 * its last `contextLength − 1` tokens.
 */
export function fitPrompt(prompt: ArrayLike<number>, contextLength: number): { prompt: number[]; truncated: number } {
  const ids = Array.from(prompt);
  const keep = Math.max(1, contextLength - 1);
  const truncated = Math.max(0, ids.length - keep);
  return { prompt: ids.slice(truncated), truncated };
}

/**
 * Generates tokens after `prompt` and returns them with why generation stopped.
 * Calls `options.onToken` with each token as it is chosen.
 *
 * @example
 * ```ts
 * import { createModel, resolveConfig } from '@moh/model';
 * import { generate } from '@moh/trainer';
 * const model = createModel(resolveConfig({ preset: 'seed-moh' }), { seed: 1 });
 * const { tokens, stopReason } = generate(model, [256, 72, 105], {
 *   strategy: { kind: 'sample', temperature: 0.8, topP: 0.9 },
 *   maxNewTokens: 20,
 *   stopTokens: [257],
 *   seed: 7,
 * });
 * ```
 *
 * @param model - A model, or any {@link DecodingSource}.
 * @param prompt - Token ids, at least one (typically starting with begin-of-text).
 */
export function generate(model: Model | DecodingSource, prompt: ArrayLike<number>, options: GenerateOptions): GenerateResult {
  const run = { result: null as GenerateResult | null };
  for (const token of collect(generateSteps(model, prompt, options), run)) options.onToken?.(token);
  return finalResult(run.result);
}

/**
 * {@link generate} as an async iterator of tokens, for streaming output:
 * `for await (const token of streamTokens(model, prompt, options))`. The iterator's
 * return value is the {@link GenerateResult}; `options.onToken` is called too. Leaving
 * the loop early stops generation and frees its decoders. Beam search yields its
 * best hypothesis only once the search is over.
 */
export async function* streamTokens(
  model: Model | DecodingSource,
  prompt: ArrayLike<number>,
  options: GenerateOptions,
): AsyncGenerator<number, GenerateResult, void> {
  const run = { result: null as GenerateResult | null };
  // for-of closes the step generator (and its decoder) when the consumer stops early.
  for (const token of collect(generateSteps(model, prompt, options), run)) {
    options.onToken?.(token);
    yield token;
  }
  return finalResult(run.result);
}

/** Delegates to `steps` and stores its return value in `run`. */
function* collect(steps: Generator<number, GenerateResult, void>, run: { result: GenerateResult | null }): Generator<number, void, void> {
  run.result = yield* steps;
}

function finalResult(result: GenerateResult | null): GenerateResult {
  if (result === null) throw new Error('generation ended without a result.');
  return result;
}

/** The validated settings shared by every strategy. */
interface Plan {
  readonly source: DecodingSource;
  readonly prompt: number[];
  readonly truncated: number;
  readonly limit: number;
  readonly limitReason: StopReason;
  readonly stopTokens: ReadonlySet<number>;
}

function plan(model: Model | DecodingSource, promptIds: ArrayLike<number>, options: GenerateOptions): Plan {
  const source = toSource(model);
  const { maxNewTokens } = options;
  if (promptIds.length === 0) throw new RangeError('the prompt must hold at least one token (e.g. begin-of-text).');
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new RangeError(`maxNewTokens must be an integer ≥ 0, got ${maxNewTokens}.`);
  }
  for (const id of options.stopTokens ?? []) {
    if (!Number.isInteger(id) || id < 0 || id >= source.vocabSize) {
      throw new RangeError(`stop token ${id} is outside the vocabulary of ${source.vocabSize}.`);
    }
  }
  checkStrategy(options.strategy);
  const { prompt, truncated } = fitPrompt(promptIds, source.contextLength);
  const room = source.contextLength - prompt.length;
  return {
    source,
    prompt,
    truncated,
    limit: Math.min(maxNewTokens, room),
    limitReason: maxNewTokens <= room ? 'maxNewTokens' : 'contextFull',
    stopTokens: new Set(options.stopTokens ?? []),
  };
}

function checkStrategy(strategy: DecodingStrategy): void {
  switch (strategy.kind) {
    case 'greedy':
      return;
    case 'sample':
      if (!(strategy.temperature > 0) || !Number.isFinite(strategy.temperature)) {
        throw new RangeError(`temperature must be a finite number > 0, got ${strategy.temperature}; use greedy decoding for 0.`);
      }
      if (strategy.topK !== undefined && (!Number.isInteger(strategy.topK) || strategy.topK < 1)) {
        throw new RangeError(`topK must be an integer ≥ 1, got ${strategy.topK}.`);
      }
      if (strategy.topP !== undefined && !(strategy.topP > 0 && strategy.topP <= 1)) {
        throw new RangeError(`topP must be in (0, 1], got ${strategy.topP}.`);
      }
      return;
    case 'beam':
      if (!Number.isInteger(strategy.width) || strategy.width < 1) {
        throw new RangeError(`beam width must be an integer ≥ 1, got ${strategy.width}.`);
      }
      if (!Number.isFinite(strategy.lengthPenalty)) {
        throw new RangeError(`lengthPenalty must be a finite number, got ${strategy.lengthPenalty}.`);
      }
      return;
    default: {
      const unknown: never = strategy;
      throw new RangeError(`unknown decoding strategy ${JSON.stringify(unknown)}.`);
    }
  }
}

/** Yields each generated token (never the stop token) and returns the result. */
function* generateSteps(model: Model | DecodingSource, promptIds: ArrayLike<number>, options: GenerateOptions): Generator<number, GenerateResult, void> {
  const p = plan(model, promptIds, options);
  const strategy = options.strategy;
  if (strategy.kind === 'beam') {
    const hypotheses = beamSearch(p.source, p.prompt, {
      width: strategy.width, lengthPenalty: strategy.lengthPenalty, limit: p.limit, limitReason: p.limitReason, stopTokens: p.stopTokens,
    });
    const { tokens, stopReason, stopToken, logProbability } = hypotheses[0];
    yield* tokens;
    return { tokens, stopReason, stopToken, logProbability, prompt: p.prompt, truncated: p.truncated, hypotheses };
  }
  const choose = chooser(p.source, strategy, options.seed ?? 0);
  const tokens: number[] = [];
  let logProbability = 0;
  const done = (stopReason: StopReason, stopToken: number | null): GenerateResult => ({
    tokens, stopReason, stopToken, logProbability, prompt: p.prompt, truncated: p.truncated,
  });
  if (p.limit === 0) return done(p.limitReason, null);
  const cursor = p.source.open();
  try {
    let logits = cursor.feed(p.prompt);
    for (let step = 1; ; step++) {
      const token = choose(logits);
      logProbability += logProbabilities(p.source.kernels, logits)[token];
      if (p.stopTokens.has(token)) return done('stopToken', token);
      tokens.push(token);
      yield token;
      if (step === p.limit) return done(p.limitReason, null);
      logits = cursor.feed([token]);
    }
  } finally {
    cursor.close();
  }
}

/** The next-token rule of a greedy or sampled strategy; sampling draws from one seeded {@link Rng}. */
function chooser(source: DecodingSource, strategy: DecodingStrategy & { kind: 'greedy' | 'sample' }, seed: number): (logits: Float32Array) => number {
  const kernels = source.kernels;
  if (strategy.kind === 'greedy') return (logits) => greedyToken(kernels, logits);
  const rng = new Rng(seed);
  const s: SampledDecoding = strategy;
  return (logits) => {
    let probs = temperatureProbabilities(kernels, logits, s.temperature);
    if (s.topK !== undefined) probs = topKFilter(kernels, probs, s.topK);
    if (s.topP !== undefined) probs = topPFilter(kernels, probs, s.topP);
    return sampleToken(probs, rng.uniform());
  };
}
