/**
 * Vega-Lite specifications of this package's figures, rendered to SVG by `@dlkata/layers`'
 * `renderSvg`.
 *
 * @module
 */
import type { renderSvg } from '../plot.js';

/** A complete Vega-Lite specification, as `renderSvg` takes it. */
export type PlotSpec = Parameters<typeof renderSvg>[0];

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * Held-out accuracy against sequence length, one line per model, with the chance level dashed.
 *
 * @param points - `{ T, model, accuracy }`
 * @param chance - `1 / K`
 */
export function accuracySpec(title: string, points: readonly { T: number; model: string; accuracy: number }[], chance: number): PlotSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 380,
    height: 240,
    layer: [
      {
        data: { values: points as unknown as Record<string, unknown>[] },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'T', type: 'quantitative', title: 'sequence length T (the answer is T - 1 steps back)', scale: { type: 'log', base: 2 } },
          y: { field: 'accuracy', type: 'quantitative', title: 'held-out accuracy', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal', title: null },
        },
      },
      {
        data: { values: [{ chance }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { y: { field: 'chance', type: 'quantitative' } },
      },
    ],
    config: { font: 'sans-serif' },
  } as PlotSpec;
}

/**
 * Gradient norm against time step on a log scale, one line per series.
 *
 * @param points - `{ t, series, norm }`, norms > 0
 * @param yTitle - e.g. `"||dL/dh_t||"`
 */
export function gradientNormSpec(title: string, points: readonly { t: number; series: string; norm: number }[], yTitle: string, dashField?: string): PlotSpec {
  const positive = points.map((p) => ({ ...p, norm: Math.max(p.norm, 1e-300) }));
  return {
    $schema: SCHEMA,
    title,
    width: 420,
    height: 260,
    data: { values: positive as unknown as Record<string, unknown>[] },
    mark: { type: 'line' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time step t (the loss is read at the last step)' },
      y: { field: 'norm', type: 'quantitative', title: yTitle, scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
      ...(dashField ? { strokeDash: { field: dashField, type: 'nominal', title: null } } : {}),
    },
    config: { font: 'sans-serif', legend: { labelLimit: 400 } },
  } as PlotSpec;
}

/**
 * Loss per character against epoch, one line per split, with the unigram baselines dashed.
 *
 * @param points - `{ epoch, split, loss }`
 * @param baselines - `{ split, loss }` of the unigram model
 */
export function lossCurveSpec(title: string, points: readonly { epoch: number; split: string; loss: number }[], baselines: readonly { split: string; loss: number }[]): PlotSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 400,
    height: 250,
    layer: [
      {
        data: { values: points as unknown as Record<string, unknown>[] },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          y: { field: 'loss', type: 'quantitative', title: 'cross-entropy, nats per character', scale: { zero: false } },
          color: { field: 'split', type: 'nominal', title: null },
        },
      },
      {
        data: { values: baselines as unknown as Record<string, unknown>[] },
        mark: { type: 'rule', strokeDash: [4, 4] },
        encoding: { y: { field: 'loss', type: 'quantitative' }, color: { field: 'split', type: 'nominal', title: null } },
      },
    ],
    config: { font: 'sans-serif' },
  } as PlotSpec;
}
