/**
 * The parameters of one attention layer. Shapes: d model width, H query heads, G key/value
 * heads, D head width, P CoPE positions.
 *
 * @packageDocumentation
 */
import type { AttentionConfig } from './config.js';

/**
 * The tensors of one attention layer, as views into the model's flat buffer. The same
 * record type holds the mirrored gradient views (which the layer accumulates into).
 */
export interface AttentionParams<T = Float32Array> {
  /** `(d, H·D)`: head `h` owns columns `h·D … h·D+D−1`. */
  readonly wq: T;
  /** `(d, G·D)`: key projection, group `g` owns columns `g·D … g·D+D−1`. */
  readonly wk: T;
  /** `(d, G·D)`: value projection, laid out like `wk`. */
  readonly wv: T;
  /** `(H, P, D)`: one CoPE position table per query head; present exactly with CoPE. */
  readonly cope?: T;
  /** `(H·D, d)`: output projection; present exactly with `outputProjection`. */
  readonly wo?: T;
}

/** The name and shape of one attention tensor. */
export interface AttentionParamShape {
  /** Key in {@link AttentionParams}. */
  readonly name: keyof AttentionParams;
  /** Row-major shape. */
  readonly shape: readonly number[];
}

/**
 * The tensors a layer with `config` needs, in the order `wq, wk, wv, cope?, wo?`
 * (the order of the model's parameter table).
 *
 * @example
 * ```ts
 * attentionParamShapes(config).map((s) => s.name); // ['wq', 'wk', 'wv', 'cope']
 * ```
 */
export function attentionParamShapes(config: AttentionConfig): AttentionParamShape[] {
  const { modelDim: d, queryHeads: H, kvHeads: G, headDim: D } = config;
  const shapes: AttentionParamShape[] = [
    { name: 'wq', shape: [d, H * D] },
    { name: 'wk', shape: [d, G * D] },
    { name: 'wv', shape: [d, G * D] },
  ];
  if (config.position.kind === 'cope') shapes.push({ name: 'cope', shape: [H, config.position.maxPositions, D] });
  if (config.outputProjection) shapes.push({ name: 'wo', shape: [H * D, d] });
  return shapes;
}

/** Throws unless every tensor `config` needs is present with the right length (and no other). */
export function checkAttentionParams(config: AttentionConfig, params: AttentionParams, what: string): void {
  const needed = attentionParamShapes(config);
  for (const { name, shape } of needed) {
    const view = params[name];
    const length = shape.reduce((a, b) => a * b, 1);
    if (view === undefined) throw new Error(`${what}.${name}: required by this config (shape ${shape.join('×')}) but missing`);
    if (view.length !== length) {
      throw new Error(`${what}.${name}: must have ${length} elements (${shape.join('×')}), got ${view.length}`);
    }
  }
  for (const name of ['cope', 'wo'] as const) {
    if (params[name] !== undefined && !needed.some((s) => s.name === name)) {
      throw new Error(`${what}.${name}: given, but this config has no ${name === 'cope' ? 'CoPE' : 'output projection'}`);
    }
  }
}
