/**
 * Figures as SVG, rendered in Node without a browser or canvas by Vega-Lite and Vega
 * (`view.toSVG()`).
 *
 * @module
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a Vega-Lite specification to an SVG document.
 *
 * @param spec - a complete Vega-Lite spec with inline data (`data: { values: [...] }`)
 * @returns the SVG text
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One point of a training curve. */
export interface CurvePoint {
  readonly epoch: number;
  /** Series name, e.g. `"train"` or `"test"`. */
  readonly split: string;
  readonly loss: number;
  readonly accuracy: number;
}

/**
 * Loss and accuracy against epoch, one line per split, side by side.
 *
 * @param title - shown above the two panels
 */
export function trainingCurvesSpec(title: string, points: readonly CurvePoint[]): TopLevelSpec {
  const panel = (field: 'loss' | 'accuracy', axis: string) => ({
    width: 320,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } },
      y: { field, type: 'quantitative' as const, title: axis, scale: { zero: false } },
      color: { field: 'split', type: 'nominal' as const, title: null },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points as unknown as Record<string, unknown>[] },
    hconcat: [panel('loss', 'softmax cross-entropy'), panel('accuracy', 'accuracy')],
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}
