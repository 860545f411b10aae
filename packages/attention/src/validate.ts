/**
 * Checks an {@link AttentionConfig} and names the field and the rule it breaks.
 *
 * @packageDocumentation
 */
import type { AttentionConfig } from './config.js';

function isCount(v: number): boolean {
  return Number.isInteger(v) && v >= 1;
}

function fail(field: string, rule: string, got: unknown): never {
  throw new Error(`attention config: ${field} ${rule}, got ${JSON.stringify(got)}`);
}

/**
 * Throws when `config` is invalid: sizes must be positive integers, `kvHeads` must
 * divide `queryHeads`, without an output projection `queryHeads·headDim` must equal
 * `modelDim`, RoPE needs an even `headDim`, a window is a positive integer or null,
 * and adaptive windows other than `fixed` need a window and `1 ≤ min ≤ max`.
 *
 * @example
 * ```ts
 * validateAttentionConfig({ ...config, kvHeads: 3 }); // throws: kvHeads must divide queryHeads (4)
 * ```
 */
export function validateAttentionConfig(config: AttentionConfig): void {
  const { modelDim, queryHeads, kvHeads, headDim, position, window, adaptiveWindow } = config;
  if (!isCount(modelDim)) fail('modelDim', 'must be a positive integer', modelDim);
  if (!isCount(queryHeads)) fail('queryHeads', 'must be a positive integer', queryHeads);
  if (!isCount(kvHeads)) fail('kvHeads', 'must be a positive integer', kvHeads);
  if (!isCount(headDim)) fail('headDim', 'must be a positive integer', headDim);
  if (queryHeads % kvHeads !== 0) fail('kvHeads', `must divide queryHeads (${queryHeads})`, kvHeads);
  if (!config.outputProjection && queryHeads * headDim !== modelDim) {
    fail('headDim', `times queryHeads (${queryHeads}) must equal modelDim (${modelDim}) without an output projection`, headDim);
  }
  switch (position.kind) {
    case 'cope':
      if (!isCount(position.maxPositions)) fail('position.maxPositions', 'must be a positive integer', position.maxPositions);
      break;
    case 'rope':
      if (headDim % 2 !== 0) fail('headDim', 'must be even with RoPE (it rotates pairs)', headDim);
      if (!(position.base > 1)) fail('position.base', 'must be greater than 1', position.base);
      break;
    case 'none':
      break;
    default: {
      const never: never = position;
      fail('position.kind', 'must be "cope", "rope" or "none"', (never as { kind: unknown }).kind);
    }
  }
  if (window !== null && !isCount(window)) fail('window', 'must be a positive integer or null', window);
  switch (adaptiveWindow.kind) {
    case 'fixed':
      break;
    case 'sequenceLength':
    case 'attentionEntropy':
      if (window === null) fail('adaptiveWindow', `"${adaptiveWindow.kind}" needs a window (window is null)`, adaptiveWindow.kind);
      if (!isCount(adaptiveWindow.min)) fail('adaptiveWindow.min', 'must be a positive integer', adaptiveWindow.min);
      if (!isCount(adaptiveWindow.max)) fail('adaptiveWindow.max', 'must be a positive integer', adaptiveWindow.max);
      if (adaptiveWindow.min > adaptiveWindow.max) fail('adaptiveWindow.min', `must not exceed max (${adaptiveWindow.max})`, adaptiveWindow.min);
      if (adaptiveWindow.kind === 'attentionEntropy' && !(adaptiveWindow.momentum > 0 && adaptiveWindow.momentum <= 1)) {
        fail('adaptiveWindow.momentum', 'must be in (0, 1]', adaptiveWindow.momentum);
      }
      break;
    default: {
      const never: never = adaptiveWindow;
      fail('adaptiveWindow.kind', 'must be "fixed", "sequenceLength" or "attentionEntropy"', (never as { kind: unknown }).kind);
    }
  }
}
