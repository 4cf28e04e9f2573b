import { describe, expect, it } from 'vitest';
import { Tensor } from '@dlkata/tensor';
import { expectAllClose, expectGradient } from './test-support.js';

describe('test helpers fail loudly', () => {
  it('expectGradient: passes within tolerance or the absolute floor, fails naming the index and both values', () => {
    expect(() => expectGradient('g', Tensor.from([1, 2]), Tensor.from([1, 2 + 1e-9]))).not.toThrow();
    expect(() => expectGradient('g', Tensor.from([0, 1e-9]), Tensor.from([0, 0]))).not.toThrow();
    expect(() => expectGradient('g', Tensor.from([1, 2]), Tensor.from([1, 2.1]))).toThrow(/^g: relative error 2\.44e-2 >= 0\.000001 at \[1\]: analytic 2, numerical 2\.1$/);
    expect(() => expectGradient('g', Tensor.from([1, 2]), Tensor.from([[1, 2]]))).toThrow("g: shape [2] differs from the numerical gradient's [1,2]");
  });

  it('expectAllClose: fails naming the index, the values and the tolerance; NaN never passes', () => {
    expect(() => expectAllClose('h', Tensor.from([1, 2]), Tensor.from([1, 3]), 0.5)).toThrow('h: at [1] got 2, expected 3 (atol 0.5)');
    expect(() => expectAllClose('h', Tensor.from([NaN]), Tensor.from([NaN]), 1)).toThrow('h: at [0] got NaN');
    expect(() => expectAllClose('h', Tensor.from([1]), Tensor.from([1, 2]), 1)).toThrow('h: shape [1], expected [2]');
  });
});
