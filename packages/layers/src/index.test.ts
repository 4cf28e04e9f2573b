import { describe, expect, it } from 'vitest';
import { Rng, Tensor } from '@dlkata/tensor';
import * as layers from './index.js';

describe('@dlkata/layers entry point', () => {
  it.each([
    'conv2dForward',
    'conv2dBackward',
    'maxPool2dForward',
    'maxPool2dBackward',
    'reluForward',
    'reluBackward',
    'affineForward',
    'affineBackward',
    'flatten',
    'featureSize',
    'softmaxCrossEntropy',
  ])('exports %s', (name) => {
    expect(typeof (layers as Record<string, unknown>)[name]).toBe('function');
  });

  it('x=[2,1,8,8]: conv 3x3 same -> ReLU -> max pool 2 -> affine [64,10] -> softmax loss, all from the entry point', () => {
    const rng = new Rng(0);
    const x = rng.randn([2, 1, 8, 8]);
    const conv = layers.conv2dForward(x, rng.randn([4, 1, 3, 3]), Tensor.zeros([4]), { pad: 'same' });
    const relu = layers.reluForward(conv.out);
    const pool = layers.maxPool2dForward(relu.out, { kernel: 2 });
    expect(pool.out.shape).toEqual([2, 4, 4, 4]);
    const fc = layers.affineForward(pool.out, rng.randn([64, 10], 0.1), Tensor.zeros([10]));
    const { loss, dscores } = layers.softmaxCrossEntropy(fc.out, [3, 7]);
    expect(Number.isFinite(loss)).toBe(true);
    const { dx: dpool } = layers.affineBackward(dscores, fc.cache);
    const { dx: drelu } = layers.maxPool2dBackward(dpool, pool.cache);
    const { dx: dconv } = layers.reluBackward(drelu, relu.cache);
    expect(layers.conv2dBackward(dconv, conv.cache).dx.shape).toEqual([2, 1, 8, 8]);
  });
});
