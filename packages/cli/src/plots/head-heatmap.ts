/**
 * Which heads each token used, per layer, as an SVG heatmap: one panel per layer, a
 * row per token, a column per head, coloured by the head's gate (blank where the head
 * was skipped for that token).
 */
import type { Spec } from 'vega';
import { renderSvg } from './render.js';

/** Head usage of one layer: `gates[t][h]`, 0 where head h was skipped for token t. */
export interface LayerHeadUsage {
  readonly gates: readonly (readonly number[])[];
}

/** What to draw. */
export interface HeadHeatmapData {
  /** The tokens as text, one per row. */
  readonly tokens: readonly string[];
  /** One entry per layer. */
  readonly layers: readonly LayerHeadUsage[];
  /** A title, e.g. the prompt. */
  readonly title: string;
}

/** The Vega specification of the head-usage heatmap. */
export function headHeatmapSpec(data: HeadHeatmapData): Spec {
  const heads = data.layers[0]?.gates[0]?.length ?? 0;
  const cell = 18;
  const values = data.layers.flatMap((layer, l) =>
    layer.gates.flatMap((row, t) =>
      row.map((gate, h) => ({ layer: `layer ${l}`, token: `${t}: ${data.tokens[t] ?? ''}`, t, head: `h${h}`, gate, active: gate !== 0 })),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    padding: 8,
    title: { text: data.title },
    data: [{ name: 'cells', values }],
    scales: [
      { name: 'color', type: 'linear', domain: { data: 'cells', field: 'gate' }, range: { scheme: 'blues' }, zero: true },
    ],
    legends: [{ fill: 'color', title: 'gate', orient: 'right' }],
    layout: { padding: 24, columns: data.layers.length, bounds: 'full', align: 'all' },
    marks: data.layers.map((_, l) => ({
      type: 'group',
      title: { text: `layer ${l}` },
      encode: { update: { width: { value: heads * cell }, height: { value: data.tokens.length * cell } } },
      data: [{ name: `layer${l}`, source: 'cells', transform: [{ type: 'filter', expr: `datum.layer === 'layer ${l}'` }] }],
      scales: [
        // Fixed cell size: the panel is as large as its cells, whatever the prompt length.
        { name: 'x', type: 'band', domain: Array.from({ length: heads }, (_, h) => `h${h}`), range: [0, heads * cell] },
        {
          name: 'y',
          type: 'band',
          domain: { data: `layer${l}`, field: 'token', sort: { field: 't', op: 'min' } },
          range: [0, data.tokens.length * cell],
        },
      ],
      axes: [
        { orient: 'top', scale: 'x', title: 'head' },
        ...(l === 0 ? [{ orient: 'left' as const, scale: 'y', labelLimit: 160 }] : []),
      ],
      marks: [
        {
          type: 'rect',
          from: { data: `layer${l}` },
          encode: {
            enter: {
              x: { scale: 'x', field: 'head' },
              width: { scale: 'x', band: 1 },
              y: { scale: 'y', field: 'token' },
              height: { scale: 'y', band: 1 },
              fill: [{ test: 'datum.active', scale: 'color', field: 'gate' }, { value: '#ffffff' }],
              stroke: { value: '#dddddd' },
            },
          },
        },
      ],
    })),
  };
}

/** Renders the head-usage heatmap to SVG. */
export async function headHeatmapSvg(data: HeadHeatmapData): Promise<string> {
  return renderSvg(headHeatmapSpec(data));
}
