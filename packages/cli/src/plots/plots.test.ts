import { describe, expect, it } from 'vitest';
import { headHeatmapSvg } from './head-heatmap.js';
import { lossCurveSvg } from './loss-curve.js';

describe('plots', () => {
  it('draws a loss curve with both series', async () => {
    const train = Array.from({ length: 50 }, (_, step) => ({ step, loss: 5 * Math.exp(-step / 20) + 1 }));
    const svg = await lossCurveSvg({ train, validation: [{ step: 25, loss: 2.2 }, { step: 49, loss: 1.6 }], title: 'seed-moh' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('seed-moh');
    expect(svg).toContain('validation');
    // Two line paths: training and validation.
    expect(svg.match(/<path[^>]*class="[^"]*"|role-mark mark-line/g)?.length ?? 0).toBeGreaterThan(0);
    expect((svg.match(/mark-line/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('draws one filled cell per active (token, head) pair and blank cells elsewhere', async () => {
    const gates = [
      [1, 0.5, 0, 0],
      [1, 0, 0.7, 0],
      [1, 0, 0, 0.9],
    ];
    const svg = await headHeatmapSvg({ tokens: ['Mira', ' lives', ' in'], layers: [{ gates }, { gates }], title: 'inspect' });
    expect(svg).toContain('layer 1');
    expect(svg).toContain('Mira');
    const white = (svg.match(/fill="#ffffff"|fill="#fff"/g) ?? []).length;
    // 2 layers × (12 cells − 6 active) blank cells.
    expect(white).toBeGreaterThanOrEqual(12);
  });
});
