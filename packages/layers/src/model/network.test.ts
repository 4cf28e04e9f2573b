import { describe, expect, it } from 'vitest';
import { directionalCheck, numericalGradient, relativeError, Rng, Tensor } from '@dlkata/tensor';
import { softmaxCrossEntropy } from '../softmax.js';
import { createNetwork, networkBackward, networkForward, type Network } from './network.js';
import type { ModelSpec } from './spec.js';
import { lenet5 } from './zoo.js';

/** Loss of the whole network as a function of one parameter tensor (others fixed). */
function lossOf(net: Network, name: string, x: Tensor, y: Int32Array) {
  return (p: Tensor): Tensor => {
    const saved = net.params[name];
    (net.params as Record<string, Tensor>)[name] = p;
    try {
      return Tensor.fromArray([softmaxCrossEntropy(networkForward(net, x).out, y).loss]);
    } finally {
      (net.params as Record<string, Tensor>)[name] = saved;
    }
  };
}

describe('LeNet-5 end to end', () => {
  it('x=[2,1,32,32]: scores [2,10]; every parameter gradient matches a directional numerical gradient', () => {
    const rng = new Rng(7);
    const net = createNetwork(lenet5(), rng);
    const x = rng.randn([2, 1, 32, 32]);
    const y = Int32Array.from([3, 8]);
    const { out, cache } = networkForward(net, x);
    expect(out.shape).toEqual([2, 10]);
    const { dscores } = softmaxCrossEntropy(out, y);
    const { grads, dx } = networkBackward(net, dscores, cache);
    expect(Object.keys(grads).sort()).toEqual(Object.keys(net.params).sort());
    expect(dx?.shape).toEqual([2, 1, 32, 32]);
    const one = Tensor.ones([1]);
    for (const name of Object.keys(net.params)) {
      for (let k = 0; k < 2; k++) {
        const c = directionalCheck(lossOf(net, name, x, y), net.params[name], grads[name], one, rng);
        expect(c.relError, `${name}: numeric ${c.numeric}, analytic ${c.analytic}`).toBeLessThan(1e-6);
      }
    }
  });

  it('elementwise: conv1.b and fc3.b gradients match centered differences', () => {
    const rng = new Rng(11);
    const net = createNetwork(lenet5(), rng);
    const x = rng.randn([2, 1, 32, 32]);
    const y = Int32Array.from([0, 9]);
    const { out, cache } = networkForward(net, x);
    const { grads } = networkBackward(net, softmaxCrossEntropy(out, y).dscores, cache);
    for (const name of ['conv1.b', 'fc3.b']) {
      const num = numericalGradient(lossOf(net, name, x, y), net.params[name], Tensor.ones([1]));
      expect(relativeError(num, grads[name]).error, name).toBeLessThan(1e-6);
    }
  });
});

const small: ModelSpec = {
  name: 'small',
  inputShape: [2, 6, 6],
  layers: [
    { type: 'conv', filters: 3, kernel: 3, pad: 'same', name: 'c1' },
    { type: 'tanh' },
    { type: 'maxpool', kernel: 2 },
    { type: 'flatten' },
    { type: 'dropout', p: 0.5 },
    { type: 'affine', units: 4, name: 'fc' },
  ],
};

describe('small net with tanh, flatten and dropout', () => {
  it('gradient of the input x=[3,2,6,6] matches numerical (dropout off at evaluation)', () => {
    const rng = new Rng(3);
    const net = createNetwork(small, rng, 'xavier');
    const x = rng.randn([3, 2, 6, 6]);
    const y = Int32Array.from([0, 1, 3]);
    const { out, cache } = networkForward(net, x);
    const { dx } = networkBackward(net, softmaxCrossEntropy(out, y).dscores, cache);
    const num = numericalGradient((t) => Tensor.fromArray([softmaxCrossEntropy(networkForward(net, t).out, y).loss]), x, Tensor.ones([1]));
    expect(relativeError(num, dx!).error).toBeLessThan(1e-6);
  });

  it('training mode: inverted dropout zeroes about p of the units and scales the rest by 1/(1-p)', () => {
    const rng = new Rng(5);
    const net = createNetwork({ ...small, layers: [{ type: 'flatten' }, { type: 'dropout', p: 0.5 }] }, rng);
    const x = Tensor.ones([50, 2, 6, 6]);
    const { out } = networkForward(net, x, { train: true, rng });
    const zeros = out.data.filter((v) => v === 0).length;
    expect(zeros / out.size).toBeGreaterThan(0.4);
    expect(zeros / out.size).toBeLessThan(0.6);
    expect(new Set(out.data)).toEqual(new Set([0, 2]));
    expect(() => networkForward(net, x, { train: true })).toThrow('small: training with dropout needs an rng');
  });

  it('frozen parameters get no gradient, and the pass stops before the frozen layers', () => {
    const rng = new Rng(1);
    const net = createNetwork(small, rng);
    const x = rng.randn([2, 2, 6, 6]);
    const { out, cache } = networkForward(net, x);
    const r = networkBackward(net, softmaxCrossEntropy(out, [1, 2]).dscores, cache, new Set(['c1.w', 'c1.b']));
    expect(Object.keys(r.grads).sort()).toEqual(['fc.b', 'fc.w']);
    expect(r.dx).toBeNull();
  });

  it('rejects an input of the wrong shape, naming the model and both shapes', () => {
    const net = createNetwork(small, new Rng(0));
    expect(() => networkForward(net, Tensor.zeros([2, 3, 6, 6]))).toThrow('small: input must be [N, 2, 6, 6], got [2,3,6,6]');
  });

  it('He init: conv weights have std close to sqrt(2 / fan_in), biases 0', () => {
    const net = createNetwork({ name: 'wide', inputShape: [16, 8, 8], layers: [{ type: 'conv', filters: 64, kernel: 3, name: 'c' }] }, new Rng(0));
    const w = net.params['c.w'];
    const std = Math.sqrt(w.data.reduce((a, v) => a + v * v, 0) / w.size);
    expect(std).toBeGreaterThan(0.95 * Math.sqrt(2 / 144));
    expect(std).toBeLessThan(1.05 * Math.sqrt(2 / 144));
    expect(net.params['c.b'].data.every((v) => v === 0)).toBe(true);
  });
});
