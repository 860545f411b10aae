import type { AdaptiveWindow, PositionEncoding } from '@moh/attention';
import type { Gating, HeadSelection } from '@moh/head-router';
import type {
  BlockLayout,
  DeepPartial,
  FfnConfig,
  ModelAttentionConfig,
  ModelConfig,
  ModelConfigInput,
  NormConfig,
  PresetName,
} from './config.js';

/**
 * A configuration that breaks a rule. `field` is the dotted path of the offending
 * field (e.g. `attention.kvHeads`) and `rule` says what it must satisfy.
 */
export class ConfigError extends Error {
  /** Dotted path of the field. */
  readonly field: string;
  /** The rule the field breaks, in words. */
  readonly rule: string;

  constructor(field: string, rule: string, got?: unknown) {
    super(`${field}: ${rule}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}.`);
    this.name = 'ConfigError';
    this.field = field;
    this.rule = rule;
  }
}

const SEED: ModelConfig = {
  vocabSize: 605,
  modelDim: 128,
  layers: 3,
  maxSeqLen: 80,
  attention: {
    queryHeads: 8,
    kvHeads: 4,
    position: { kind: 'cope', maxPositions: 64 },
    window: null,
    adaptiveWindow: { kind: 'fixed' },
    outputProjection: false,
    headSelection: { kind: 'allHeads' },
  },
  norm: { kind: 'rmsnorm', eps: 1e-6 },
  ffn: { kind: 'swiglu', hiddenDim: 256 },
  blockLayout: 'postNorm',
  learnedPositions: false,
  tiedEmbeddings: false,
  initStd: 0.02,
};

const PRESETS: Readonly<Record<PresetName, ModelConfig>> = {
  seed: SEED,
  'seed-moh': {
    ...SEED,
    attention: {
      ...SEED.attention,
      headSelection: {
        kind: 'mixtureOfHeads',
        sharedHeads: 2,
        activeRoutedHeads: 4,
        loadBalanceWeight: 0.01,
        gating: 'scaled',
      },
    },
  },
};

/** The built-in presets: `seed` (the design's model, all heads) and `seed-moh` (2 shared + 6 routed heads, top-4, β 0.01). */
export function preset(name: PresetName): ModelConfig {
  const found = PRESETS[name];
  if (found === undefined) {
    throw new ConfigError('preset', `must be one of ${Object.keys(PRESETS).join(', ')}`, name);
  }
  return found;
}

/** Names of the built-in presets. */
export const presetNames: readonly PresetName[] = ['seed', 'seed-moh'];

/**
 * Completes a user's configuration from a preset (default `seed`) and checks every
 * rule, throwing a {@link ConfigError} that names the field and the rule.
 *
 * @example
 * ```ts
 * import { resolveConfig } from '@moh/model';
 * const config = resolveConfig({ preset: 'seed-moh', attention: { position: { kind: 'rope' } } });
 * // config.attention.position is { kind: 'rope', base: 10000 }
 * resolveConfig({ attention: { kvHeads: 3 } }); // throws: attention.kvHeads: must divide attention.queryHeads (8), got 3.
 * ```
 */
export function resolveConfig(input: ModelConfigInput = {}): ModelConfig {
  const base = preset(input.preset ?? 'seed');
  checkFields(input, base);
  const attentionInput = input.attention ?? {};
  const attention: ModelAttentionConfig = {
    queryHeads: attentionInput.queryHeads ?? base.attention.queryHeads,
    kvHeads: attentionInput.kvHeads ?? base.attention.kvHeads,
    position: resolvePosition(attentionInput.position, base.attention.position),
    window: attentionInput.window === undefined ? base.attention.window : attentionInput.window,
    adaptiveWindow: resolveAdaptiveWindow(attentionInput.adaptiveWindow, base.attention.adaptiveWindow),
    outputProjection: attentionInput.outputProjection ?? base.attention.outputProjection,
    headSelection: resolveHeadSelection(attentionInput.headSelection, base.attention.headSelection),
  };
  const config: ModelConfig = {
    vocabSize: input.vocabSize ?? base.vocabSize,
    modelDim: input.modelDim ?? base.modelDim,
    layers: input.layers ?? base.layers,
    maxSeqLen: input.maxSeqLen ?? base.maxSeqLen,
    attention,
    norm: resolveNorm(input.norm, base.norm),
    ffn: resolveFfn(input.ffn, base.ffn),
    blockLayout: input.blockLayout ?? base.blockLayout,
    learnedPositions: input.learnedPositions ?? base.learnedPositions,
    tiedEmbeddings: input.tiedEmbeddings ?? base.tiedEmbeddings,
    initStd: input.initStd ?? base.initStd,
  };
  validate(config);
  return config;
}

/** The fields each part of the input may have; union members by kind. */
const FIELDS = {
  top: ['preset', 'vocabSize', 'modelDim', 'layers', 'maxSeqLen', 'attention', 'norm', 'ffn', 'blockLayout', 'learnedPositions', 'tiedEmbeddings', 'initStd'],
  attention: ['queryHeads', 'kvHeads', 'position', 'window', 'adaptiveWindow', 'outputProjection', 'headSelection'],
  position: { cope: ['kind', 'maxPositions'], rope: ['kind', 'base'], none: ['kind'] },
  adaptiveWindow: { fixed: ['kind'], sequenceLength: ['kind', 'min', 'max'], attentionEntropy: ['kind', 'min', 'max', 'momentum'] },
  headSelection: {
    allHeads: ['kind'],
    staticPruning: ['kind', 'activeHeads'],
    mixtureOfHeads: ['kind', 'sharedHeads', 'activeRoutedHeads', 'loadBalanceWeight', 'gating'],
  },
  norm: ['kind', 'eps'],
  ffn: ['kind', 'hiddenDim'],
} as const;

/**
 * Rejects fields the configuration does not have: a misplaced or misspelt field (say a
 * top-level `position` instead of `attention.position`) would otherwise be ignored and
 * train a different model than the one asked for.
 */
function checkFields(input: ModelConfigInput, base: ModelConfig): void {
  checkObject(input, FIELDS.top, '');
  const attention = input.attention as Record<string, unknown> | undefined;
  checkObject(attention, FIELDS.attention, 'attention');
  if (attention !== undefined) {
    checkMember(attention['position'], FIELDS.position, base.attention.position.kind, 'attention.position');
    checkMember(attention['adaptiveWindow'], FIELDS.adaptiveWindow, base.attention.adaptiveWindow.kind, 'attention.adaptiveWindow');
    checkMember(attention['headSelection'], FIELDS.headSelection, base.attention.headSelection.kind, 'attention.headSelection');
  }
  checkObject(input.norm, FIELDS.norm, 'norm');
  checkObject(input.ffn, FIELDS.ffn, 'ffn');
}

function checkObject(value: unknown, allowed: readonly string[], path: string): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(path === '' ? 'config' : path, 'must be an object', value);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const field = path === '' ? key : `${path}.${key}`;
      throw new ConfigError(field, `is not a field of ${path === '' ? 'the model configuration' : path} (fields: ${allowed.join(', ')})`);
    }
  }
}

/** A union member: its fields are those of its kind (the given one, or the preset's). */
function checkMember(value: unknown, byKind: Readonly<Record<string, readonly string[]>>, baseKind: string, path: string): void {
  if (value === undefined || value === null || typeof value !== 'object') {
    checkObject(value, [], path);
    return;
  }
  const kind = (value as { kind?: unknown }).kind ?? baseKind;
  const allowed = typeof kind === 'string' ? byKind[kind] : undefined;
  // An unknown kind is reported by the resolver with the list of kinds.
  if (allowed !== undefined) checkObject(value, allowed, path);
}

function resolvePosition(input: DeepPartial<PositionEncoding> | undefined, base: PositionEncoding): PositionEncoding {
  if (input === undefined) return base;
  const kind = input.kind ?? base.kind;
  switch (kind) {
    case 'cope': {
      const given = (input as { maxPositions?: number }).maxPositions;
      return { kind, maxPositions: given ?? (base.kind === 'cope' ? base.maxPositions : 64) };
    }
    case 'rope': {
      const from = input as { base?: number };
      return { kind, base: from.base ?? (base.kind === 'rope' ? base.base : 10000) };
    }
    case 'none':
      return { kind };
    default:
      throw new ConfigError('attention.position.kind', 'must be "cope", "rope" or "none"', kind);
  }
}

function resolveAdaptiveWindow(input: DeepPartial<AdaptiveWindow> | undefined, base: AdaptiveWindow): AdaptiveWindow {
  if (input === undefined) return base;
  const kind = input.kind ?? base.kind;
  const from = input as { min?: number; max?: number; momentum?: number };
  const old = base as { min?: number; max?: number; momentum?: number };
  switch (kind) {
    case 'fixed':
      return { kind };
    case 'sequenceLength':
      return { kind, min: from.min ?? old.min ?? 8, max: from.max ?? old.max ?? 64 };
    case 'attentionEntropy':
      return { kind, min: from.min ?? old.min ?? 8, max: from.max ?? old.max ?? 64, momentum: from.momentum ?? old.momentum ?? 0.1 };
    default:
      throw new ConfigError('attention.adaptiveWindow.kind', 'must be "fixed", "sequenceLength" or "attentionEntropy"', kind);
  }
}

function resolveHeadSelection(input: DeepPartial<HeadSelection> | undefined, base: HeadSelection): HeadSelection {
  if (input === undefined) return base;
  const kind = input.kind ?? base.kind;
  switch (kind) {
    case 'allHeads':
      return { kind };
    case 'staticPruning': {
      const from = input as { activeHeads?: number };
      return { kind, activeHeads: from.activeHeads ?? (base.kind === 'staticPruning' ? base.activeHeads : 6) };
    }
    case 'mixtureOfHeads': {
      const from = input as { sharedHeads?: number; activeRoutedHeads?: number; loadBalanceWeight?: number; gating?: Gating };
      const old = base.kind === 'mixtureOfHeads' ? base : undefined;
      return {
        kind,
        sharedHeads: from.sharedHeads ?? old?.sharedHeads ?? 2,
        activeRoutedHeads: from.activeRoutedHeads ?? old?.activeRoutedHeads ?? 4,
        loadBalanceWeight: from.loadBalanceWeight ?? old?.loadBalanceWeight ?? 0.01,
        gating: from.gating ?? old?.gating ?? 'scaled',
      };
    }
    default:
      throw new ConfigError(
        'attention.headSelection.kind',
        'must be "allHeads", "staticPruning" or "mixtureOfHeads"',
        kind,
      );
  }
}

function resolveNorm(input: DeepPartial<NormConfig> | undefined, base: NormConfig): NormConfig {
  if (input === undefined) return base;
  const kind = input.kind ?? base.kind;
  const eps = input.kind === undefined || input.kind === base.kind ? (input.eps ?? base.eps) : input.eps;
  switch (kind) {
    case 'rmsnorm':
      return { kind, eps: eps ?? 1e-6 };
    case 'layernorm':
      return { kind, eps: eps ?? 1e-5 };
    default:
      throw new ConfigError('norm.kind', 'must be "rmsnorm" or "layernorm"', kind);
  }
}

function resolveFfn(input: DeepPartial<FfnConfig> | undefined, base: FfnConfig): FfnConfig {
  if (input === undefined) return base;
  const kind = input.kind ?? base.kind;
  const hiddenDim = input.hiddenDim ?? base.hiddenDim;
  switch (kind) {
    case 'swiglu':
    case 'relu':
      return { kind, hiddenDim };
    default:
      throw new ConfigError('ffn.kind', 'must be "swiglu" or "relu"', kind);
  }
}

function positiveInteger(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(field, 'must be a positive integer', value);
  }
}

function oneOf<T>(field: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new ConfigError(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
}

/** Checks every rule of a complete configuration; throws {@link ConfigError} on the first broken one. */
export function validate(config: ModelConfig): void {
  positiveInteger('vocabSize', config.vocabSize);
  positiveInteger('modelDim', config.modelDim);
  positiveInteger('layers', config.layers);
  positiveInteger('maxSeqLen', config.maxSeqLen);
  const { attention: a } = config;
  positiveInteger('attention.queryHeads', a.queryHeads);
  positiveInteger('attention.kvHeads', a.kvHeads);
  if (a.queryHeads % a.kvHeads !== 0) {
    throw new ConfigError('attention.kvHeads', `must divide attention.queryHeads (${a.queryHeads})`, a.kvHeads);
  }
  if (config.modelDim % a.queryHeads !== 0) {
    throw new ConfigError('attention.queryHeads', `must divide modelDim (${config.modelDim})`, a.queryHeads);
  }
  const headDim = config.modelDim / a.queryHeads;
  if (a.position.kind === 'rope' && headDim % 2 !== 0) {
    throw new ConfigError('attention.position', `RoPE needs an even head width, but modelDim / queryHeads is ${headDim}`);
  }
  if (a.position.kind === 'cope') positiveInteger('attention.position.maxPositions', a.position.maxPositions);
  if (a.position.kind === 'rope' && !(a.position.base > 1 && Number.isFinite(a.position.base))) {
    throw new ConfigError('attention.position.base', 'must be a finite number greater than 1', a.position.base);
  }
  if (a.window !== null) positiveInteger('attention.window', a.window);
  const w = a.adaptiveWindow;
  if (w.kind !== 'fixed') {
    if (a.window === null) {
      throw new ConfigError('attention.adaptiveWindow', `"${w.kind}" adapts a window, so attention.window must be set`);
    }
    positiveInteger('attention.adaptiveWindow.min', w.min);
    positiveInteger('attention.adaptiveWindow.max', w.max);
    if (w.min > w.max) throw new ConfigError('attention.adaptiveWindow.min', `must not exceed max (${w.max})`, w.min);
    if (w.kind === 'attentionEntropy' && !(w.momentum > 0 && w.momentum <= 1)) {
      throw new ConfigError('attention.adaptiveWindow.momentum', 'must be in (0, 1]', w.momentum);
    }
  }
  if (typeof a.outputProjection !== 'boolean') {
    throw new ConfigError('attention.outputProjection', 'must be true or false', a.outputProjection);
  }
  validateHeadSelection(a.headSelection, a.queryHeads);
  oneOf('norm.kind', config.norm.kind, ['rmsnorm', 'layernorm']);
  if (!(config.norm.eps > 0 && Number.isFinite(config.norm.eps))) {
    throw new ConfigError('norm.eps', 'must be a positive finite number', config.norm.eps);
  }
  oneOf('ffn.kind', config.ffn.kind, ['swiglu', 'relu']);
  positiveInteger('ffn.hiddenDim', config.ffn.hiddenDim);
  oneOf<BlockLayout>('blockLayout', config.blockLayout, ['postNorm', 'preNorm']);
  oneOf('learnedPositions', config.learnedPositions, [true, false]);
  oneOf('tiedEmbeddings', config.tiedEmbeddings, [true, false]);
  if (!(config.initStd > 0 && Number.isFinite(config.initStd))) {
    throw new ConfigError('initStd', 'must be a positive finite number', config.initStd);
  }
}

function validateHeadSelection(selection: HeadSelection, heads: number): void {
  switch (selection.kind) {
    case 'allHeads':
      return;
    case 'staticPruning':
      positiveInteger('attention.headSelection.activeHeads', selection.activeHeads);
      if (selection.activeHeads > heads) {
        throw new ConfigError('attention.headSelection.activeHeads', `must not exceed queryHeads (${heads})`, selection.activeHeads);
      }
      return;
    case 'mixtureOfHeads': {
      const { sharedHeads, activeRoutedHeads, loadBalanceWeight, gating } = selection;
      if (!Number.isInteger(sharedHeads) || sharedHeads < 0 || sharedHeads >= heads) {
        throw new ConfigError('attention.headSelection.sharedHeads', `must be an integer in [0, queryHeads − 1 = ${heads - 1}]`, sharedHeads);
      }
      const routed = heads - sharedHeads;
      if (!Number.isInteger(activeRoutedHeads) || activeRoutedHeads < 1 || activeRoutedHeads > routed) {
        throw new ConfigError(
          'attention.headSelection.activeRoutedHeads',
          `must be an integer in [1, queryHeads − sharedHeads = ${routed}]`,
          activeRoutedHeads,
        );
      }
      if (!(loadBalanceWeight >= 0 && Number.isFinite(loadBalanceWeight))) {
        throw new ConfigError('attention.headSelection.loadBalanceWeight', 'must be a finite number ≥ 0', loadBalanceWeight);
      }
      oneOf<Gating>('attention.headSelection.gating', gating, ['paper', 'scaled', 'binary']);
      return;
    }
    default: {
      const never: never = selection;
      throw new ConfigError('attention.headSelection.kind', 'is not a known head selection', never);
    }
  }
}
