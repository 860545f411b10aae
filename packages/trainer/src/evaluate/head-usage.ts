/**
 * Which attention heads each token used: the routing of one forward pass, per layer and
 * token, as plain data for the CLI's `inspect` command to render (a text table, an SVG
 * heatmap). Shapes: T tokens, H query heads, L layers.
 */
import type { Model } from '@moh/model';

/** The routing of one layer. */
export interface LayerHeadUsage {
  /** `[t][h]`: the gate of head h on token t (0 where the head did not run). */
  readonly gates: readonly (readonly number[])[];
  /** `[t]`: the heads that ran on token t, ascending. */
  readonly active: readonly (readonly number[])[];
  /** `[h]`: the share of the tokens on which head h ran. */
  readonly load: readonly number[];
}

/** Head usage of one sequence; see {@link headUsage}. */
export interface HeadUsage {
  /** The token ids inspected (the last `maxSeqLen` of the input). */
  readonly tokens: readonly number[];
  /** How many tokens were dropped from the start of the input to fit `maxSeqLen`. */
  readonly truncated: number;
  /** H, the query heads per layer. */
  readonly heads: number;
  /** How heads are selected: `'allHeads'`, `'staticPruning'` or `'mixtureOfHeads'`. */
  readonly headSelection: 'allHeads' | 'staticPruning' | 'mixtureOfHeads';
  /** With mixture of heads, the shared heads (heads `0 … sharedHeads − 1`, active on every token); otherwise 0. */
  readonly sharedHeads: number;
  /** One entry per layer, first to last. */
  readonly layers: readonly LayerHeadUsage[];
}

/**
 * Runs one forward pass over `ids` (one sequence; longer than `maxSeqLen`, only its last
 * `maxSeqLen` tokens) and reports, for every layer and token, the heads the router
 * activated and their gates: exactly the routing attention used in that pass.
 *
 * @example
 * ```ts
 * import { createModel, resolveConfig } from '@moh/model';
 * import { headUsage } from '@moh/trainer';
 * const model = createModel(resolveConfig({ preset: 'seed-moh' }), { seed: 1 });
 * const usage = headUsage(model, [256, 72, 105]);
 * usage.layers[0].active[2]; // e.g. [0, 1, 2, 3, 6, 7]: the 4 shared heads, then the k = 2 routed ones
 * ```
 */
export function headUsage(model: Model, ids: ArrayLike<number>): HeadUsage {
  const { maxSeqLen, attention } = model.config;
  const all = Array.from(ids);
  if (all.length === 0) throw new RangeError('headUsage needs at least one token.');
  const truncated = Math.max(0, all.length - maxSeqLen);
  const tokens = all.slice(truncated);
  const T = tokens.length;
  // An inspection pass: it must not move the adaptive window's running statistics.
  model.forward(Int32Array.from(tokens), null, 1, T, { updateStatistics: false });
  const captured = model.blocks.map((block, i) => {
    const routing = block.parts.router.lastRouting;
    if (routing === null) throw new Error(`layer ${i} did not route during the forward pass.`);
    return routing;
  });
  const H = attention.queryHeads;
  const layers = captured.map(({ gates, activeRows }): LayerHeadUsage => {
    const active: number[][] = Array.from({ length: T }, () => []);
    activeRows.forEach((rows, h) => {
      for (const t of rows) active[t].push(h); // heads visited in order, so each list is ascending
    });
    return {
      gates: Array.from({ length: T }, (_, t) => Array.from(gates.subarray(t * H, (t + 1) * H))),
      active,
      load: activeRows.map((rows) => rows.length / T),
    };
  });
  const selection = attention.headSelection;
  return {
    tokens,
    truncated,
    heads: H,
    headSelection: selection.kind,
    sharedHeads: selection.kind === 'mixtureOfHeads' ? selection.sharedHeads : 0,
    layers,
  };
}
