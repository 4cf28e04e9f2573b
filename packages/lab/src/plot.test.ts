import { describe, expect, it } from 'vitest';
import { renderSvg, trainingCurvesSpec } from './plot.js';

describe('plot', () => {
  it('training curves render to an SVG with both panels', async () => {
    const svg = await renderSvg(
      trainingCurvesSpec('t', [
        { epoch: 1, split: 'train', loss: 1, accuracy: 0.5 },
        { epoch: 2, split: 'train', loss: 0.5, accuracy: 0.8 },
      ]),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('softmax cross-entropy');
    expect(svg).toContain('accuracy');
  });
});
