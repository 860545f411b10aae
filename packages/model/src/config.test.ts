import { describe, expect, it } from 'vitest';
import { ConfigError, countParameters, parameterSpecs, preset, resolveConfig } from './index.js';

describe('parameter counts', () => {
  it('reproduces the design table for the seed preset: 573,440', () => {
    const count = countParameters(resolveConfig({ preset: 'seed' }));
    expect(count.total).toBe(573_440);
    const layer0 = count.tensors.filter((t) => t.name.startsWith('layers.0.'));
    expect(layer0.reduce((s, t) => s + t.count, 0)).toBe(139_520);
    const byName = new Map(count.tensors.map((t) => [t.name, t]));
    expect(byName.get('layers.0.attention.wq')?.shape).toEqual([128, 128]);
    expect(byName.get('layers.0.attention.wk')?.shape).toEqual([128, 64]);
    expect(byName.get('layers.0.attention.cope')?.shape).toEqual([8, 64, 16]);
    expect(byName.get('layers.0.ffn.w3')?.shape).toEqual([256, 128]);
    expect((byName.get('embedding')?.count ?? 0) + (byName.get('lmHead')?.count ?? 0)).toBe(154_880);
  });

  it('adds 1,280 router parameters per layer for seed-moh: 577,280', () => {
    const count = countParameters(resolveConfig({ preset: 'seed-moh' }));
    expect(count.total).toBe(577_280);
    const router = count.tensors.filter((t) => t.name.includes('.router.'));
    expect(router.map((t) => [t.name.split('.').pop(), t.shape])).toEqual([
      ['ws', [2, 128]], ['wr', [6, 128]], ['wh', [2, 128]],
      ['ws', [2, 128]], ['wr', [6, 128]], ['wh', [2, 128]],
      ['ws', [2, 128]], ['wr', [6, 128]], ['wh', [2, 128]],
    ]);
  });

  it('counts every optional tensor', () => {
    const config = resolveConfig({
      learnedPositions: true,
      attention: { outputProjection: true, position: { kind: 'rope' } },
      norm: { kind: 'layernorm' },
      ffn: { kind: 'relu' },
      blockLayout: 'preNorm',
      tiedEmbeddings: true,
    });
    const d = 128;
    const F = 256;
    const perLayer = d * 128 + 2 * d * 64 + d * d + 2 * 2 * d + (d * F + F + F * d + d);
    expect(countParameters(config).total).toBe(605 * d + 80 * d + 3 * perLayer + 2 * d);
    expect(parameterSpecs(config).some((t) => t.name === 'lmHead')).toBe(false);
  });
});

describe('resolveConfig', () => {
  it('fills defaults from the preset and takes a union member by kind alone', () => {
    const config = resolveConfig({ preset: 'seed-moh', attention: { position: { kind: 'rope' } } });
    expect(config.attention.position).toEqual({ kind: 'rope', base: 10000 });
    expect(config.attention.headSelection).toEqual(preset('seed-moh').attention.headSelection);
    expect(resolveConfig({ norm: { kind: 'layernorm' } }).norm).toEqual({ kind: 'layernorm', eps: 1e-5 });
    expect(resolveConfig({ attention: { headSelection: { kind: 'mixtureOfHeads', gating: 'binary' } } }).attention.headSelection)
      .toEqual({ kind: 'mixtureOfHeads', sharedHeads: 2, activeRoutedHeads: 4, loadBalanceWeight: 0.01, gating: 'binary' });
  });

  const invalid: [string, Parameters<typeof resolveConfig>[0], string][] = [
    ['kv heads not dividing', { attention: { kvHeads: 3 } }, 'attention.kvHeads'],
    ['heads not dividing d', { attention: { queryHeads: 5, kvHeads: 5 } }, 'attention.queryHeads'],
    ['odd head width with RoPE', { modelDim: 24, attention: { queryHeads: 8, kvHeads: 4, position: { kind: 'rope' } } }, 'attention.position'],
    ['zero layers', { layers: 0 }, 'layers'],
    ['fractional vocabulary', { vocabSize: 10.5 }, 'vocabSize'],
    ['too many routed heads', { preset: 'seed-moh', attention: { headSelection: { activeRoutedHeads: 7 } } }, 'attention.headSelection.activeRoutedHeads'],
    ['all heads shared', { preset: 'seed-moh', attention: { headSelection: { sharedHeads: 8 } } }, 'attention.headSelection.sharedHeads'],
    ['negative β', { preset: 'seed-moh', attention: { headSelection: { loadBalanceWeight: -1 } } }, 'attention.headSelection.loadBalanceWeight'],
    ['static pruning beyond H', { attention: { headSelection: { kind: 'staticPruning', activeHeads: 9 } } }, 'attention.headSelection.activeHeads'],
    ['adaptive window without a window', { attention: { adaptiveWindow: { kind: 'sequenceLength' } } }, 'attention.adaptiveWindow'],
    ['adaptive min above max', { attention: { window: 16, adaptiveWindow: { kind: 'sequenceLength', min: 9, max: 4 } } }, 'attention.adaptiveWindow.min'],
    ['unknown norm', { norm: { kind: 'batchnorm' as 'rmsnorm' } }, 'norm.kind'],
    ['a misplaced field', { position: { kind: 'rope' } } as Parameters<typeof resolveConfig>[0], 'position'],
    ['a misspelt attention field', { attention: { kvHead: 2 } } as Parameters<typeof resolveConfig>[0], 'attention.kvHead'],
    ['a field of another kind', { attention: { position: { kind: 'rope', maxPositions: 8 } } } as Parameters<typeof resolveConfig>[0], 'attention.position.maxPositions'],
    ['a field of the preset kind', { preset: 'seed-moh', attention: { headSelection: { activeHeads: 3 } } } as Parameters<typeof resolveConfig>[0], 'attention.headSelection.activeHeads'],
    ['unknown gating', { preset: 'seed-moh', attention: { headSelection: { gating: 'soft' as 'paper' } } }, 'attention.headSelection.gating'],
  ];
  it.each(invalid)('rejects %s, naming the field', (_label, input, field) => {
    let error: unknown;
    try {
      resolveConfig(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).message.startsWith(`${field}: `)).toBe(true);
  });

  it('rejects an unknown preset', () => {
    expect(() => resolveConfig({ preset: 'huge' as 'seed' })).toThrow(/preset: must be one of seed, seed-moh/);
  });
});
