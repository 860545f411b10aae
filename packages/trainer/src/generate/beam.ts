/**
 * Beam search over a {@link DecodingSource}.
 *
 * Each step scores every (live beam, next token) pair by total log-probability, takes
 * the best candidates in order (the `topK` kernel over the `(live·V)` scores, ties to
 * the lower beam and id) and keeps the first `width` that are not stop tokens; a stop
 * token ranked before the `width`-th kept candidate finishes its hypothesis. Finished
 * hypotheses are ranked by `score = log P / lp(n)` with `lp(n) = ((5 + n) / 6)^α`
 * (Wu et al. 2016, "Google's Neural Machine Translation System"), n the generated tokens
 * including the stop token; at most `width` of them are kept.
 *
 * Stopping: at the token limit (live beams then become hypotheses as they are), when
 * no beam is left, or as soon as `width` hypotheses are finished and no live beam can
 * still beat the worst of them. That test is exact for this search: a beam's
 * log-probability only falls as it grows, and `lp` is monotone in n, so its best
 * possible future score is `log P / lp(n′)` at one end of the remaining lengths.
 *
 * KV caches and cost: the model's decoder cannot copy a cache, so each beam owns a
 * cursor (a decoder of batch 1). When a beam survives with one child, the child takes
 * over its cursor and pays one row per layer; every extra child of the same parent is
 * a fork and re-feeds its whole sequence (prompt + generated) to a fresh cursor in one
 * prefill. A step therefore costs between `width` rows (no forks) and about
 * `width · (P + n)` rows (every survivor forked from one parent), the latter with
 * attention cost quadratic in `P + n`, like recomputation. Cursors of dropped beams are
 * closed and reused, so at most `width` exist at once.
 */
import { logProbabilities } from './filters.js';
import type { DecodingCursor, DecodingSource } from './source.js';
import type { BeamHypothesis, StopReason } from './types.js';

/** The settings of one beam search (validated by the caller). */
export interface BeamSearchSettings {
  /** Hypotheses kept per step. */
  readonly width: number;
  /** α of the length normalisation. */
  readonly lengthPenalty: number;
  /** The most tokens to generate, already capped by the context. */
  readonly limit: number;
  /** Why the search ends when it reaches `limit`. */
  readonly limitReason: StopReason;
  /** Ids that finish a hypothesis. */
  readonly stopTokens: ReadonlySet<number>;
}

interface LiveBeam {
  readonly tokens: number[];
  readonly logProbability: number;
  readonly cursor: DecodingCursor;
  /** `(V)` log-probabilities of the next token. */
  readonly next: Float32Array;
}

interface Candidate {
  readonly parent: number;
  readonly token: number;
  readonly logProbability: number;
}

/** `lp(n) = ((5 + n) / 6)^α`, the length normalisation of GNMT. */
export function lengthNormalisation(n: number, alpha: number): number {
  return Math.pow((5 + n) / 6, alpha);
}

/**
 * Runs beam search after `prompt` and returns the finished hypotheses, best score first
 * (never empty when `limit ≥ 1`; one empty hypothesis when `limit` is 0).
 */
export function beamSearch(source: DecodingSource, prompt: readonly number[], settings: BeamSearchSettings): BeamHypothesis[] {
  const { width, lengthPenalty: alpha, limit, limitReason, stopTokens } = settings;
  const V = source.vocabSize;
  const kernels = source.kernels;
  if (limit === 0) return [{ tokens: [], logProbability: 0, score: 0, stopReason: limitReason, stopToken: null }];
  const finished: BeamHypothesis[] = [];
  const finish = (tokens: readonly number[], logProbability: number, n: number, stopReason: StopReason, stopToken: number | null): void => {
    const score = logProbability / lengthNormalisation(n, alpha);
    let at = finished.findIndex((h) => h.score < score); // stable: earlier hypotheses win ties
    if (at < 0) at = finished.length;
    finished.splice(at, 0, { tokens: [...tokens], logProbability, score, stopReason, stopToken });
    if (finished.length > width) finished.pop();
  };
  const first = source.open();
  let live: LiveBeam[] = [{ tokens: [], logProbability: 0, cursor: first, next: logProbabilities(kernels, first.feed(prompt)) }];
  try {
    for (let step = 1; step <= limit; step++) {
      const chosen = selectCandidates(live, V, width, stopTokens, kernels);
      for (const c of chosen.finished) finish(live[c.parent].tokens, c.logProbability, step, 'stopToken', c.token);
      if (step === limit) {
        for (const c of chosen.live) finish([...live[c.parent].tokens, c.token], c.logProbability, step, limitReason, null);
        break;
      }
      live = advance(source, prompt, live, chosen.live);
      if (live.length === 0) break;
      if (finished.length === width && !canImprove(live, finished[width - 1].score, step, limit, alpha)) break;
    }
  } finally {
    for (const beam of live) beam.cursor.close();
  }
  return finished;
}

/** The ranked candidates of one step: stop tokens that made the beam, and the next live beams. */
function selectCandidates(
  live: readonly LiveBeam[],
  V: number,
  width: number,
  stopTokens: ReadonlySet<number>,
  kernels: DecodingSource['kernels'],
): { finished: Candidate[]; live: Candidate[] } {
  const total = live.length * V;
  const scores = new Float32Array(total);
  live.forEach((beam, b) => {
    for (let t = 0; t < V; t++) scores[b * V + t] = beam.logProbability + beam.next[t];
  });
  // Enough candidates that `width` non-stop ones remain even if every beam's stop tokens rank first.
  const k = Math.min(total, width * (1 + stopTokens.size));
  const indices = new Int32Array(k);
  kernels.topK(indices, new Float32Array(k), scores, k, 1, total);
  const out = { finished: [] as Candidate[], live: [] as Candidate[] };
  for (const index of indices) {
    if (out.live.length === width) break;
    const parent = Math.floor(index / V);
    const token = index % V;
    // Recomputed in float64: the float32 scores only order the candidates.
    const candidate = { parent, token, logProbability: live[parent].logProbability + live[parent].next[token] };
    (stopTokens.has(token) ? out.finished : out.live).push(candidate);
  }
  return out;
}

/** Moves the KV caches to the chosen children: the first child inherits, later ones fork. */
function advance(source: DecodingSource, prompt: readonly number[], live: readonly LiveBeam[], chosen: readonly Candidate[]): LiveBeam[] {
  const inherited = new Set<number>();
  const firstChild = chosen.map((c) => {
    if (inherited.has(c.parent)) return false;
    inherited.add(c.parent);
    return true;
  });
  // Close dropped beams first, so forks reuse their decoders.
  live.forEach((beam, b) => {
    if (!inherited.has(b)) beam.cursor.close();
  });
  const kernels = source.kernels;
  const next: LiveBeam[] = [];
  // Forks first: they read only their parent's tokens, never its (about to move) cursor.
  const forks = chosen.map((c, i) => {
    if (firstChild[i]) return null;
    const tokens = [...live[c.parent].tokens, c.token];
    const cursor = source.open();
    return { tokens, logProbability: c.logProbability, cursor, next: logProbabilities(kernels, cursor.feed([...prompt, ...tokens])) };
  });
  chosen.forEach((c, i) => {
    const fork = forks[i];
    if (fork !== null) {
      next.push(fork);
      return;
    }
    const parent = live[c.parent];
    const logits = parent.cursor.feed([c.token]);
    next.push({ tokens: [...parent.tokens, c.token], logProbability: c.logProbability, cursor: parent.cursor, next: logProbabilities(kernels, logits) });
  });
  return next;
}

/** Whether some live beam could still finish with a score above `worst`. */
function canImprove(live: readonly LiveBeam[], worst: number, step: number, limit: number, alpha: number): boolean {
  return live.some((beam) => {
    const lp = beam.logProbability;
    const best = Math.max(lp / lengthNormalisation(step + 1, alpha), lp / lengthNormalisation(limit, alpha));
    return best > worst;
  });
}
