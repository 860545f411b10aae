import { describe, expect, it } from 'vitest';
import { tinyModel } from '../generate/__tests__/fixtures.js';
import { headUsage } from './head-usage.js';

const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];

describe('headUsage', () => {
  it('reports the routing of the forward pass: shared heads on every token, k routed heads', () => {
    const model = tinyModel(7);
    const usage = headUsage(model, ids);
    expect(usage).toMatchObject({ tokens: ids, truncated: 0, heads: 4, headSelection: 'mixtureOfHeads', sharedHeads: 1 });
    expect(usage.layers).toHaveLength(2);
    usage.layers.forEach((layer, l) => {
      const router = model.blocks[l].parts.router;
      const probabilities = router.probabilities;
      if (probabilities === null) throw new Error('expected a mixture-of-heads router');
      const stats = router.stats();
      ids.forEach((_, t) => {
        // Head 0 is shared; the routed heads are those the router selected for this token.
        const selected = Array.from(probabilities.selected.subarray(t * 2, t * 2 + 2), (j) => 1 + j).sort();
        expect(layer.active[t]).toEqual([0, ...selected]);
        layer.gates[t].forEach((gate, h) => expect(gate !== 0).toBe(layer.active[t].includes(h)));
      });
      expect(layer.load).toEqual(Array.from(stats.load));
      for (let h = 0; h < 4; h++) {
        const mean = layer.gates.reduce((s, row) => s + row[h], 0) / ids.length;
        expect(mean).toBeCloseTo(stats.meanGate[h], 6);
      }
      // The routed heads are not all the same head on every token.
      expect(new Set(layer.active.map((a) => a.join())).size).toBeGreaterThan(1);
    });
    // The routers are restored: no wrapper left on the instance.
    for (const block of model.blocks) expect(Object.hasOwn(block.parts.router, 'route')).toBe(false);
  });

  it('shows every head with gate 1 when all heads are used, and keeps the last maxSeqLen tokens', () => {
    const model = tinyModel(7, { attention: { queryHeads: 4, kvHeads: 2, headSelection: { kind: 'allHeads' } } });
    const long = Array.from({ length: 20 }, (_, i) => i % 20);
    const usage = headUsage(model, long);
    expect(usage).toMatchObject({ truncated: 4, tokens: long.slice(4), headSelection: 'allHeads', sharedHeads: 0 });
    for (const layer of usage.layers) {
      expect(layer.active).toEqual(Array.from({ length: 16 }, () => [0, 1, 2, 3]));
      expect(layer.gates.flat().every((g) => g === 1)).toBe(true);
      expect(layer.load).toEqual([1, 1, 1, 1]);
    }
  });
});
