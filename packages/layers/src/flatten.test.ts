import { describe, expect, it } from 'vitest';
import { ShapeError, Tensor } from '@dlkata/tensor';
import { featureSize, flatten } from './flatten.js';

describe('flatten / featureSize', () => {
  it('x=[2,3,4,4]: [2,48], sharing the data (a view)', () => {
    const x = Tensor.zeros([2, 3, 4, 4]).map((_, i) => i);
    const f = flatten(x);
    expect(f.shape).toEqual([2, 48]);
    expect(f.data).toBe(x.data);
    expect(f.get(1, 0)).toBe(x.get(1, 0, 0, 0));
    expect(f.get(1, 4 * 4 + 2 * 4 + 3)).toBe(x.get(1, 1, 2, 3));
  });

  it('x=[5]: [5,1]; x=[3,7]: unchanged; x=[0,2,2]: [0,4]', () => {
    expect(flatten(Tensor.zeros([5])).shape).toEqual([5, 1]);
    expect(flatten(Tensor.zeros([3, 7])).shape).toEqual([3, 7]);
    expect(flatten(Tensor.zeros([0, 2, 2])).shape).toEqual([0, 4]);
  });

  it('featureSize([2,16,5,5]) = 400 (LeNet-5 before its first fully connected layer)', () => {
    expect(featureSize([2, 16, 5, 5])).toBe(400);
    expect(featureSize([7])).toBe(1);
  });

  it('a scalar or a non-Tensor: ShapeError naming flatten', () => {
    expect(() => flatten(Tensor.from(3))).toThrow(new ShapeError('flatten', 'x must be at least 1-D [N, ...], got []'));
    expect(() => flatten(null as unknown as Tensor)).toThrow(new ShapeError('flatten', 'x must be a Tensor, got null'));
  });
});
