import { describe, expect, it } from 'vitest';
import { Rng } from '@dlkata/tensor';
import { mnistSplit } from '../data/mnist.js';
import { createNetwork } from './network.js';
import { Adam } from './optim.js';
import { evaluate, formatConfusion, trainEpoch } from './train.js';
import { lenet5 } from './zoo.js';

describe('training LeNet-5 on real MNIST digits (short run)', () => {
  it('320 train images, 3 epochs: the loss falls and test accuracy beats chance (10%) by far', () => {
    const split = mnistSplit({ seed: 0, pad: 2, perClass: 40 });
    const rng = new Rng(0);
    const net = createNetwork(lenet5(), rng);
    const opt = new Adam({ lr: 2e-3 });
    const before = evaluate(net, split.test);
    const losses: number[] = [];
    for (let e = 0; e < 3; e++) losses.push(trainEpoch(net, split.train, opt, { batchSize: 20, rng }).loss);
    const after = evaluate(net, split.test);
    expect(split.train.labels.length).toBe(320);
    expect(losses[2]).toBeLessThan(0.6 * losses[0]);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBeGreaterThan(0.6);
    // the confusion matrix counts every test image once
    expect(after.confusion.flat().reduce((a, b) => a + b, 0)).toBe(split.test.labels.length);
    expect(after.confusion.reduce((a, row, i) => a + row[i], 0) / split.test.labels.length).toBeCloseTo(after.accuracy, 12);
  }, 300_000);

  it('the same seed gives the same run', () => {
    const run = () => {
      const split = mnistSplit({ seed: 4, pad: 2, perClass: 8 });
      const rng = new Rng(4);
      const net = createNetwork(lenet5(), rng);
      return trainEpoch(net, split.train, new Adam({ lr: 1e-3 }), { batchSize: 16, rng }).loss;
    };
    expect(run()).toBe(run());
  });

  it('a diverging run stops with a clear message instead of training on NaN', () => {
    const split = mnistSplit({ seed: 0, pad: 2, perClass: 8 });
    const rng = new Rng(0);
    const net = createNetwork(lenet5(), rng);
    net.params['fc3.w'].data.fill(1e308);
    expect(() => trainEpoch(net, split.train, new Adam({ lr: 1e-3 }), { batchSize: 16, rng })).toThrow(/trainEpoch: scores are not finite at batch 1 of \d+: training diverged; try a smaller learning rate/);
  });
});

describe('reporting', () => {
  it('confusion matrix table: rows are true classes', () => {
    expect(formatConfusion([[5, 1], [0, 4]], ['a', 'b']).split('\n')).toEqual(['true\\pred     a    b', 'a             5    1', 'b             0    4']);
  });
});
