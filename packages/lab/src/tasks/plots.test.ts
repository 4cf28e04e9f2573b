import { describe, expect, it } from 'vitest';
import { renderSvg } from '../plot.js';
import { accuracySpec, gradientNormSpec, lossCurveSpec } from './plots.js';

describe('figures', () => {
  it('accuracy against T, gradient norms on a log scale (zeros kept plottable), loss curves with baselines: each renders to an SVG with its title', async () => {
    const specs = [
      accuracySpec('acc title', [{ T: 5, model: 'RNN', accuracy: 1 }, { T: 40, model: 'RNN', accuracy: 0.25 }, { T: 40, model: 'LSTM', accuracy: 1 }], 0.25),
      gradientNormSpec('norm title', [{ t: 0, series: 'a', norm: 0 }, { t: 1, series: 'a', norm: 1 }], '||dL/dh_t||', undefined),
      gradientNormSpec('dash title', [{ t: 0, series: 'RNN', norm: 1e-6, stage: 'before' } as { t: number; series: string; norm: number }], '||dL/dh_t||', 'stage'),
      lossCurveSpec('loss title', [{ epoch: 1, split: 'train', loss: 3 }, { epoch: 2, split: 'train', loss: 2 }], [{ split: 'train', loss: 2.9 }]),
    ];
    for (const [i, spec] of specs.entries()) {
      const svg = await renderSvg(spec);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain(['acc title', 'norm title', 'dash title', 'loss title'][i]);
    }
  }, 30_000);
});
