/**
 * The loss curve of a training run as an SVG line chart: training loss per step, and
 * validation loss where it was measured, on one step axis.
 */
import type { Spec } from 'vega';
import { renderSvg } from './render.js';

/** One point of a curve. */
export interface LossPoint {
  /** The optimizer step (0-based). */
  readonly step: number;
  /** The loss at that step. */
  readonly loss: number;
}

/** What to draw. */
export interface LossCurveData {
  /** Training loss per step. */
  readonly train: readonly LossPoint[];
  /** Validation loss where measured. */
  readonly validation: readonly LossPoint[];
  /** A title, e.g. the preset and head selection. */
  readonly title: string;
}

/** The Vega specification of the loss-curve chart. */
export function lossCurveSpec(data: LossCurveData): Spec {
  const values = [
    ...data.train.map((p) => ({ ...p, series: 'training' })),
    ...data.validation.map((p) => ({ ...p, series: 'validation' })),
  ].filter((p) => Number.isFinite(p.loss));
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: 640,
    height: 320,
    padding: 8,
    title: { text: data.title },
    data: [{ name: 'points', values }],
    scales: [
      { name: 'x', type: 'linear', domain: { data: 'points', field: 'step' }, range: 'width', nice: true },
      { name: 'y', type: 'linear', domain: { data: 'points', field: 'loss' }, range: 'height', nice: true, zero: false },
      { name: 'color', type: 'ordinal', domain: ['training', 'validation'], range: ['#4c78a8', '#e45756'] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'step' },
      { orient: 'left', scale: 'y', title: 'loss (nats / token)', grid: true },
    ],
    legends: [{ fill: 'color', orient: 'top-right' }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'series', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            sort: { field: 'datum.step' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'step' },
                y: { scale: 'y', field: 'loss' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 1.5 },
              },
            },
          },
        ],
      },
    ],
  };
}

/** Renders the loss curve to SVG. */
export async function lossCurveSvg(data: LossCurveData): Promise<string> {
  return renderSvg(lossCurveSpec(data));
}
