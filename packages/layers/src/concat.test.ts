import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dot, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';
import { concatChannels, splitChannels } from './concat.js';
import { FC_OPTS } from './test-support.js';

describe('concatChannels / splitChannels', () => {
  it('[2,1,3,3] + [2,2,3,3] + [2,0,3,3]: [2,3,3,3], channels in order, per example', () => {
    const rng = new Rng(1);
    const a = rng.randn([2, 1, 3, 3]);
    const b = rng.randn([2, 2, 3, 3]);
    const out = concatChannels([a, b, Tensor.zeros([2, 0, 3, 3])]);
    expect(out.shape).toEqual([2, 3, 3, 3]);
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          expect(out.get(n, 0, i, j)).toBe(a.get(n, 0, i, j));
          expect(out.get(n, 1, i, j)).toBe(b.get(n, 0, i, j));
          expect(out.get(n, 2, i, j)).toBe(b.get(n, 1, i, j));
        }
    const [a2, b2, e] = splitChannels(out, [1, 2, 0]);
    expect([a2.shape, b2.shape, e.shape]).toEqual([[2, 1, 3, 3], [2, 2, 3, 3], [2, 0, 3, 3]]);
    expect([...a2.data]).toEqual([...a.data]);
    expect([...b2.data]).toEqual([...b.data]);
  });

  it('random groups: split is the adjoint of concat, <concat(xs), y> = sum_i <xs_i, split(y)_i>', () => {
    fc.assert(
      fc.property(
        fc.record({ N: fc.integer({ min: 1, max: 3 }), sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), H: fc.integer({ min: 1, max: 4 }), W: fc.integer({ min: 1, max: 4 }), seed: fc.integer() }),
        ({ N, sizes, H, W, seed }) => {
          const rng = new Rng(seed);
          const xs = sizes.map((c) => rng.randn([N, c, H, W]));
          const total = sizes.reduce((a, c) => a + c, 0);
          const y = rng.randn([N, total, H, W]);
          const parts = splitChannels(y, sizes);
          const rhs = xs.reduce((a, x, i) => a + dot(x, parts[i]), 0);
          expect(Math.abs(dot(concatChannels(xs), y) - rhs)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(rhs)));
          expect([...concatChannels(parts).data]).toEqual([...y.data]);
        },
      ),
      FC_OPTS,
    );
  });

  it('errors name the op and the shapes', () => {
    expect(() => concatChannels([Tensor.zeros([2, 1, 4, 4]), Tensor.zeros([2, 3, 4, 5])])).toThrow(
      new ShapeError('concatChannels', 'xs[1] has shape [2,3,4,5] but xs[0] has [2,1,4,4]; N, H and W must agree'),
    );
    expect(() => concatChannels([])).toThrow(ValueError);
    expect(() => concatChannels([Tensor.zeros([2, 1, 4])])).toThrow('concatChannels: xs[0] must be 4-D [N, C, H, W], got [2,1,4]');
    expect(() => splitChannels(Tensor.zeros([1, 6, 4, 4]), [2, 3])).toThrow(
      new ShapeError('splitChannels', 'sizes [2,3] add up to 5 but x has 6 channels; x [1,6,4,4]'),
    );
    expect(() => splitChannels(Tensor.zeros([1, 6, 4, 4]), [7, -1])).toThrow(new ValueError('splitChannels', 'every size must be an integer >= 0, got -1'));
  });
});
