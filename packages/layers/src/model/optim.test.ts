import { describe, expect, it } from 'vitest';
import { Tensor } from '@dlkata/tensor';
import { Adam, Sgd } from './optim.js';

describe('Sgd (PyTorch form: v = mu v + g, p -= lr v)', () => {
  it('p=1, g=0.5, lr=0.1, mu=0.9: two steps give 0.95 then 0.855 (by hand)', () => {
    const params = { p: Tensor.fromArray([1]) };
    const opt = new Sgd({ lr: 0.1, momentum: 0.9 });
    opt.step(params, { p: Tensor.fromArray([0.5]) });
    expect(params.p.data[0]).toBeCloseTo(0.95, 12);
    opt.step(params, { p: Tensor.fromArray([0.5]) });
    expect(params.p.data[0]).toBeCloseTo(0.855, 12);
  });
  it('parameters without a gradient (frozen) are not touched', () => {
    const params = { a: Tensor.fromArray([1]), b: Tensor.fromArray([2]) };
    new Sgd({ lr: 0.1 }).step(params, { a: Tensor.fromArray([1]) });
    expect(params.b.data[0]).toBe(2);
    expect(params.a.data[0]).toBeCloseTo(0.9, 12);
  });
  it('bad settings name the optimiser and the value', () => {
    expect(() => new Sgd({ lr: 0 })).toThrow('Sgd: learning rate must be a positive number, got 0');
    expect(() => new Sgd({ lr: 0.1, momentum: 1 })).toThrow('Sgd: momentum must be in [0, 1), got 1');
    expect(() => new Sgd({ lr: 0.1 }).step({}, { w: Tensor.zeros([1]) })).toThrow('Sgd: gradient for unknown parameter "w"');
  });
});

describe('Adam (Kingma & Ba 2015, bias-corrected)', () => {
  it('the first step moves every parameter by lr against the sign of its gradient', () => {
    // With bias correction, m/(1-b1) = g and v/(1-b2) = g^2, so the step is lr * g / (|g| + eps).
    const params = { w: Tensor.fromArray([1, -2, 3]) };
    new Adam({ lr: 0.01 }).step(params, { w: Tensor.fromArray([4, -0.001, 1e3]) });
    expect(params.w.data[0]).toBeCloseTo(0.99, 6);
    expect(params.w.data[1]).toBeCloseTo(-1.99, 4);
    expect(params.w.data[2]).toBeCloseTo(2.99, 6);
  });
  it('minimises a quadratic (p - 3)^2 from 0', () => {
    const params = { p: Tensor.fromArray([0]) };
    const opt = new Adam({ lr: 0.1 });
    for (let i = 0; i < 500; i++) opt.step(params, { p: Tensor.fromArray([2 * (params.p.data[0] - 3)]) });
    expect(params.p.data[0]).toBeCloseTo(3, 3);
  });
  it('rejects beta1 = 1', () => {
    expect(() => new Adam({ lr: 1e-3, beta1: 1 })).toThrow('Adam: beta1 must be in [0, 1), got 1');
  });
});
