/**
 * The model's parameter tensors: names, shapes and counts. These names are the keys of
 * the safetensors weight file. Shapes: V vocabulary, d model width, Tmax maximum
 * sequence length, H query heads, G key/value heads, D = d / H, F FFN width, P CoPE
 * positions, hs shared heads, hr routed heads; `{i}` is the layer index.
 *
 * | name | shape | when |
 * |---|---|---|
 * | `embedding` | V × d | always |
 * | `positions` | Tmax × d | learned positions |
 * | `layers.{i}.attention.wq` | d × H·D | always |
 * | `layers.{i}.attention.wk`, `.wv` | d × G·D | always |
 * | `layers.{i}.attention.cope` | H × P × D | CoPE |
 * | `layers.{i}.attention.wo` | H·D × d | output projection |
 * | `layers.{i}.router.ws` | hs × d | mixture of heads |
 * | `layers.{i}.router.wr` | hr × d | mixture of heads |
 * | `layers.{i}.router.wh` | 2 × d | mixture of heads |
 * | `layers.{i}.norm1.gamma`, `.norm2.gamma` | d | always |
 * | `layers.{i}.norm1.beta`, `.norm2.beta` | d | LayerNorm |
 * | `layers.{i}.ffn.w1`, `.w2` | d × F | SwiGLU |
 * | `layers.{i}.ffn.w3` | F × d | SwiGLU |
 * | `layers.{i}.ffn.w1` | d × F | ReLU FFN |
 * | `layers.{i}.ffn.b1` | F | ReLU FFN |
 * | `layers.{i}.ffn.w2` | F × d | ReLU FFN |
 * | `layers.{i}.ffn.b2` | d | ReLU FFN |
 * | `finalNorm.gamma` (`.beta` with LayerNorm) | d | pre-norm |
 * | `lmHead` | d × V | untied embeddings |
 */
import type { ModelConfig } from './config.js';

/** One parameter tensor of the model. */
export interface ParameterSpec {
  /** Its name in weight files, e.g. `layers.0.attention.wq`. */
  readonly name: string;
  /** Its shape, outermost first. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly count: number;
}

/** Parameter counts: every tensor and the total. */
export interface ParameterCount {
  /** Every parameter tensor in weight-file order. */
  readonly tensors: readonly ParameterSpec[];
  /** The sum of all counts. */
  readonly total: number;
}

function spec(name: string, shape: readonly number[]): ParameterSpec {
  return { name, shape, count: shape.reduce((a, b) => a * b, 1) };
}

/** The parameter tensors of a resolved configuration, in weight-file order. */
export function parameterSpecs(config: ModelConfig): ParameterSpec[] {
  const { vocabSize: V, modelDim: d, maxSeqLen, attention } = config;
  const H = attention.queryHeads;
  const G = attention.kvHeads;
  const D = d / H;
  const F = config.ffn.hiddenDim;
  const layerNorm = config.norm.kind === 'layernorm';
  const specs: ParameterSpec[] = [spec('embedding', [V, d])];
  if (config.learnedPositions) specs.push(spec('positions', [maxSeqLen, d]));
  for (let i = 0; i < config.layers; i++) {
    const p = `layers.${i}`;
    specs.push(spec(`${p}.attention.wq`, [d, H * D]), spec(`${p}.attention.wk`, [d, G * D]), spec(`${p}.attention.wv`, [d, G * D]));
    if (attention.position.kind === 'cope') specs.push(spec(`${p}.attention.cope`, [H, attention.position.maxPositions, D]));
    if (attention.outputProjection) specs.push(spec(`${p}.attention.wo`, [H * D, d]));
    const selection = attention.headSelection;
    if (selection.kind === 'mixtureOfHeads') {
      specs.push(
        spec(`${p}.router.ws`, [selection.sharedHeads, d]),
        spec(`${p}.router.wr`, [H - selection.sharedHeads, d]),
        spec(`${p}.router.wh`, [2, d]),
      );
    }
    for (const norm of ['norm1', 'norm2']) {
      specs.push(spec(`${p}.${norm}.gamma`, [d]));
      if (layerNorm) specs.push(spec(`${p}.${norm}.beta`, [d]));
    }
    if (config.ffn.kind === 'swiglu') {
      specs.push(spec(`${p}.ffn.w1`, [d, F]), spec(`${p}.ffn.w2`, [d, F]), spec(`${p}.ffn.w3`, [F, d]));
    } else {
      specs.push(spec(`${p}.ffn.w1`, [d, F]), spec(`${p}.ffn.b1`, [F]), spec(`${p}.ffn.w2`, [F, d]), spec(`${p}.ffn.b2`, [d]));
    }
  }
  if (config.blockLayout === 'preNorm') {
    specs.push(spec('finalNorm.gamma', [d]));
    if (layerNorm) specs.push(spec('finalNorm.beta', [d]));
  }
  if (!config.tiedEmbeddings) specs.push(spec('lmHead', [d, V]));
  return specs;
}

/**
 * Counts the parameters of a resolved configuration, per tensor and in total.
 *
 * @example
 * ```ts
 * import { countParameters, resolveConfig } from '@moh/model';
 * countParameters(resolveConfig({ preset: 'seed' })).total; // 573440
 * countParameters(resolveConfig({ preset: 'seed-moh' })).total; // 577280
 * ```
 */
export function countParameters(config: ModelConfig): ParameterCount {
  const tensors = parameterSpecs(config);
  return { tensors, total: tensors.reduce((sum, t) => sum + t.count, 0) };
}
